import type { Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Config } from '../../config';
import type { Db } from '../../db/client';
import type { AllocationReach } from '../../domain/allocation';
import { products } from '../../db/schema';
import { adjustStock } from '../../inventory/adjustments';
import { listAlerts, type StockAlert } from '../../inventory/alerts';
import { listPurchaseOrders, type PurchaseOrder } from '../../inventory/purchase-orders';
import { startPendingReplenishments } from '../../inventory/replenishment-starter';
import { setThreshold } from '../../inventory/thresholds';
import { listTransfers, receiveTransfer, startTransfer, transferById, type StockTransfer } from '../../inventory/transfers';
import { decodeCursor, pageOf } from '../keyset';
import { HttpProblem } from '../problem';
import { route } from '../route';

// Stock control (R2.2–R2.6): counted corrections, safety stock and reorder quantity,
// shortage alerts, transfers between warehouses, purchase orders, a product's supplier.
// What each does is in src/inventory/; this file parses and renders. A movement made
// here may open a shortage alert: its replenishment is started right after the commit.

const text = (max: number) => z.string().trim().min(1).max(max);
const quantity = z.number().int().positive().max(10_000_000);
const limit = z.coerce.number().int().min(1).max(500).default(100);

export const AdjustmentBody = z.strictObject({
  warehouse: text(32),
  sku: text(64),
  delta: z
    .number()
    .int()
    .min(-10_000_000)
    .max(10_000_000)
    .refine((d) => d !== 0, 'a correction of zero changes nothing'),
  reason: text(500),
});

export const ThresholdBody = z.strictObject({
  warehouse: text(32).optional(),
  safetyStock: z.number().int().min(0).max(10_000_000),
  reorderQuantity: z.number().int().positive().max(10_000_000).nullable().optional(),
});

export const TransferBody = z.strictObject({ sku: text(64), from: text(32), to: text(32), quantity });

export const SupplyBody = z.strictObject({
  supplier: text(200),
  leadTimeDays: z.number().int().min(0).max(365),
  expediteLeadTimeDays: z.number().int().min(0).max(365).nullable().optional(),
  expediteCost: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
});

const AlertsQuery = z.strictObject({
  status: z.enum(['open', 'closed']).optional(),
  sku: text(64).optional(),
  warehouse: text(32).optional(),
  limit,
  cursor: z.string().max(400).optional(),
});
const TransfersQuery = z.strictObject({ sku: text(64).optional(), to: text(32).optional(), status: z.enum(['in_transit', 'received']).optional(), limit });
const PurchaseOrdersQuery = z.strictObject({
  sku: text(64).optional(),
  warehouse: text(32).optional(),
  status: z.enum(['open', 'received']).optional(),
  limit,
});
const Uuid = z.uuid().transform((id) => id.toLowerCase());

const alertJson = (a: StockAlert) => ({
  id: a.id,
  sku: a.sku,
  warehouse: a.warehouseCode,
  status: a.status,
  safetyStock: a.safetyStock,
  availableWhenOpened: a.available,
  openedAt: a.openedAt.toISOString(),
  closedAt: a.closedAt?.toISOString() ?? null,
  /** Opened → back at the safety stock (R2.2's time to restock). */
  restockMs: a.restockMs,
  replenishmentWorkflowId: a.replenishmentWorkflowId,
  flaggedAt: a.flaggedAt?.toISOString() ?? null,
  flagReason: a.flagReason,
});

const transferJson = (t: StockTransfer) => ({
  id: t.id,
  sku: t.sku,
  from: t.fromWarehouse,
  to: t.toWarehouse,
  quantity: t.quantity,
  status: t.status,
  expectedAt: t.expectedAt.toISOString(),
  receivedAt: t.receivedAt?.toISOString() ?? null,
  alertId: t.alertId,
  createdAt: t.createdAt.toISOString(),
});

const purchaseOrderJson = (p: PurchaseOrder) => ({
  id: p.id,
  number: p.number,
  sku: p.sku,
  warehouse: p.warehouseCode,
  quantity: p.quantity,
  supplier: p.supplier,
  unitCost: { amount: p.unitCost, currency: p.currency },
  expedited: p.expedited,
  expediteCost: p.expediteCost === null ? null : { amount: p.expediteCost, currency: p.currency },
  leadTimeDays: p.leadTimeDays,
  status: p.status,
  expectedAt: p.expectedAt.toISOString(),
  receivedAt: p.receivedAt?.toISOString() ?? null,
  flaggedAt: p.flaggedAt?.toISOString() ?? null,
  alertId: p.alertId,
  createdAt: p.createdAt.toISOString(),
});

const DAY_MS = 86_400_000;
/** Unscaled, as the configuration's defaults. */
const DEFAULT_REPLENISHMENT: Config['replenishment'] = {
  settings: { dayMs: DAY_MS, transferLeadTimeMs: 2 * DAY_MS, graceMs: DAY_MS },
  sweepIntervalMs: 1_000,
};

const unprocessable = (errors: { field: string; message: string }[]) =>
  new HttpProblem(422, 'Invalid request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

export function stockControlRoutes(deps: {
  db: Db;
  client: Client;
  log: (message: string) => void;
  /** ORDERFLOW_ALLOCATION_REACH: a transfer's arrival wakes the orders that can take it. */
  reach?: AllocationReach;
  taskQueue: string;
  replenishment?: Config['replenishment'];
}) {
  const { db } = deps;
  const replenishment = deps.replenishment ?? DEFAULT_REPLENISHMENT;
  /** Starts the replenishment of any alert the request's movement opened; the service's sweep retries a failure. */
  const startReplenishments = () =>
    startPendingReplenishments({ db, client: deps.client, taskQueue: deps.taskQueue, settings: replenishment.settings, log: deps.log }).catch(
      (err: unknown) => deps.log(`replenishment sweep failed: ${String(err)}`),
    );

  return [
    route({
      method: 'post',
      path: '/v1/inventory/adjustments',
      tag: 'inventory',
      summary: 'A counted correction of on-hand stock (never below what is reserved; at most once per Idempotency-Key)',
      access: ['operator'],
      body: AdjustmentBody,
      idempotent: true,
      responses: { 201: 'adjusted; the new stock figure', 200: 'the same adjustment again', 409: 'would leave less than is reserved (names delta)', 422: 'unknown warehouse or SKU' },
      async handler({ req, res, body, caller }) {
        const outcome = await adjustStock(db, body, { caller: caller!.keyId, idempotencyKey: req.get('idempotency-key') });
        if (outcome.kind === 'refused') {
          throw new HttpProblem(outcome.status, outcome.status === 409 ? 'Conflict' : 'Invalid request', outcome.detail, { errors: outcome.errors });
        }
        await startReplenishments();
        const l = outcome.level;
        res.status(outcome.kind === 'adjusted' ? 201 : 200).json({
          sku: l.sku,
          warehouse: l.warehouseCode,
          onHand: l.onHand,
          reserved: l.reserved,
          available: l.onHand - l.reserved,
          safetyThreshold: l.safetyThreshold,
        });
      },
    }),

    route({
      method: 'put',
      path: '/v1/inventory/:sku/thresholds',
      tag: 'inventory',
      summary: 'Safety stock and reorder quantity of a SKU at one warehouse (or every warehouse stocking it); below it, an alert and a replenishment',
      access: ['operator'],
      body: ThresholdBody,
      responses: { 200: '{ data: [{ sku, warehouse, safetyStock, reorderQuantity, available }] }', 422: 'unknown SKU or warehouse; a SKU stocked nowhere needs a warehouse' },
      async handler({ res, body, params }) {
        const outcome = await setThreshold(db, { sku: params.sku!, ...body });
        if (outcome.kind === 'refused') throw unprocessable(outcome.errors);
        await startReplenishments();
        res.json({
          data: outcome.levels.map((l) => ({
            sku: l.sku,
            warehouse: l.warehouseCode,
            safetyStock: l.safetyThreshold,
            reorderQuantity: l.reorderQuantity,
            available: l.onHand - l.reserved,
          })),
        });
      },
    }),

    route({
      method: 'put',
      path: '/v1/inventory/:sku/supply',
      tag: 'inventory',
      summary: "A product's supplier, lead time and expedite option, for purchase orders (R2.3, R2.6)",
      access: ['operator'],
      body: SupplyBody,
      responses: { 200: '{ sku, supplier, leadTimeDays, expediteLeadTimeDays, expediteCost }', 404: 'no such product', 422: 'expediting must be faster' },
      async handler({ res, body, params }) {
        if (body.expediteLeadTimeDays != null && body.expediteLeadTimeDays >= body.leadTimeDays) {
          throw unprocessable([{ field: 'expediteLeadTimeDays', message: `must be shorter than leadTimeDays (${body.leadTimeDays})` }]);
        }
        const [p] = await db
          .update(products)
          .set({
            supplier: body.supplier,
            leadTimeDays: body.leadTimeDays,
            expediteLeadTimeDays: body.expediteLeadTimeDays ?? null,
            expediteCost: body.expediteCost ?? null,
            updatedAt: new Date(),
          })
          .where(eq(products.sku, params.sku!))
          .returning();
        if (!p) throw new HttpProblem(404, 'Not found', `no product ${params.sku}`);
        res.json({ sku: p.sku, supplier: p.supplier, leadTimeDays: p.leadTimeDays, expediteLeadTimeDays: p.expediteLeadTimeDays, expediteCost: p.expediteCost, currency: p.currency });
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/alerts',
      tag: 'inventory',
      summary: 'Shortage alerts, newest first; closed ones carry their time to restock',
      access: ['operator', 'integrator', 'finance'],
      query: AlertsQuery,
      responses: { 200: '{ data: [{ id, sku, warehouse, status, safetyStock, openedAt, closedAt, restockMs, … }], nextCursor }' },
      async handler({ res, query }) {
        let before: { openedAt: Date; id: string } | undefined;
        if (query.cursor) {
          const [openedAt, id] = decodeCursor(query.cursor, 2) as [string, string];
          before = { openedAt: new Date(openedAt), id };
        }
        const rows = await listAlerts(db, { status: query.status, sku: query.sku, warehouse: query.warehouse, before, limit: query.limit + 1 });
        res.json(pageOf(rows, query.limit, (a) => [a.openedAt.toISOString(), a.id], alertJson));
      },
    }),

    route({
      method: 'post',
      path: '/v1/inventory/transfers',
      tag: 'inventory',
      summary: 'Stock sent from one warehouse to another: out of `from` now (transfer_out), into `to` on its receipt',
      access: ['operator'],
      body: TransferBody,
      idempotent: true,
      responses: { 201: 'the transfer, in transit', 200: 'the same transfer again', 409: '`from` has less available (names quantity)', 422: 'unknown SKU or warehouse' },
      async handler({ req, res, body, caller }) {
        const key = req.get('idempotency-key');
        const outcome = await startTransfer(db, {
          ...body,
          expectedAt: new Date(Date.now() + replenishment.settings.transferLeadTimeMs),
          key: key ? `transfer:key:${caller!.keyId}:${key}` : `transfer:${crypto.randomUUID()}`,
        });
        if (outcome.kind === 'refused') {
          if (outcome.status === 409) throw new HttpProblem(409, 'Conflict', outcome.errors.map((e) => e.message).join('; '), { errors: outcome.errors });
          throw unprocessable(outcome.errors);
        }
        await startReplenishments();
        res.status(outcome.kind === 'started' ? 201 : 200).json(transferJson(outcome.transfer));
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/transfers',
      tag: 'inventory',
      summary: 'Transfers between warehouses, newest first',
      access: ['operator', 'integrator', 'finance'],
      query: TransfersQuery,
      responses: { 200: '{ data: [transfer] }' },
      async handler({ res, query }) {
        res.json({ data: (await listTransfers(db, query)).map(transferJson) });
      },
    }),

    route({
      method: 'post',
      path: '/v1/inventory/transfers/:id/receipt',
      tag: 'inventory',
      summary: 'A transfer arrived at its warehouse (transfer_in, once): waiting orders are woken',
      access: ['operator'],
      responses: { 201: 'received', 200: 'received before', 404: 'no such transfer' },
      async handler({ res, params }) {
        const id = Uuid.safeParse(params.id);
        if (!id.success) throw new HttpProblem(404, 'Not found', `no transfer ${params.id}`);
        const outcome = await receiveTransfer(deps, id.data);
        if (outcome.kind === 'unknown') throw new HttpProblem(404, 'Not found', `no transfer ${id.data}`);
        res.status(outcome.kind === 'received' ? 201 : 200).json(transferJson(outcome.transfer));
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/transfers/:id',
      tag: 'inventory',
      summary: 'One transfer',
      access: ['operator', 'integrator', 'finance'],
      responses: { 200: 'the transfer', 404: 'no such transfer' },
      async handler({ res, params }) {
        const id = Uuid.safeParse(params.id);
        const t = id.success ? await transferById(db, id.data) : undefined;
        if (!t) throw new HttpProblem(404, 'Not found', `no transfer ${params.id}`);
        res.json(transferJson(t));
      },
    }),

    route({
      method: 'get',
      path: '/v1/inventory/purchase-orders',
      tag: 'inventory',
      summary: 'Purchase orders to suppliers, newest first (received with POST /v1/inventory/receipts and purchaseOrderId)',
      access: ['operator', 'integrator', 'finance'],
      query: PurchaseOrdersQuery,
      responses: { 200: '{ data: [purchase order] }' },
      async handler({ res, query }) {
        res.json({ data: (await listPurchaseOrders(db, query)).map(purchaseOrderJson) });
      },
    }),
  ];
}
