import { and, eq, inArray, type Column, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { orderOwners, orders } from '../db/schema';
import type { Caller } from './auth';
import { HttpProblem } from './problem';

// Tenancy: an integrator key sees only the orders it placed (itself or through a partner
// channel); operators, finance and admin see all. Another integrator's order answers
// exactly as a missing one — a 404 — so no one learns which orders exist.

/** True when this caller sees every order. */
export const seesAllOrders = (caller: Caller | undefined): boolean => caller !== undefined && caller.role !== 'integrator';

/**
 * A condition limiting a list to the orders the caller may see (`column` holds the order
 * id: `orders.id`, `payments.order_id`…); undefined for those who see all.
 */
export function ownedOrders(db: Db, caller: Caller | undefined, column: Column = orders.id): SQL | undefined {
  if (seesAllOrders(caller)) return undefined;
  const mine = db
    .select({ id: orderOwners.orderId })
    .from(orderOwners)
    .where(eq(orderOwners.keyId, caller?.keyId ?? ''));
  return inArray(column, mine);
}

/** Whether the caller may see the order with this id (a UUID). */
export async function maySeeOrder(db: Db, caller: Caller | undefined, orderId: string): Promise<boolean> {
  if (seesAllOrders(caller)) return true;
  const [row] = await db
    .select({ id: orderOwners.orderId })
    .from(orderOwners)
    .where(and(eq(orderOwners.orderId, orderId), eq(orderOwners.keyId, caller?.keyId ?? '')));
  return row !== undefined;
}

/**
 * The order's id (a UUID as given, or an OF- number resolved) when the caller may see it;
 * otherwise the very 404 a missing order gets. Whether the order exists is not checked
 * for those who see all: the command or read that follows answers that.
 */
export async function visibleOrderId(db: Db, caller: Caller | undefined, idOrNumber: string): Promise<string> {
  let id = idOrNumber;
  if (idOrNumber.startsWith('OF-')) {
    const [row] = await db.select({ id: orders.id }).from(orders).where(eq(orders.number, idOrNumber));
    if (!row) throw orderNotFound(idOrNumber);
    id = row.id;
  }
  if (!(await maySeeOrder(db, caller, id))) throw orderNotFound(idOrNumber);
  return id;
}

export const orderNotFound = (shownAs: string) => new HttpProblem(404, 'Not found', `no order ${shownAs}`);
