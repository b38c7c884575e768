import { randomUUID } from 'node:crypto';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../src/db/client';
import { agreements, discrepancies, orders, settlements, statements } from '../src/db/schema';
import { formatMoney } from '../src/domain/money';
import { reconcile, type LineDiscrepancy } from '../src/domain/reconciliation';
import type { DiscrepancyResolution, LineKind, StatementLine } from '../src/domain/reconciliation-lines';
import type { Journal } from '../src/domain/settlement';
import { ourLines } from '../src/finance/our-lines';
import type { ReconciliationOutcome } from '../workflows/settlement/activities';
import { Context } from '@temporalio/activity';
import { AftercareRefused, startAftercare } from './aftercare-start';
import { mergeCarriedOut } from './aftercare';
import { postJournal } from './ledger';

// R6.6–R6.9 on the finance queue: our lines against the counterparty's latest statement
// for the period, each difference recorded once, small ones adjusted at once, and
// finance's decisions carried out once.
//
// Rules (documented in the README, "Statements and the line format"):
// - No statement for the period yet: nothing to reconcile — no discrepancies; the
//   outcome says so (statementId null). A customer who never sends statements settles
//   on our ledger alone.
// - A discrepancy is unique per (settlement, kind, key) where key = `{reference}/{lineKind}`
//   (see src/domain/reconciliation.ts). Reconciling again after a newer statement
//   refreshes the figures of open ones, and closes open ones the newer statement no
//   longer shows: status `resolved`, resolution {action: 'superseded'}. One that comes
//   back is reopened. Auto-adjusted and finance-resolved ones are never touched again.
// - Only an amount difference within the agreement's tolerance is adjusted
//   automatically; a line missing on one side or a duplicate is a real event (a parcel,
//   a bill) and waits for finance whatever its size.
// - An adjustment moves our balance with the counterparty to their figure:
//   `reconciliation_adjustments` against `counterparty_balance`, sides by whether the
//   change raises or lowers what they owe us (a sale raises it, a payment lowers it…).
//   A write-off debits `bad_debt_expense` and credits `counterparty_balance`.

type DiscrepancyRow = typeof discrepancies.$inferSelect;
type StoredResolution = NonNullable<DiscrepancyRow['resolution']>;

/** +1: the line raises what the counterparty owes us; −1: it lowers it (or raises what we owe them). */
const BALANCE_DIRECTION: Record<LineKind, 1 | -1> = {
  sale: 1,
  cod_collected: 1,
  adjustment: 1,
  payment: -1,
  cod_remitted: -1,
  refund: -1,
  compensation: -1,
  carrier_charge: -1,
  write_off: -1,
  purchase: -1,
};

export const RECONCILIATION_ACTOR = 'reconciliation';

function notFound(type: string, message: string) {
  return ApplicationFailure.create({ type, message, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
}

async function settlementWithAgreement(tx: Tx, settlementId: string) {
  const [row] = await tx
    .select({ settlement: settlements, agreement: agreements })
    .from(settlements)
    .innerJoin(agreements, eq(agreements.id, settlements.agreementId))
    .where(eq(settlements.id, settlementId))
    .for('update', { of: settlements });
  if (!row) throw notFound('SettlementMissing', `settlement ${settlementId} is not in the database`);
  return row;
}

/**
 * The journal that moves our balance with the counterparty by `change` (minor units,
 * settlement currency): positive raises what they owe us.
 */
function adjustmentJournal(journalId: string, memo: string, currency: string, change: number): Journal {
  const amount = Math.abs(change);
  const [debit, credit] = change > 0 ? ['counterparty_balance', 'reconciliation_adjustments'] : ['reconciliation_adjustments', 'counterparty_balance'];
  return {
    journalId,
    memo,
    currency,
    lines: amount === 0 ? [] : [
      { account: debit, side: 'debit', amount },
      { account: credit, side: 'credit', amount },
    ],
  };
}

function lineKindOf(row: DiscrepancyRow): LineKind {
  return ((row.ours as StatementLine | null)?.kind ?? (row.theirs as StatementLine | null)?.kind ?? 'adjustment') as LineKind;
}

/** Giving up `amount` of ours-minus-theirs on a line of this kind changes their balance by this much. */
function balanceChange(row: DiscrepancyRow, amount: number): number {
  return -amount * BALANCE_DIRECTION[lineKindOf(row)];
}

/** JSON with object keys sorted: jsonb hands keys back in its own order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

export function createReconciliationActivities(db: Db) {
  async function recorded(tx: Db | Tx, settlementId: string) {
    return tx
      .select()
      .from(discrepancies)
      .where(eq(discrepancies.settlementId, settlementId))
      .orderBy(asc(discrepancies.reference), asc(discrepancies.kind));
  }

  const outcomeOf = (rows: DiscrepancyRow[], matched: number, extra: Record<string, unknown>): ReconciliationOutcome & Record<string, unknown> => ({
    matched,
    discrepancies: rows.map((r) => ({ id: r.id, kind: r.kind as LineDiscrepancy['kind'], status: r.status as 'open' | 'auto_adjusted' | 'resolved' })),
    ...extra,
  });

  return {
    async reconcileSettlement(input: { settlementId: string }): Promise<ReconciliationOutcome> {
      return db.transaction(async (tx) => {
        const { settlement, agreement } = await settlementWithAgreement(tx, input.settlementId);
        const [statement] = await tx
          .select()
          .from(statements)
          .where(and(eq(statements.agreementId, agreement.id), eq(statements.period, settlement.period)))
          .orderBy(desc(statements.createdAt), desc(statements.id))
          .limit(1);
        if (!statement) return outcomeOf(await recorded(tx, settlement.id), 0, { statementId: null, summary: 'no statement' });

        const ours = await ourLines(tx, {
          counterparty: { kind: agreement.counterpartyKind, id: agreement.counterpartyId },
          periodStart: settlement.periodStart,
          periodEnd: settlement.periodEnd,
          timeZone: agreement.timeZone,
        });
        const theirs = statement.lines as StatementLine[];
        const result = reconcile(ours, theirs, { tolerance: agreement.toleranceAmount });
        const now = new Date();
        // A line only they have still names our order when its reference is an order number.
        const unplaced = [...new Set(result.discrepancies.filter((d) => !d.orderId).map((d) => d.reference))];
        const orderByNumber = new Map(
          unplaced.length ? (await tx.select({ id: orders.id, number: orders.number }).from(orders).where(inArray(orders.number, unplaced))).map((o) => [o.number, o.id]) : [],
        );

        const existing = new Map((await recorded(tx, settlement.id)).map((r) => [`${r.kind} ${r.reference}`, r]));
        const current = new Set<string>();
        for (const d of result.discrepancies) {
          current.add(`${d.kind} ${d.key}`);
          const figures = {
            orderId: d.orderId ?? orderByNumber.get(d.reference) ?? null,
            ours: d.ours ?? null,
            theirs: d.theirs ?? null,
            difference: d.difference,
            currency: d.currency,
            likelyCause: d.likelyCause,
          };
          const row = existing.get(`${d.kind} ${d.key}`);
          if (!row) {
            await tx
              .insert(discrepancies)
              .values({ id: randomUUID(), settlementId: settlement.id, kind: d.kind, reference: d.key, status: 'open', ...figures, createdAt: now, updatedAt: now })
              .onConflictDoNothing();
            continue;
          }
          const superseded = row.status === 'resolved' && row.resolution?.action === 'superseded';
          if (row.status !== 'open' && !superseded) continue;
          const changed = superseded || canonical([row.orderId, row.ours, row.theirs, row.difference, row.currency, row.likelyCause]) !== canonical(Object.values(figures));
          if (changed) {
            await tx
              .update(discrepancies)
              .set({ ...figures, status: 'open', resolution: null, updatedAt: now })
              .where(eq(discrepancies.id, row.id));
          }
        }
        for (const [id, row] of existing) {
          if (row.status !== 'open' || current.has(id)) continue;
          const resolution: StoredResolution = { action: 'superseded', note: `not on statement ${statement.id}`, decidedBy: RECONCILIATION_ACTOR, decidedAt: now.toISOString() };
          await tx.update(discrepancies).set({ status: 'resolved', resolution, updatedAt: now }).where(eq(discrepancies.id, row.id));
        }

        // Within tolerance: adjust to their figure now, once (the journal id is the discrepancy's).
        for (const row of await recorded(tx, settlement.id)) {
          if (row.status !== 'open' || row.kind !== 'amount_differs') continue;
          if (row.currency !== agreement.settlementCurrency || Math.abs(row.difference) > agreement.toleranceAmount) continue;
          await postJournal(
            tx,
            row.orderId,
            adjustmentJournal(`adjustment:${row.id}`, `Reconciliation ${settlement.id}: ${row.reference} ${row.likelyCause}`, row.currency, balanceChange(row, row.difference)),
            'adjustment',
            { counterparty: { kind: agreement.counterpartyKind, id: agreement.counterpartyId }, settlementId: settlement.id },
          );
          const resolution: StoredResolution = {
            action: 'adjust',
            amount: row.difference,
            note: `within the agreement's tolerance of ${formatMoney({ amount: agreement.toleranceAmount, currency: agreement.settlementCurrency })}`,
            decidedBy: RECONCILIATION_ACTOR,
            decidedAt: now.toISOString(),
          };
          await tx.update(discrepancies).set({ status: 'auto_adjusted', resolution, updatedAt: now }).where(eq(discrepancies.id, row.id));
        }

        return outcomeOf(await recorded(tx, settlement.id), result.matched.length, {
          statementId: statement.id,
          ourLines: ours.length,
          theirLines: theirs.length,
        });
      });
    },

    async applyResolution(input: { settlementId: string; discrepancyId: string; resolution: DiscrepancyResolution }): Promise<{ status: 'resolved' }> {
      const decided = await decide(input);
      // reship / return: carried out by the order's own workflow (aftercare), once; a retry
      // after the decision was written finds it recorded and only makes sure it started.
      if (decided && !decided.carriedOut?.runId) {
        const request = { kind: decided.action, discrepancyId: input.discrepancyId, settlementId: input.settlementId, note: decided.note };
        try {
          const started = await startAftercare(Context.current().client, decided.orderId, request);
          await mergeCarriedOut(db, input.discrepancyId, { workflowId: started.workflowId, runId: started.runId }, { status: started.status, startedAt: new Date().toISOString() });
        } catch (err) {
          // The order cannot take it after all (its workflow was terminated, say): the
          // decision stands, and the discrepancy says why it was not carried out.
          if (!(err instanceof ApplicationFailure && err.type === AftercareRefused)) throw err;
          await mergeCarriedOut(db, input.discrepancyId, { status: 'failed', reason: err.message, runId: null });
        }
      }
      return { status: 'resolved' as const };
    },
  };

  /** The decision written (journals for adjust / write_off); for reship / return, what the order must carry out. */
  async function decide(input: { settlementId: string; discrepancyId: string; resolution: DiscrepancyResolution }) {
    return db.transaction(async (tx) => {
      const { settlement, agreement } = await settlementWithAgreement(tx, input.settlementId);
      const [row] = await tx
        .select()
        .from(discrepancies)
        .where(and(eq(discrepancies.id, input.discrepancyId), eq(discrepancies.settlementId, settlement.id)))
        .for('update');
      if (!row) throw notFound('DiscrepancyMissing', `discrepancy ${input.discrepancyId} is not one of settlement ${settlement.id}`);
      // Decided already (by finance, or adjusted within tolerance): a second decision changes nothing.
      if (row.status !== 'open') return aftercareOf(row);

      const { action, note, decidedBy } = input.resolution;
      if (action === 'reship' || action === 'return') {
        // Refused before anything is written: finance decides again (adjust, write_off).
        if (!row.orderId) {
          throw ApplicationFailure.create({
            type: 'ResolutionNeedsOrder',
            message: `${action} is carried out by the order's workflow, and discrepancy ${row.id} (${row.reference}) names no order (orderId is null)`,
            nonRetryable: true,
          });
        }
        const [order] = await tx.select({ status: orders.status, number: orders.number }).from(orders).where(eq(orders.id, row.orderId));
        if (!order || order.status === 'cancelled' || order.status === 'refunded') {
          throw ApplicationFailure.create({
            type: AftercareRefused,
            message: `order ${order?.number ?? row.orderId} is ${order?.status ?? 'not in the database'}: there is nothing kept to ${action}`,
            nonRetryable: true,
          });
        }
      }
      const given = input.resolution.amount;
      if (given !== undefined && !Number.isSafeInteger(given)) {
        throw ApplicationFailure.create({ type: 'InvalidResolution', message: `amount ${given} is not whole minor units`, nonRetryable: true });
      }
      // An amount finance gives is how much, not which way: it goes the way of the
      // difference (ours − theirs; ours higher when there is none, as with a currency).
      const amount = given === undefined ? row.difference : Math.abs(given) * (row.difference < 0 ? -1 : 1);
      const posting = { counterparty: { kind: agreement.counterpartyKind, id: agreement.counterpartyId }, settlementId: settlement.id };
      const memo = `Settlement ${settlement.id}: ${action} ${row.reference} (${note})`;
      const currency = agreement.settlementCurrency;
      if (action === 'adjust') {
        await postJournal(tx, row.orderId, adjustmentJournal(`adjustment:${row.id}`, memo, currency, balanceChange(row, amount)), 'adjustment', posting);
      } else if (action === 'write_off' && amount !== 0) {
        const written = Math.abs(amount);
        await postJournal(
          tx,
          row.orderId,
          {
            journalId: `write-off:${row.id}`,
            memo,
            currency,
            lines: [
              { account: 'bad_debt_expense', side: 'debit', amount: written },
              { account: 'counterparty_balance', side: 'credit', amount: written },
            ],
          },
          'write_off',
          posting,
        );
      }
      // reship / return: recorded here, carried out by the order's workflow (applyResolution).
      const resolution: StoredResolution = {
        action,
        ...(action === 'adjust' || action === 'write_off' || given !== undefined ? { amount } : {}),
        note,
        decidedBy,
        decidedAt: new Date().toISOString(),
      };
      await tx.update(discrepancies).set({ status: 'resolved', resolution, updatedAt: sql`now()` }).where(eq(discrepancies.id, row.id));
      return aftercareOf({ ...row, resolution });
    });
  }
}

const isAftercare = (action: string | undefined): action is 'reship' | 'return' => action === 'reship' || action === 'return';

/** A finance-resolved reship / return on an order, with how far carrying it out got. */
function aftercareOf(row: DiscrepancyRow) {
  const action = row.resolution?.action;
  if (!isAftercare(action) || !row.orderId || row.resolution?.decidedBy === RECONCILIATION_ACTOR) return undefined;
  return { action, orderId: row.orderId, note: row.resolution!.note, carriedOut: row.resolution!.carriedOut };
}
