import type { Client } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { orders } from '../db/schema';
import { orderWorkflowId, stockAvailable } from '../../workflows/order/messages';

// Waking back-ordered orders when their stock arrives. Each waiting order tries to
// reserve again in its own workflow; one that still finds too little keeps waiting.
// (Issue 9 replaces "wake them all" with allocation by priority, here.)

export interface BackorderDeps {
  db: Db;
  client: Client;
  log: (message: string) => void;
}

/** Tells every order back-ordered on this SKU that stock has arrived; a failed signal is logged, not thrown. */
export async function wakeBackorders(deps: BackorderDeps, sku: string): Promise<void> {
  const waiting = await deps.db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.status, 'backordered'), sql`exists (select 1 from order_items i where i.order_id = ${orders.id} and i.sku = ${sku})`));
  await Promise.allSettled(
    waiting.map((o) =>
      deps.client.workflow
        .getHandle(orderWorkflowId(o.id))
        .signal(stockAvailable, { skus: [sku] })
        .catch((err: unknown) => deps.log(`could not tell order ${o.id} that ${sku} arrived: ${String(err)}`)),
    ),
  );
}
