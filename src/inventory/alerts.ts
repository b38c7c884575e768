import { and, desc, eq, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { inventoryLevels, notifications, stockAlerts, type StockAlertStatus } from '../db/schema';

// Shortage alerts (R2.2). Held against the safety stock after every movement, inside the
// movement's transaction (the level row is locked by then): a fall below opens the one
// open alert of its SKU and warehouse and tells the operators through the outbox; a
// rise back to the safety stock closes it with the time it took to restock. Starting
// the replenishment is replenishment-starter.ts's job, after the commit.

export type StockAlert = typeof stockAlerts.$inferSelect;

/** Where operator notices go: the operators' shared mailbox, as the outbox names it. */
export const OPERATORS_RECIPIENT = 'operators';

/** Opens or closes the level's shortage alert as its figures now stand. Call it where the level is locked. */
export async function reviewThreshold(tx: Tx, sku: string, warehouseCode: string): Promise<void> {
  const [level] = await tx
    .select()
    .from(inventoryLevels)
    .where(and(eq(inventoryLevels.sku, sku), eq(inventoryLevels.warehouseCode, warehouseCode)));
  if (!level) return;
  const available = level.onHand - level.reserved;
  if (available < level.safetyThreshold) {
    const [opened] = await tx
      .insert(stockAlerts)
      .values({ sku, warehouseCode, safetyStock: level.safetyThreshold, available })
      .onConflictDoNothing()
      .returning();
    if (opened) {
      await tx
        .insert(notifications)
        .values({
          channel: 'email',
          recipient: OPERATORS_RECIPIENT,
          template: 'stock_alert',
          subject: `Low stock: ${sku} at ${warehouseCode}`,
          body: `${available} of ${sku} available at ${warehouseCode}, below the safety stock of ${level.safetyThreshold}. Replenishment has started.`,
          dedupeKey: `stock-alert:${opened.id}`,
        })
        .onConflictDoNothing();
    }
    return;
  }
  await tx
    .update(stockAlerts)
    .set({
      status: 'closed',
      closedAt: sql`now()`,
      restockMs: sql`(extract(epoch from (now() - ${stockAlerts.openedAt})) * 1000)::bigint`,
    })
    .where(and(eq(stockAlerts.sku, sku), eq(stockAlerts.warehouseCode, warehouseCode), eq(stockAlerts.status, 'open')));
}

export async function openAlertOf(db: Db | Tx, sku: string, warehouseCode: string): Promise<StockAlert | undefined> {
  const [alert] = await db
    .select()
    .from(stockAlerts)
    .where(and(eq(stockAlerts.sku, sku), eq(stockAlerts.warehouseCode, warehouseCode), eq(stockAlerts.status, 'open')));
  return alert;
}

/** Open alerts whose replenishment has not been started yet, oldest first. */
export async function alertsAwaitingReplenishment(db: Db, limit = 50): Promise<StockAlert[]> {
  return db
    .select()
    .from(stockAlerts)
    .where(and(eq(stockAlerts.status, 'open'), isNull(stockAlerts.replenishmentStartedAt)))
    .orderBy(stockAlerts.openedAt)
    .limit(limit);
}

export async function markReplenishmentStarted(db: Db, alertId: string, workflowId: string): Promise<void> {
  await db
    .update(stockAlerts)
    .set({ replenishmentWorkflowId: workflowId, replenishmentStartedAt: sql`now()` })
    .where(and(eq(stockAlerts.id, alertId), isNull(stockAlerts.replenishmentStartedAt)));
}

export interface AlertFilter {
  status?: StockAlertStatus;
  sku?: string;
  warehouse?: string;
  /** Keyset: alerts opened before this one (openedAt, id). */
  before?: { openedAt: Date; id: string };
  limit: number;
}

/** Alerts, newest first. */
export async function listAlerts(db: Db, filter: AlertFilter): Promise<StockAlert[]> {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(stockAlerts.status, filter.status));
  if (filter.sku) where.push(eq(stockAlerts.sku, filter.sku));
  if (filter.warehouse) where.push(eq(stockAlerts.warehouseCode, filter.warehouse));
  if (filter.before) {
    const b = filter.before;
    where.push(or(lt(stockAlerts.openedAt, b.openedAt), and(eq(stockAlerts.openedAt, b.openedAt), lt(stockAlerts.id, b.id)))!);
  }
  return db
    .select()
    .from(stockAlerts)
    .where(and(...where))
    .orderBy(desc(stockAlerts.openedAt), desc(stockAlerts.id))
    .limit(filter.limit);
}

/** The replenishment could not restock in time (or at all): flagged on the alert, operators told, once per reason key. */
export async function flagAlert(db: Db, input: { sku: string; warehouseCode: string; reason: string; key: string }): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .update(stockAlerts)
      .set({ flaggedAt: sql`now()`, flagReason: input.reason })
      .where(and(eq(stockAlerts.sku, input.sku), eq(stockAlerts.warehouseCode, input.warehouseCode), eq(stockAlerts.status, 'open')));
    await tx
      .insert(notifications)
      .values({
        channel: 'email',
        recipient: OPERATORS_RECIPIENT,
        template: 'replenishment_flag',
        subject: `Replenishment needs you: ${input.sku} at ${input.warehouseCode}`,
        body: input.reason,
        dedupeKey: `replenishment-flag:${input.key}`,
      })
      .onConflictDoNothing();
  });
}
