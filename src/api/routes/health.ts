import { sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import { route } from '../route';

// Liveness says the process answers; readiness says it can do its work right now:
// the database and Temporal both answer.

export function healthRoutes(deps: { db: Db; client: Client }) {
  return [
    route({
      method: 'get',
      path: '/healthz',
      tag: 'operations',
      summary: 'Liveness',
      access: 'public',
      responses: { 200: 'alive' },
      handler({ res }) {
        res.json({ status: 'ok' });
      },
    }),
    route({
      method: 'get',
      path: '/readyz',
      tag: 'operations',
      summary: 'Readiness: database and Temporal answer',
      access: 'public',
      responses: { 200: 'ready', 503: 'not ready, with what is failing' },
      async handler({ res }) {
        const check = async (probe: () => Promise<unknown>) => {
          try {
            await withTimeout(probe(), 3000);
            return 'ok';
          } catch (err) {
            return `failing: ${err instanceof Error ? err.message : String(err)}`;
          }
        };
        const [database, temporal] = await Promise.all([
          check(() => deps.db.execute(sql`select 1`)),
          check(() => deps.client.workflowService.getSystemInfo({})),
        ]);
        const ready = database === 'ok' && temporal === 'ok';
        res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { database, temporal } });
      },
    }),
  ];
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
