import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { and, eq, inArray } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { inventoryLevels, orderItems, orders, products, reservations, warehouses } from '../src/db/schema';
import { planAllocation, reserveScope, withinReach, type Allocation, type AllocationReach, type LineRequest, type Shortage } from '../src/domain/allocation';
import { BusinessFailure } from '../src/domain/failures';
import { multiply, sum } from '../src/domain/money';
import { packParcels } from '../src/domain/parcels';
import type { Consignment } from '../src/domain/shipment';
import { queuedShortages, wakeBackorders, type BackorderDeps } from '../src/inventory/back-orders';
import { movesOfReservation, release, reservationMoves, reserve, StockShortage } from '../src/inventory/stock-ledger';
import { partialSplit } from '../src/domain/stockout-options';
import { businessFailure } from './failures';
import { applyTransitions, lockOrder, type OrderRow, type Transition } from './order-status';

// RESERVE (R1.4, R2.1): stock is set aside through the stock ledger, one conditional
// update per allocation ("reserved + q where on_hand - reserved >= q"), so concurrent
// orders can never take more than there is; the database's check constraint is the
// second lock on the door.

export type { Consignment };

export interface ReserveStockInput extends AllocationScope {
  orderId: string;
  transitions: Transition[];
  /** R1.8 `partial`: reserve what is there now; the rest is back-ordered as this fulfilment. */
  partial?: { fulfilment: number };
}

export interface ReserveStockResult {
  allocations: Allocation[];
  consignments: Consignment[];
  reasons: string[];
  /** A partial reservation's rest, back-ordered (absent when the whole order is reserved). */
  later?: LineRequest[];
}

export const MAX_RACE_RETRIES = 8;

/**
 * Runs a reservation attempt: a shortage is the business failure InsufficientStock; a
 * race lost for the last units (StockShortage) re-reads and plans again — the activity's
 * own retry would do too, but this is quicker and keeps the history short.
 */
export async function reserveRetryingRaces<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof InsufficientStock) {
        throw businessFailure(BusinessFailure.InsufficientStock, err.message, { shortages: err.shortages });
      }
      if (err instanceof StockShortage && tries < MAX_RACE_RETRIES) continue;
      throw err;
    }
  }
}

/** The reservation rows of one fulfilment of the order (0: its own goods; n: the n-th replacement). */
export async function reservationsOf(tx: Tx | Db, orderId: string, fulfilment = 0) {
  return tx
    .select()
    .from(reservations)
    .where(and(eq(reservations.orderId, orderId), eq(reservations.fulfilment, fulfilment)))
    .orderBy(reservations.line, reservations.warehouseCode);
}

/** Marks reservation rows released or shipped (by their whole key, fulfilment included). */
export async function setReservationStatus(
  tx: Tx,
  rows: readonly { orderId: string; fulfilment: number; line: number; warehouseCode: string }[],
  status: 'released' | 'shipped',
): Promise<void> {
  for (const r of rows) {
    await tx
      .update(reservations)
      .set({ status, updatedAt: new Date() })
      .where(
        and(
          eq(reservations.orderId, r.orderId),
          eq(reservations.fulfilment, r.fulfilment),
          eq(reservations.line, r.line),
          eq(reservations.warehouseCode, r.warehouseCode),
        ),
      );
  }
}

export async function consignmentsFor(tx: Tx, order: OrderRow, allocations: readonly Allocation[]): Promise<Consignment[]> {
  const codes = [...new Set(allocations.map((a) => a.warehouseCode))].sort();
  const sites = new Map((await tx.select().from(warehouses).where(inArray(warehouses.code, codes))).map((w) => [w.code, w]));
  const skus = [...new Set(allocations.map((a) => a.sku))];
  const catalogue = new Map((await tx.select().from(products).where(inArray(products.sku, skus))).map((p) => [p.sku, p]));
  const items = new Map((await tx.select().from(orderItems).where(eq(orderItems.orderId, order.id))).map((i) => [i.line, i]));
  const address = order.customer.address;

  return codes.map((code) => {
    const site = sites.get(code)!;
    const lines = allocations.filter((a) => a.warehouseCode === code).map(({ line, sku, quantity }) => ({ line, sku, quantity }));
    const goods = lines.map((l) => ({ product: catalogue.get(l.sku)!, quantity: l.quantity, unitPrice: items.get(l.line)?.unitPrice ?? 0 }));
    const parcels = packParcels(
      goods.map((g) => ({
        weightGrams: g.product.weightGrams,
        quantity: g.quantity,
        dimensionsCm: { length: g.product.lengthCm, width: g.product.widthCm, height: g.product.heightCm },
      })),
    );
    return {
      warehouseCode: code,
      lines,
      rateRequest: {
        origin: { country: site.country, region: site.region, postalCode: site.postalCode },
        destination: { country: address.country, region: address.region, postalCode: address.postalCode },
        parcels: parcels.map((p) => ({
          weightGrams: p.weightGrams,
          lengthCm: p.dimensionsCm.length,
          widthCm: p.dimensionsCm.width,
          heightCm: p.dimensionsCm.height,
        })),
        handling: [...new Set(goods.map((g) => g.product.handling))],
        declaredValue: { amount: sum(goods.map((g) => multiply(g.unitPrice, g.quantity))), currency: order.currency },
      },
    };
  });
}

/** Which warehouses RESERVE may take from: those within its reach, and any the customer agreed to a transfer from. */
export interface AllocationScope {
  reach?: AllocationReach;
  alsoFrom?: string[];
}

/** Where the lines can come from now (nearest warehouses in scope with the stock), or InsufficientStock. */
export async function allocate(tx: Tx, order: OrderRow, lines: readonly LineRequest[], scope: AllocationScope = {}) {
  const skus = [...new Set(lines.map((l) => l.sku))];
  const stock = (await tx.select().from(inventoryLevels).where(inArray(inventoryLevels.sku, skus))).map((l) => ({
    sku: l.sku,
    warehouseCode: l.warehouseCode,
    available: l.onHand - l.reserved,
  }));
  const destination = order.customer.address;
  const sites = (await tx.select().from(warehouses)).filter(
    (s) => withinReach(s, destination, scope.reach) || (scope.alsoFrom ?? []).includes(s.code),
  );
  const plan = planAllocation([...lines], stock, sites, destination);
  if (!plan.ok) throw new InsufficientStock(plan.shortages);
  return plan;
}

/** The least available of each short SKU, as two shortage lists say. */
function merged(a: readonly Shortage[], b: readonly Shortage[]): Shortage[] {
  const bySku = new Map<string, Shortage>();
  for (const s of [...a, ...b]) {
    const earlier = bySku.get(s.sku);
    bySku.set(s.sku, earlier && earlier.available <= s.available ? earlier : s);
  }
  return [...bySku.values()];
}

/** `reach`: the configured ORDERFLOW_ALLOCATION_REACH the back-order queue serves waiting orders by. */
export function createInventoryActivities(db: Db, options: { reach?: AllocationReach } = {}) {
  async function tryReserve(input: ReserveStockInput): Promise<ReserveStockResult> {
    const { orderId, transitions } = input;
    return db.transaction(async (tx) => {
      const order = await lockOrder(tx, orderId);
      const rows = await reservationsOf(tx, orderId, 0);
      if (rows.some((r) => r.status === 'released') || order.status === 'cancelled') {
        // Only a cancellation gives stock back. An attempt that timed out before it and
        // reaches the database after it must not take the stock again for a dead order.
        throw ApplicationFailure.create({
          type: 'ReservationReleased',
          message: `order ${orderId} gave its stock back when it was cancelled; it is not reserved again`,
          nonRetryable: true,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const existing = rows.filter((r) => r.status !== 'released');
      if (existing.length > 0) {
        // Already reserved by an earlier attempt of this activity: answer as it did.
        const allocations = existing.map(({ line, sku, warehouseCode, quantity }) => ({ line, sku, warehouseCode, quantity }));
        await applyTransitions(tx, order, transitions);
        const later = order.backOrderedRest?.lines;
        return { allocations, consignments: await consignmentsFor(tx, order, allocations), reasons: ['already reserved'], ...(later ? { later } : {}) };
      }

      const lines = (await tx.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(orderItems.line)).map(
        ({ line, sku, quantity }) => ({ line, sku, quantity }),
      );
      // Every order leaves the units that back-ordered orders ahead of it in the queue
      // (priority, then age) wait for: neither a new order nor a back-ordered one looking
      // again on its own jumps the queue (R2.4). With nobody waiting this reads and passes.
      const queued = await queuedShortages(tx, order, lines, { reach: input.reach, alsoFrom: input.alsoFrom, queueReach: options.reach });
      let take: LineRequest[] = lines;
      let later: LineRequest[] = [];
      if (input.partial) {
        // The customer chose to take what is there now: the split is made again here, on
        // the stock as it is now (all of it, if the rest came meanwhile).
        let shortages = queued;
        try {
          await allocate(tx, order, lines, input);
        } catch (err) {
          if (!(err instanceof InsufficientStock)) throw err;
          shortages = merged(queued, err.shortages);
        }
        if (shortages.length > 0) {
          const split = partialSplit(lines, shortages);
          if (!split) throw new InsufficientStock(shortages);
          ({ now: take, later } = split);
        }
      } else if (queued.length > 0) {
        throw new InsufficientStock(queued);
      }
      const plan = await allocate(tx, order, take, input);

      const consignments = await consignmentsFor(tx, order, plan.allocations);
      await tx.insert(reservations).values(plan.allocations.map((a) => ({ orderId, ...a })));
      if (later.length > 0) {
        // R1.8 `partial`: the rest waits in the back-order queue as this fulfilment.
        await tx
          .update(orders)
          .set({ backOrderedRest: { fulfilment: input.partial!.fulfilment, lines: later }, reserveScope: reserveScope(input.reach, input.alsoFrom) })
          .where(eq(orders.id, orderId));
      }
      await applyTransitions(tx, order, transitions);
      // Last, right before the commit: every order reserves through the same few stock
      // level rows, and the row lock taken here is held until the commit. Taken first, it
      // was held across all the statements above and concurrent orders queued behind it.
      // Another order may have taken the stock since we read it: StockShortage, plan again.
      await reserve(tx, reservationMoves({ id: orderId, number: order.number }, plan.allocations));
      return { allocations: plan.allocations, consignments, reasons: plan.reasons, ...(later.length > 0 ? { later } : {}) };
    });
  }

  return {
    /** Reserves every line of the order, or raises InsufficientStock with the shortages. */
    async reserveStock(input: ReserveStockInput): Promise<ReserveStockResult> {
      try {
        return await reserveRetryingRaces(() => tryReserve(input));
      } catch (err) {
        // Short: the order is about to wait in the back-order queue, which judges it by
        // the scope it reserves with (its reach, agreed transfers), not the reach
        // configured when the stock comes. Written after the attempt rolled back.
        if (err instanceof ApplicationFailure && err.type === BusinessFailure.InsufficientStock) {
          await db.update(orders).set({ reserveScope: reserveScope(input.reach, input.alsoFrom) }).where(eq(orders.id, input.orderId));
        }
        throw err;
      }
    },

    /** Compensation for reserveStock: gives back whatever this order still holds. */
    async releaseStock(input: { orderId: string; transitions?: Transition[] }): Promise<{ released: number }> {
      const freed = await db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        // Every fulfilment's: a cancelled order keeps no replacement either.
        const held = await tx
          .select()
          .from(reservations)
          .where(and(eq(reservations.orderId, input.orderId), eq(reservations.status, 'held')))
          .orderBy(reservations.fulfilment, reservations.line, reservations.warehouseCode);
        await setReservationStatus(tx, held, 'released');
        // A back-ordered rest is given up with the order.
        if (order.backOrderedRest) await tx.update(orders).set({ backOrderedRest: null }).where(eq(orders.id, order.id));
        await applyTransitions(tx, order, input.transitions ?? []);
        // The shared stock level rows last, so their lock is held only until the commit.
        await release(tx, movesOfReservation('release', held, order.number));
        return { released: held.reduce((n, r) => n + r.quantity, 0), skus: [...new Set(held.map((r) => r.sku))] };
      });
      // Stock freed by a cancellation is stock arriving for the back-ordered orders: it
      // wakes them by priority, only as far as it goes, as a receipt does. A retry that
      // freed nothing wakes nobody; their own rechecks cover a lost signal.
      await wakeForFreedStock(db, freed.skus, options.reach);
      return { released: freed.released };
    },
  };
}

/** Wakes the back-ordered orders the freed stock of these SKUs serves (outside an activity, nobody: the rechecks do). */
export async function wakeForFreedStock(db: Db, skus: readonly string[], reach?: AllocationReach): Promise<void> {
  if (skus.length === 0) return;
  let deps: BackorderDeps;
  try {
    const context = Context.current();
    deps = { db, client: context.client, log: (message: string) => context.log.warn(message), ...(reach ? { reach } : {}) };
  } catch {
    return;
  }
  for (const sku of skus) await wakeBackorders(deps, sku);
}

export class InsufficientStock extends Error {
  constructor(readonly shortages: Shortage[]) {
    super(`not enough stock: ${shortages.map((s) => `${s.sku} needs ${s.requested}, ${s.available} available`).join('; ')}`);
  }
}
