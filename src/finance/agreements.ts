import { randomUUID } from 'node:crypto';
import { and, asc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client';
import { agreements, type CounterpartyKind } from '../db/schema';
import type { SettlementCycle, SettlementDay } from '../domain/settlement-cycle';

// R6.2: one agreement per counterparty — how it pays (method), how often we settle
// (cycle, settlement day), in which currency and time zone, and the difference finance
// lets reconciliation adjust on its own (tolerance). Terms are fixed once agreed: the
// same terms posted again are the same agreement; other terms for the same
// counterparty are a conflict (a change of terms is a new agreement, not an edit: the
// Schedule and past runs were made from the old ones).

export interface AgreementTerms {
  counterparty: { kind: CounterpartyKind; id: string };
  method: string;
  cycle: SettlementCycle;
  settlementDay: SettlementDay;
  settlementCurrency: string;
  timeZone: string;
  tolerance: number;
}

export type AgreementRow = typeof agreements.$inferSelect;

export const settlementDayOf = (row: AgreementRow): SettlementDay => (row.settlementDay === 'last' ? 'last' : Number(row.settlementDay));

export function agreementJson(row: AgreementRow) {
  return {
    id: row.id,
    counterparty: { kind: row.counterpartyKind, id: row.counterpartyId },
    method: row.method,
    cycle: row.cycle,
    settlementDay: settlementDayOf(row),
    settlementCurrency: row.settlementCurrency,
    timeZone: row.timeZone,
    tolerance: row.toleranceAmount,
    createdAt: row.createdAt.toISOString(),
  };
}

const sameTerms = (row: AgreementRow, terms: AgreementTerms) =>
  row.method === terms.method &&
  row.cycle === terms.cycle &&
  row.settlementDay === String(terms.settlementDay) &&
  row.settlementCurrency === terms.settlementCurrency &&
  row.timeZone === terms.timeZone &&
  row.toleranceAmount === terms.tolerance;

export type AgreementOutcome =
  | { kind: 'created'; agreement: AgreementRow }
  | { kind: 'existing'; agreement: AgreementRow }
  | { kind: 'conflict'; agreement: AgreementRow };

/** Records an agreement once per counterparty. */
export async function recordAgreement(db: Db, terms: AgreementTerms): Promise<AgreementOutcome> {
  const inserted = await db
    .insert(agreements)
    .values({
      id: randomUUID(),
      counterpartyKind: terms.counterparty.kind,
      counterpartyId: terms.counterparty.id,
      method: terms.method,
      cycle: terms.cycle,
      settlementDay: String(terms.settlementDay),
      settlementCurrency: terms.settlementCurrency,
      timeZone: terms.timeZone,
      toleranceAmount: terms.tolerance,
    })
    .onConflictDoNothing()
    .returning();
  if (inserted[0]) return { kind: 'created', agreement: inserted[0] };
  const [existing] = await db
    .select()
    .from(agreements)
    .where(and(eq(agreements.counterpartyKind, terms.counterparty.kind), eq(agreements.counterpartyId, terms.counterparty.id)));
  if (!existing) throw new Error(`agreement for ${terms.counterparty.kind} ${terms.counterparty.id} neither inserted nor found`);
  return { kind: sameTerms(existing, terms) ? 'existing' : 'conflict', agreement: existing };
}

export async function noteSchedule(db: Db, agreementId: string, scheduleId: string): Promise<void> {
  await db.update(agreements).set({ scheduleId, updatedAt: new Date() }).where(eq(agreements.id, agreementId));
}

export async function findAgreement(db: Db, id: string): Promise<AgreementRow | undefined> {
  const [row] = await db.select().from(agreements).where(eq(agreements.id, id));
  return row;
}

export async function listAgreements(db: Db, filter: { counterpartyKind?: string; counterpartyId?: string; limit: number }) {
  const where: SQL[] = [];
  if (filter.counterpartyKind) where.push(eq(agreements.counterpartyKind, filter.counterpartyKind as CounterpartyKind));
  if (filter.counterpartyId) where.push(eq(agreements.counterpartyId, filter.counterpartyId));
  return db
    .select()
    .from(agreements)
    .where(and(...where))
    .orderBy(asc(agreements.createdAt), asc(agreements.id))
    .limit(filter.limit);
}
