import { formatMoney } from './money';
import { LINE_KINDS, type DiscrepancyKind, type LineKind, type StatementLine } from './reconciliation-lines';

// R6.6, R6.7: our lines against theirs. Lines match on (reference, kind); within one key,
// lines equal in amount and currency pair first, the rest pair in a fixed order and
// differ in amount or currency, and what is left over on one side is missing on the
// other (the first of them) or a duplicate (any beyond the first). Pure and
// deterministic: the same lines in any order give the same result.

export interface MatchedPair {
  ours: StatementLine;
  theirs: StatementLine;
}

export interface LineDiscrepancy {
  kind: DiscrepancyKind;
  /**
   * Unique within one reconciliation, stable across runs over the same lines:
   * `{reference}/{lineKind}`, with `#2`, `#3`… for a second or third difference of the
   * same kind on the same key. Stored as the discrepancy's reference.
   */
  key: string;
  reference: string;
  lineKind: LineKind;
  ours?: StatementLine;
  theirs?: StatementLine;
  /** Ours minus theirs, minor units; 0 when the currencies differ (they do not subtract). */
  difference: number;
  currency: string;
  likelyCause: string;
  /** An amount difference no larger than the tolerance: adjusted without asking finance. */
  autoAdjustable: boolean;
  /** Our order id when either line knows it. */
  orderId?: string;
}

export interface Reconciliation {
  matched: MatchedPair[];
  discrepancies: LineDiscrepancy[];
}

export interface ReconcileOptions {
  /** Minor units of the settlement currency; an amount difference up to it is auto-adjustable. */
  tolerance: number;
}

const KIND_ORDER: Record<DiscrepancyKind, number> = { missing_theirs: 0, missing_ours: 1, amount_differs: 2, currency_differs: 3, duplicate: 4 };

export function reconcile(ours: readonly StatementLine[], theirs: readonly StatementLine[], options: ReconcileOptions): Reconciliation {
  const tolerance = Math.max(0, options.tolerance);
  const oursByKey = groupByKey(ours);
  const theirsByKey = groupByKey(theirs);
  const keys = [...new Set([...oursByKey.keys(), ...theirsByKey.keys()])].sort(compareText);

  const matched: MatchedPair[] = [];
  const found: Omit<LineDiscrepancy, 'key'>[] = [];
  for (const key of keys) {
    const o = oursByKey.get(key) ?? [];
    const t = theirsByKey.get(key) ?? [];
    const { reference, kind: lineKind } = (o[0] ?? t[0])!;

    // Equal lines pair first, so a duplicate never hides a match.
    const restOurs: StatementLine[] = [];
    const restTheirs = [...t];
    for (const line of o) {
      const twin = restTheirs.findIndex((x) => x.amount === line.amount && x.currency === line.currency);
      if (twin >= 0) matched.push({ ours: line, theirs: restTheirs.splice(twin, 1)[0]! });
      else restOurs.push(line);
    }

    const pairs = Math.min(restOurs.length, restTheirs.length);
    for (let i = 0; i < pairs; i++) {
      const a = restOurs[i]!;
      const b = restTheirs[i]!;
      if (a.currency !== b.currency) {
        found.push({ kind: 'currency_differs', reference, lineKind, ours: a, theirs: b, difference: 0, currency: a.currency, likelyCause: currencyCause(lineKind, a.currency, b.currency), autoAdjustable: false });
      } else {
        const difference = a.amount - b.amount;
        found.push({
          kind: 'amount_differs',
          reference,
          lineKind,
          ours: a,
          theirs: b,
          difference,
          currency: a.currency,
          likelyCause: amountCause(lineKind, difference, a.currency),
          autoAdjustable: Math.abs(difference) <= tolerance,
        });
      }
    }

    // Left over on one side: missing on the other, or — when the key is already there — a duplicate.
    for (const side of ['ours', 'theirs'] as const) {
      const rest = (side === 'ours' ? restOurs : restTheirs).slice(pairs);
      const otherHasKey = (side === 'ours' ? t : o).length > 0;
      rest.forEach((line, i) => {
        const missing = !otherHasKey && i === 0;
        const sign = side === 'ours' ? 1 : -1;
        found.push({
          kind: missing ? (side === 'ours' ? 'missing_theirs' : 'missing_ours') : 'duplicate',
          reference,
          lineKind,
          [side]: line,
          difference: sign * line.amount,
          currency: line.currency,
          likelyCause: missing ? missingCause(side, lineKind) : duplicateCause(side, lineKind),
          autoAdjustable: false,
        });
      });
    }
  }

  const seen = new Map<string, number>();
  const discrepancies = found
    .sort((a, b) => compareText(a.reference, b.reference) || compareText(a.lineKind, b.lineKind) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind])
    .map((d) => {
      const base = `${d.reference}/${d.lineKind}`;
      const n = (seen.get(`${d.kind} ${base}`) ?? 0) + 1;
      seen.set(`${d.kind} ${base}`, n);
      const orderId = d.ours?.orderId ?? d.theirs?.orderId;
      return { ...d, key: n === 1 ? base : `${base}#${n}`, ...(orderId ? { orderId } : {}) };
    });
  return { matched, discrepancies };
}

/** Lines grouped by (reference, kind), each group in a canonical order. */
function groupByKey(lines: readonly StatementLine[]): Map<string, StatementLine[]> {
  const groups = new Map<string, StatementLine[]>();
  for (const line of lines) {
    const key = `${line.reference}\u0000${line.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), line]);
  }
  for (const group of groups.values()) group.sort(compareLines);
  return groups;
}

export function compareLines(a: StatementLine, b: StatementLine): number {
  return (
    compareText(a.reference, b.reference) ||
    LINE_KINDS.indexOf(a.kind) - LINE_KINDS.indexOf(b.kind) ||
    a.amount - b.amount ||
    compareText(a.currency, b.currency) ||
    compareText(a.date, b.date) ||
    compareText(a.orderId ?? '', b.orderId ?? '') ||
    compareText(a.description ?? '', b.description ?? '')
  );
}

/** Code-unit order: the same everywhere, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- likely causes, in finance's words ----------------------------------------------

const LABEL: Record<LineKind, string> = {
  sale: 'sale',
  payment: 'payment',
  refund: 'refund',
  compensation: 'compensation',
  cod_collected: 'cash collected on delivery',
  cod_remitted: 'cash-on-delivery remittance',
  carrier_charge: 'carrier charge',
  adjustment: 'adjustment',
  write_off: 'write-off',
  purchase: 'purchase',
};

const NOT_ON_THEIRS: Partial<Record<LineKind, string>> = {
  sale: 'delivered after their cut-off, or not invoiced yet',
  payment: 'received after their cut-off, or booked under another reference',
  refund: 'issued after their cut-off, or not processed on their side yet',
  compensation: 'granted after their cut-off, or not credited on their side yet',
  cod_collected: 'collected after their cut-off, or not reported by the driver',
  cod_remitted: 'remitted after their cut-off, or still in transit',
  carrier_charge: 'not billed yet, or billed on another account',
  purchase: 'received after their cut-off, or not invoiced yet',
};

const NOT_ON_OURS: Partial<Record<LineKind, string>> = {
  sale: 'settled in another period, or not an order of ours',
  payment: 'not received by us yet, or booked under another reference',
  refund: 'refunded by them without our decision, or recorded by us in another period',
  compensation: 'granted by them without our decision, or recorded by us in another period',
  cod_collected: 'delivery not confirmed to us yet, or another merchant’s parcel',
  cod_remitted: 'remittance not arrived yet, or credited to another account',
  carrier_charge: 'a surcharge we were not told of, or a shipment not booked by us',
  purchase: 'invoiced before we received the goods, or a purchase order not ours',
};

const AMOUNT: Partial<Record<LineKind, string>> = {
  sale: 'shipping charged differently or a partial refund',
  payment: 'a partial payment, or fees deducted on the way',
  refund: 'a partial refund, or refunded with or without shipping',
  compensation: 'compensation agreed at another amount',
  cod_collected: 'cash short at the door, or a collection fee deducted',
  cod_remitted: 'a collection fee deducted from the remittance',
  carrier_charge: 'surcharges (fuel, remote area) or another rate card',
  purchase: 'a price other than the purchase order’s, or a quantity other than received',
};

function missingCause(side: 'ours' | 'theirs', kind: LineKind): string {
  return side === 'ours'
    ? `${LABEL[kind]} not on their statement: ${NOT_ON_THEIRS[kind] ?? 'after their cut-off, or not recorded by them yet'}`
    : `${LABEL[kind]} on their statement but not in our ledger for the period: ${NOT_ON_OURS[kind] ?? 'recorded by us in another period, or not ours'}`;
}

function duplicateCause(side: 'ours' | 'theirs', kind: LineKind): string {
  return side === 'theirs' ? `duplicate ${LABEL[kind]} line on their statement: billed twice` : `duplicate ${LABEL[kind]} line in our ledger: posted twice`;
}

function amountCause(kind: LineKind, difference: number, currency: string): string {
  const higher = difference > 0 ? 'ours is higher' : 'theirs is higher';
  return `amount differs by ${formatMoney({ amount: Math.abs(difference), currency })} (${higher}): ${AMOUNT[kind] ?? 'rounding, or fees'}`;
}

function currencyCause(kind: LineKind, ours: string, theirs: string): string {
  return `currency differs (ours ${ours}, theirs ${theirs}): ${LABEL[kind]} stated in the wrong currency, or converted on their side`;
}
