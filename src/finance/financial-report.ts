import type { CounterpartyKind, LedgerEntryKind } from '../db/schema';

// R6.10: the financial report, per counterparty and settlement currency, computed from
// sums of ledger_entries.settlement_amount and nothing else, so every figure ties to the
// ledger to the cent. The query (financial-report-query.ts) sums the ledger by
// counterparty, currency, kind, account and side over the counterparty's own period; this
// file says which sums make which figure. Definitions (README "Financial report"):
//
//   revenue       sale journals (kind `settlement`): credits − debits on revenue and
//                 shipping_revenue, entered in the period
//   receivables   outstanding at the period's end: debits − credits on the receivable
//                 accounts, every entry before the end (customer_prepayments is a
//                 liability, not a receivable)
//   collected     money in: `cash` debits of kinds payment and cod_remitted in the period
//   settled       entries covered by settlement runs settled in the period — those a run
//                 posted (ledger_entries.settlement_id) and those of the run's agreement
//                 within the run's own period — with the run's status `settled` and
//                 settled_at in the report's period: their debits
//   adjustments, refunds, compensation, carrierCharges, writeOffs, purchases
//                 the journals of that kind entered in the period: their debits (equal
//                 to their credits, every journal balances)

export const REVENUE_ACCOUNTS = ['revenue', 'shipping_revenue'] as const;
export const RECEIVABLE_ACCOUNTS = ['cod_receivable', 'instalment_receivable', 'carrier_cod_receivable', 'counterparty_balance'] as const;
export const COLLECTION_KINDS: readonly LedgerEntryKind[] = ['payment', 'cod_remitted'];

/** A figure that is the debit side of the journals of one kind in the period. */
const VOLUME_FIGURES = {
  adjustments: 'adjustment',
  refunds: 'refund',
  compensation: 'compensation',
  carrierCharges: 'carrier_charge',
  writeOffs: 'write_off',
  purchases: 'purchase',
} as const satisfies Record<string, LedgerEntryKind>;

export const FIGURES = ['revenue', 'receivables', 'collected', 'settled', 'adjustments', 'refunds', 'compensation', 'carrierCharges', 'writeOffs', 'purchases'] as const;
export type Figure = (typeof FIGURES)[number];

/** One sum of the ledger: a counterparty's entries of one kind, account and side. */
export interface LedgerSum {
  counterpartyKind: CounterpartyKind;
  counterpartyId: string;
  /** The settlement currency the amounts are in. */
  currency: string;
  kind: LedgerEntryKind;
  account: string;
  side: 'debit' | 'credit';
  /** Entered in [start, end) of the counterparty's period. */
  inPeriod: number;
  entriesInPeriod: number;
  /** Entered before the period's end. */
  toEnd: number;
  /** Belonging to a settlement run settled within the period. */
  settled: number;
}

/** The period as it applies to one counterparty: bounds in its agreement's time zone. */
export interface CounterpartyWindow {
  timeZone: string;
  start: Date;
  end: Date;
}

export interface ReportLine {
  counterparty: { kind: CounterpartyKind; id: string };
  currency: string;
  window: CounterpartyWindow;
  entries: number;
  figures: Record<Figure, number>;
}

export interface CurrencyTotal {
  currency: string;
  counterparties: number;
  figures: Record<Figure, number>;
}

export interface FinancialReport {
  lines: ReportLine[];
  totals: CurrencyTotal[];
}

const zero = (): Record<Figure, number> => Object.fromEntries(FIGURES.map((f) => [f, 0])) as Record<Figure, number>;

function add(figures: Record<Figure, number>, figure: Figure, amount: number): void {
  const total = figures[figure] + amount;
  if (!Number.isSafeInteger(total)) throw new RangeError(`${figure} leaves the safe integer range`);
  figures[figure] = total;
}

/** What one ledger sum contributes to each figure. */
export function contributions(sum: LedgerSum): Partial<Record<Figure, number>> {
  const out: Partial<Record<Figure, number>> = {};
  const signed = (amount: number, positiveSide: 'debit' | 'credit') => (sum.side === positiveSide ? amount : -amount);
  if (sum.kind === 'settlement' && (REVENUE_ACCOUNTS as readonly string[]).includes(sum.account)) {
    out.revenue = signed(sum.inPeriod, 'credit');
  }
  if ((RECEIVABLE_ACCOUNTS as readonly string[]).includes(sum.account)) out.receivables = signed(sum.toEnd, 'debit');
  if (sum.side === 'debit') {
    if (COLLECTION_KINDS.includes(sum.kind) && sum.account === 'cash') out.collected = sum.inPeriod;
    if (sum.settled !== 0) out.settled = sum.settled;
    for (const [figure, kind] of Object.entries(VOLUME_FIGURES) as [Figure, LedgerEntryKind][]) {
      if (sum.kind === kind) out[figure] = sum.inPeriod;
    }
  }
  return out;
}

/**
 * The report from the ledger's sums and each counterparty's window. A counterparty
 * appears when it has entries in the period or any figure other than zero.
 */
export function buildFinancialReport(sums: readonly LedgerSum[], windowOf: (kind: CounterpartyKind, id: string) => CounterpartyWindow): FinancialReport {
  const lines = new Map<string, ReportLine>();
  for (const sum of sums) {
    const key = JSON.stringify([sum.counterpartyKind, sum.counterpartyId, sum.currency]);
    let line = lines.get(key);
    if (!line) {
      line = {
        counterparty: { kind: sum.counterpartyKind, id: sum.counterpartyId },
        currency: sum.currency,
        window: windowOf(sum.counterpartyKind, sum.counterpartyId),
        entries: 0,
        figures: zero(),
      };
      lines.set(key, line);
    }
    line.entries += sum.entriesInPeriod;
    for (const [figure, amount] of Object.entries(contributions(sum)) as [Figure, number][]) add(line.figures, figure, amount);
  }
  const shown = [...lines.values()]
    .filter((l) => l.entries > 0 || FIGURES.some((f) => l.figures[f] !== 0))
    .sort((a, b) => compare(a.counterparty.kind, b.counterparty.kind) || compare(a.counterparty.id, b.counterparty.id) || compare(a.currency, b.currency));

  // Totals per currency: amounts in different currencies are never added together.
  const totals = new Map<string, CurrencyTotal>();
  for (const line of shown) {
    const total = totals.get(line.currency) ?? { currency: line.currency, counterparties: 0, figures: zero() };
    total.counterparties += 1;
    for (const figure of FIGURES) add(total.figures, figure, line.figures[figure]);
    totals.set(line.currency, total);
  }
  return { lines: shown, totals: [...totals.values()].sort((a, b) => compare(a.currency, b.currency)) };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
