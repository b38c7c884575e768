// R1.8 `partial`: the customer gives up the back-ordered rest. They are charged for what
// shipped only: what they paid beyond that is refunded (up to the rest's value), and the
// part of the rest's value they have not paid comes off the order's total, so SETTLE
// (total less refunds) charges exactly the first part, paid or not.

export interface RestMoney {
  /** The order's total now, and what was refunded of it so far. */
  total: number;
  refunded: number;
  /** Every payment received for the order. */
  paid: number;
  /** The rest's goods at the order's prices. */
  value: number;
}

export interface RestCancellation {
  /** Paid back now (a refund journal). */
  refund: number;
  /** Taken off the order's total (never paid, never charged). */
  writeDown: number;
}

export function restCancellation({ total, refunded, paid, value }: RestMoney): RestCancellation {
  const rest = Math.max(0, Math.min(value, total - refunded));
  // What the customer owes once the rest is gone, against what they hold paid.
  const owed = total - refunded - rest;
  const holds = Math.max(0, paid - refunded);
  const refund = Math.min(rest, Math.max(0, holds - owed));
  return { refund, writeDown: rest - refund };
}

/** cancelRest's failure type: the rest no longer waits (a reservation attempt the workflow gave up on took the stock). */
export const REST_NOT_WAITING = 'RestNotWaiting';
