import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { inventoryLevels, stockMovements, type StockMovementKind } from '../db/schema';
import { reviewThreshold } from './alerts';

// The one way stock moves. Each movement is a row in the append-only stock_movements
// ledger and the same change to inventory_levels, written in the caller's transaction;
// the movement's key makes a retried write a no-op, so activities stay idempotent.
// Every function either writes both halves or throws — and a throw must end the
// transaction (let it roll back), exactly as a violated check constraint would.
// Every applied movement is also held against its level's safety stock (alerts.ts): a
// fall below opens the shortage alert, a rise back to it closes the alert — in the same
// transaction, so no movement can slip past its threshold.

export type StockLevel = typeof inventoryLevels.$inferSelect;
export type StockMovementRecord = typeof stockMovements.$inferSelect;

/** A quantity of one SKU moving in one warehouse, under a key that names this movement alone. */
export interface StockMove {
  sku: string;
  warehouseCode: string;
  /** Always positive: the verb says which way it moves. */
  quantity: number;
  /** Natural key of the movement (e.g. `reserve:{order}:{line}:{warehouse}` for a reservation): written at most once. */
  key: string;
  orderId?: string;
  reference?: string | null;
}

/** What each kind of movement does to on-hand and reserved, per unit. */
const EFFECT: Record<Exclude<StockMovementKind, 'adjustment' | 'receipt' | 'transfer_in'>, { onHand: number; reserved: number }> = {
  reservation: { onHand: 0, reserved: 1 },
  release: { onHand: 0, reserved: -1 },
  shipment: { onHand: -1, reserved: -1 },
  // Goods back from the carrier (a refused parcel) go back on the shelf.
  return: { onHand: 1, reserved: 0 },
  // Goods already shipped and lost or damaged on the way: nothing here changes, but the
  // loss is on the books (the movement carries its quantity).
  write_off: { onHand: 0, reserved: 0 },
  // Leaves for another of our warehouses; arrives there as a transfer_in (received like a receipt).
  transfer_out: { onHand: -1, reserved: 0 },
};

/** Not enough available stock for a reservation: someone else took it. Roll back and plan again. */
export class StockShortage extends Error {
  constructor(readonly move: StockMove) {
    super(`not enough available stock of ${move.sku} at ${move.warehouseCode} to reserve ${move.quantity}`);
    this.name = 'StockShortage';
  }
}

/** A movement that cannot be applied (no stock level to apply it to, a bad quantity): a bug, not a business case. */
export class LedgerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerError';
  }
}

/**
 * Writes the movements not written before and applies each to its level. `guard`
 * makes the level change conditional (a reservation only takes what is available);
 * when it fails, StockShortage. Returns the movements applied now.
 */
async function record(
  tx: Tx,
  kind: keyof typeof EFFECT,
  moves: readonly StockMove[],
  guardAvailable = false,
): Promise<StockMove[]> {
  for (const m of moves) {
    if (!Number.isSafeInteger(m.quantity) || m.quantity <= 0) throw new LedgerError(`a ${kind} of ${m.quantity} ${m.sku} is not a movement`);
  }
  if (moves.length === 0) return [];
  const effect = EFFECT[kind];
  const inserted = await tx
    .insert(stockMovements)
    .values(
      moves.map((m) => ({
        sku: m.sku,
        warehouseCode: m.warehouseCode,
        kind,
        onHandDelta: effect.onHand * m.quantity,
        reservedDelta: effect.reserved * m.quantity,
        orderId: m.orderId ?? null,
        reference: m.reference ?? null,
        quantity: m.quantity,
        idempotencyKey: m.key,
      })),
    )
    .onConflictDoNothing()
    .returning({ key: stockMovements.idempotencyKey });
  const fresh = new Set(inserted.map((r) => r.key));
  const applied = moves.filter((m) => fresh.delete(m.key));
  // Levels are locked in one order (SKU, then warehouse) by every writer: two orders
  // moving the same goods wait for each other instead of deadlocking.
  const byLevel = [...applied].sort((a, b) => (a.sku === b.sku ? cmp(a.warehouseCode, b.warehouseCode) : cmp(a.sku, b.sku)));
  for (const m of byLevel) {
    const updated = await tx
      .update(inventoryLevels)
      .set({
        onHand: sql`${inventoryLevels.onHand} + ${effect.onHand * m.quantity}`,
        reserved: sql`${inventoryLevels.reserved} + ${effect.reserved * m.quantity}`,
        updatedAt: new Date(),
      })
      .where(
        and(
          eq(inventoryLevels.sku, m.sku),
          eq(inventoryLevels.warehouseCode, m.warehouseCode),
          guardAvailable ? gte(sql`${inventoryLevels.onHand} - ${inventoryLevels.reserved}`, m.quantity) : undefined,
        ),
      )
      .returning({ sku: inventoryLevels.sku });
    if (updated.length === 0) {
      if (guardAvailable) throw new StockShortage(m);
      throw new LedgerError(`no stock level for ${m.sku} at ${m.warehouseCode}`);
    }
    await reviewThreshold(tx, m.sku, m.warehouseCode);
  }
  return applied;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The key of one reservation row's movement. Its prefix (`reserve`, `release`, `ship`)
 * is the key's own and stays as keys were first written (a retry after the movement
 * kinds were renamed must find its earlier key); the kind column says `reservation`,
 * `release`, `shipment`. The order's own goods (fulfilment 0) keep
 * the keys they always had; a replacement's (fulfilment n) say which fulfilment they are,
 * so a replacement of line 1 from the same warehouse is never mistaken for the original.
 */
export function reservationKey(
  kind: 'reserve' | 'release' | 'ship',
  r: { orderId: string; line: number; warehouseCode: string; fulfilment?: number | null },
): string {
  const f = r.fulfilment ? `f${r.fulfilment}:` : '';
  return `${kind}:${r.orderId}:${f}${r.line}:${r.warehouseCode}`;
}

/** The moves that reserve an order's allocations (of fulfilment `fulfilment`, the order's own when absent), one key per line and warehouse. */
export function reservationMoves(
  order: { id: string; number: string | null },
  allocations: readonly { line: number; sku: string; warehouseCode: string; quantity: number }[],
  fulfilment?: number,
): StockMove[] {
  return allocations.map((a) => ({
    sku: a.sku,
    warehouseCode: a.warehouseCode,
    quantity: a.quantity,
    orderId: order.id,
    reference: order.number,
    key: reservationKey('reserve', { orderId: order.id, line: a.line, warehouseCode: a.warehouseCode, fulfilment }),
  }));
}

/** A reservation's lines as the moves that give it back or send it out, one key per line and warehouse (and fulfilment). */
export function movesOfReservation(
  kind: 'release' | 'ship',
  held: readonly { sku: string; warehouseCode: string; quantity: number; orderId: string; line: number; fulfilment?: number | null }[],
  reference: string | null | undefined,
): StockMove[] {
  return held.map((r) => ({
    sku: r.sku,
    warehouseCode: r.warehouseCode,
    quantity: r.quantity,
    orderId: r.orderId,
    reference: reference ?? null,
    key: reservationKey(kind, r),
  }));
}

/** Sets stock aside for an order, all of it or StockShortage (the caller rolls back). */
export async function reserve(tx: Tx, moves: readonly StockMove[]): Promise<StockMove[]> {
  return record(tx, 'reservation', moves, true);
}

/** Gives reserved stock back to what is available (a cancelled order, a compensation). */
export async function release(tx: Tx, moves: readonly StockMove[]): Promise<StockMove[]> {
  return record(tx, 'release', moves);
}

/** Goods the carrier brought back go back on the shelf. */
export async function restock(tx: Tx, moves: readonly StockMove[]): Promise<StockMove[]> {
  return record(tx, 'return', moves);
}

/** Shipped goods lost or damaged on the way: recorded, with no figure here to change. */
export async function writeOff(tx: Tx, moves: readonly StockMove[]): Promise<StockMove[]> {
  return record(tx, 'write_off', moves);
}

/** Available stock leaves for another warehouse, all of it or StockShortage (the caller rolls back). */
export async function transferOut(tx: Tx, moves: readonly StockMove[]): Promise<StockMove[]> {
  return record(tx, 'transfer_out', moves, true);
}

/** Reserved stock leaves the shelf with the carrier. */
export async function ship(tx: Tx, moves: readonly StockMove[]): Promise<StockMove[]> {
  return record(tx, 'shipment', moves);
}

export type ReceiveResult =
  | { recorded: true; level: StockLevel }
  /** The key was written before: nothing changed; `earlier` is that movement, `level` its figure now. */
  | { recorded: false; level: StockLevel; earlier: StockMovementRecord };

/**
 * Goods arrive in a warehouse — from a supplier (receipt) or from another of ours
 * (transfer_in); the SKU's first arrival there creates its stock level.
 */
export async function receive(tx: Tx, move: StockMove, kind: 'receipt' | 'transfer_in' = 'receipt'): Promise<ReceiveResult> {
  if (!Number.isSafeInteger(move.quantity) || move.quantity <= 0) throw new LedgerError(`a ${kind} of ${move.quantity} ${move.sku} is not a movement`);
  const inserted = await tx
    .insert(stockMovements)
    .values({
      sku: move.sku,
      warehouseCode: move.warehouseCode,
      kind,
      onHandDelta: move.quantity,
      reservedDelta: 0,
      orderId: move.orderId ?? null,
      reference: move.reference ?? null,
      idempotencyKey: move.key,
    })
    .onConflictDoNothing()
    .returning({ id: stockMovements.id });
  if (inserted.length === 0) {
    const [earlier] = await tx.select().from(stockMovements).where(eq(stockMovements.idempotencyKey, move.key));
    // The earlier movement's own figure: the key may have been used for other goods.
    const level = earlier && (await levelOf(tx, earlier.sku, earlier.warehouseCode));
    if (!earlier || !level) throw new LedgerError(`movement ${move.key} is recorded but its stock level is not`);
    return { recorded: false, level, earlier };
  }
  const [level] = await tx
    .insert(inventoryLevels)
    .values({ sku: move.sku, warehouseCode: move.warehouseCode, onHand: move.quantity })
    .onConflictDoUpdate({
      target: [inventoryLevels.sku, inventoryLevels.warehouseCode],
      set: { onHand: sql`${inventoryLevels.onHand} + ${move.quantity}`, updatedAt: new Date() },
    })
    .returning();
  await reviewThreshold(tx, move.sku, move.warehouseCode);
  return { recorded: true, level: level! };
}

/** A counted correction that would leave less on hand than is reserved (or than nothing). */
export class AdjustmentRefused extends Error {
  constructor(
    readonly adjustment: Adjustment,
    readonly level: { onHand: number; reserved: number },
  ) {
    super(
      `an adjustment of ${adjustment.delta} ${adjustment.sku} at ${adjustment.warehouseCode} would leave ${level.onHand + adjustment.delta} on hand, ${level.reserved} being reserved`,
    );
    this.name = 'AdjustmentRefused';
  }
}

export interface Adjustment {
  sku: string;
  warehouseCode: string;
  /** Signed, never zero: counted minus booked. */
  delta: number;
  key: string;
  reference?: string | null;
}

export type AdjustResult = ReceiveResult;

/**
 * A counted correction (R2.2): on hand moves by `delta`, never below what is reserved
 * (AdjustmentRefused; the caller rolls back). A positive correction where nothing was
 * booked creates the level.
 */
export async function adjust(tx: Tx, a: Adjustment): Promise<AdjustResult> {
  if (!Number.isSafeInteger(a.delta) || a.delta === 0) throw new LedgerError(`an adjustment of ${a.delta} ${a.sku} is not a movement`);
  const inserted = await tx
    .insert(stockMovements)
    .values({
      sku: a.sku,
      warehouseCode: a.warehouseCode,
      kind: 'adjustment',
      onHandDelta: a.delta,
      reservedDelta: 0,
      reference: a.reference ?? null,
      quantity: Math.abs(a.delta),
      idempotencyKey: a.key,
    })
    .onConflictDoNothing()
    .returning({ id: stockMovements.id });
  if (inserted.length === 0) {
    const [earlier] = await tx.select().from(stockMovements).where(eq(stockMovements.idempotencyKey, a.key));
    const level = earlier && (await levelOf(tx, earlier.sku, earlier.warehouseCode));
    if (!earlier || !level) throw new LedgerError(`movement ${a.key} is recorded but its stock level is not`);
    return { recorded: false, level, earlier };
  }
  let level: StockLevel | undefined;
  if (a.delta > 0) {
    [level] = await tx
      .insert(inventoryLevels)
      .values({ sku: a.sku, warehouseCode: a.warehouseCode, onHand: a.delta })
      .onConflictDoUpdate({
        target: [inventoryLevels.sku, inventoryLevels.warehouseCode],
        set: { onHand: sql`${inventoryLevels.onHand} + ${a.delta}`, updatedAt: new Date() },
      })
      .returning();
  } else {
    [level] = await tx
      .update(inventoryLevels)
      .set({ onHand: sql`${inventoryLevels.onHand} + ${a.delta}`, updatedAt: new Date() })
      .where(
        and(
          eq(inventoryLevels.sku, a.sku),
          eq(inventoryLevels.warehouseCode, a.warehouseCode),
          gte(sql`${inventoryLevels.onHand} - ${inventoryLevels.reserved}`, -a.delta),
        ),
      )
      .returning();
    if (!level) {
      const now = await levelOf(tx, a.sku, a.warehouseCode);
      throw new AdjustmentRefused(a, { onHand: now?.onHand ?? 0, reserved: now?.reserved ?? 0 });
    }
  }
  await reviewThreshold(tx, a.sku, a.warehouseCode);
  return { recorded: true, level: level! };
}

export async function levelOf(tx: Tx | Db, sku: string, warehouseCode: string): Promise<StockLevel | undefined> {
  const [level] = await tx
    .select()
    .from(inventoryLevels)
    .where(and(eq(inventoryLevels.sku, sku), eq(inventoryLevels.warehouseCode, warehouseCode)));
  return level;
}

export interface LedgerDiscrepancy {
  sku: string;
  warehouseCode: string;
  level: { onHand: number; reserved: number };
  ledger: { onHand: number; reserved: number };
}

/** Levels that differ from the sum of their movements (none, if every movement went through here). */
export async function ledgerDiscrepancies(db: Tx | Db): Promise<LedgerDiscrepancy[]> {
  const sums = await db
    .select({
      sku: stockMovements.sku,
      warehouseCode: stockMovements.warehouseCode,
      onHand: sql<number>`coalesce(sum(${stockMovements.onHandDelta}), 0)::int`,
      reserved: sql<number>`coalesce(sum(${stockMovements.reservedDelta}), 0)::int`,
    })
    .from(stockMovements)
    .groupBy(stockMovements.sku, stockMovements.warehouseCode);
  const levels = await db.select().from(inventoryLevels);
  const at = (sku: string, warehouseCode: string) => JSON.stringify([sku, warehouseCode]);
  const figures = new Map<string, LedgerDiscrepancy>();
  const entry = (sku: string, warehouseCode: string) => {
    const k = at(sku, warehouseCode);
    let e = figures.get(k);
    if (!e) figures.set(k, (e = { sku, warehouseCode, level: { onHand: 0, reserved: 0 }, ledger: { onHand: 0, reserved: 0 } }));
    return e;
  };
  for (const l of levels) entry(l.sku, l.warehouseCode).level = { onHand: l.onHand, reserved: l.reserved };
  for (const m of sums) entry(m.sku, m.warehouseCode).ledger = { onHand: m.onHand, reserved: m.reserved };
  return [...figures.values()].filter((e) => e.level.onHand !== e.ledger.onHand || e.level.reserved !== e.ledger.reserved);
}
