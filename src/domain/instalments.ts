// R6.1 instalments: the schedule an order's total is paid by, and which instalments the
// payments received so far pay. Pure: the collection workflow recomputes both from the
// payments it knows, so a payment heard twice (signal and lookup) counts once.

/**
 * Splits `total` (minor units) into `count` instalments that sum to it exactly, differ by
 * at most one unit, and are all positive: the remainder goes one unit each to the first
 * ones. A total smaller than the count has fewer instalments (no zero instalment).
 */
export function splitInstalments(total: number, count: number): number[] {
  if (!Number.isSafeInteger(total) || total <= 0) return [];
  const n = Math.max(1, Math.min(Math.floor(count) || 1, total));
  const base = Math.floor(total / n);
  const remainder = total - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < remainder ? 1 : 0));
}

/** The due instant of instalment `number` (1-based): one interval after the previous. */
export function instalmentDueAt(startedAtMs: number, intervalMs: number, number: number): number {
  return startedAtMs + intervalMs * number;
}

export interface ScheduledInstalment {
  number: number;
  amount: number;
}

export interface InstalmentPayment {
  paymentId: string;
  amount: number;
  /** The instalment the payer named; absent: the oldest one not yet paid. */
  instalmentNumber?: number;
}

/**
 * What each instalment has received: a payment goes to the instalment it names (up to
 * what is still open there), and the rest — or a payment naming none — to the oldest
 * open instalments first. Anything beyond the whole schedule is left over.
 */
export function allocatePayments(
  schedule: readonly ScheduledInstalment[],
  payments: readonly InstalmentPayment[],
): { received: Map<number, number>; paid: Set<number>; leftOver: number } {
  const received = new Map(schedule.map((i) => [i.number, 0]));
  const open = (i: ScheduledInstalment) => i.amount - (received.get(i.number) ?? 0);
  let leftOver = 0;
  const ordered = [...schedule].sort((a, b) => a.number - b.number);
  for (const payment of payments) {
    let rest = payment.amount;
    const named = ordered.find((i) => i.number === payment.instalmentNumber);
    for (const instalment of named ? [named, ...ordered.filter((i) => i !== named)] : ordered) {
      if (rest <= 0) break;
      const take = Math.min(rest, open(instalment));
      if (take <= 0) continue;
      received.set(instalment.number, (received.get(instalment.number) ?? 0) + take);
      rest -= take;
    }
    leftOver += rest;
  }
  const paid = new Set(ordered.filter((i) => open(i) <= 0).map((i) => i.number));
  return { received, paid, leftOver };
}

/**
 * A return forgives part of what is still owed (the goods came back unpaid): that amount
 * comes off the unpaid instalments, the last one first, never below what an instalment
 * has received. One reduced to nothing is cancelled; one reduced to what it received is
 * paid. Answers each instalment's new amount and the cancelled ones.
 */
export function forgiveInstalments(
  schedule: readonly ScheduledInstalment[],
  received: ReadonlyMap<number, number>,
  forgiven: number,
): { amounts: Map<number, number>; cancelled: number[]; leftOver: number } {
  const amounts = new Map(schedule.map((i) => [i.number, i.amount]));
  const cancelled: number[] = [];
  let rest = Math.max(0, forgiven);
  for (const i of [...schedule].sort((a, b) => b.number - a.number)) {
    if (rest <= 0) break;
    const got = received.get(i.number) ?? 0;
    const take = Math.min(rest, Math.max(0, i.amount - got));
    if (take <= 0) continue;
    amounts.set(i.number, i.amount - take);
    rest -= take;
    if (i.amount - take === 0) cancelled.push(i.number);
  }
  return { amounts, cancelled: cancelled.sort((a, b) => a - b), leftOver: rest };
}
