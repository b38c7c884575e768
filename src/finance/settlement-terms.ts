import { and, desc, eq, lte } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { agreements, fxRates, orders, type CounterpartyKind } from '../db/schema';
import { formatRate, IDENTITY, invert, parseRate, type Rate } from '../domain/fx';

// R6.2, R6.3: whom an entry is settled with, under which agreement, and the rate that
// turns its amount into the agreement's settlement currency at the moment of entry.

export interface Counterparty {
  kind: CounterpartyKind;
  id: string;
}

export interface SettlementTerms {
  counterparty: Counterparty;
  agreementId: string | null;
  settlementCurrency: string;
  rate: Rate;
  /** The fx_rates row used; null when no conversion was needed. */
  rateId: number | null;
}

/** No rate in force: finance must post one (`POST /v1/fx-rates`); the activity retries until then. */
export class FxRateMissing extends Error {
  override name = 'FxRateMissing';
  constructor(readonly base: string, readonly quote: string, at: Date) {
    super(`no ${base}→${quote} exchange rate in force at ${at.toISOString()}; post one to /v1/fx-rates`);
  }
}

/** The rate in force at `at`: the latest as_of at or before it, direct or inverted. */
export async function rateInForce(db: Db | Tx, base: string, quote: string, at: Date): Promise<{ rate: Rate; rateId: number | null }> {
  if (base === quote) return { rate: IDENTITY, rateId: null };
  const latest = async (b: string, q: string) =>
    (
      await db
        .select()
        .from(fxRates)
        .where(and(eq(fxRates.base, b), eq(fxRates.quote, q), lte(fxRates.asOf, at)))
        .orderBy(desc(fxRates.asOf))
        .limit(1)
    )[0];
  const direct = await latest(base, quote);
  const inverse = await latest(quote, base);
  // The more recent of the two quotations wins; a direct one on a tie.
  if (direct && (!inverse || direct.asOf >= inverse.asOf)) return { rate: parseRate(direct.rate), rateId: direct.id };
  if (inverse) return { rate: invert(parseRate(inverse.rate)), rateId: inverse.id };
  throw new FxRateMissing(base, quote, at);
}

/** The agreement with this counterparty, if there is one. */
export async function agreementWith(db: Db | Tx, counterparty: Counterparty) {
  const [row] = await db
    .select()
    .from(agreements)
    .where(and(eq(agreements.counterpartyKind, counterparty.kind), eq(agreements.counterpartyId, counterparty.id)));
  return row;
}

type AgreementRow = typeof agreements.$inferSelect;

/**
 * An order's own counterparty: its customer when finance has an agreement with them,
 * else its channel's partner when there is one for the channel, else the customer
 * with no agreement (settled in the order's currency). The agreement comes with it, so
 * posting a journal looks it up once.
 */
export async function orderParty(db: Db | Tx, orderId: string): Promise<{ counterparty: Counterparty; agreement: AgreementRow | null }> {
  const [order] = await db.select({ customerId: orders.customerId, channel: orders.channel }).from(orders).where(eq(orders.id, orderId));
  if (!order) throw new Error(`no order ${orderId}`);
  const customer: Counterparty = { kind: 'customer', id: order.customerId };
  const withCustomer = await agreementWith(db, customer);
  if (withCustomer) return { counterparty: customer, agreement: withCustomer };
  const partner: Counterparty = { kind: 'partner', id: order.channel };
  const withPartner = await agreementWith(db, partner);
  if (withPartner) return { counterparty: partner, agreement: withPartner };
  return { counterparty: customer, agreement: null };
}

export async function orderCounterparty(db: Db | Tx, orderId: string): Promise<Counterparty> {
  return (await orderParty(db, orderId)).counterparty;
}

/** `agreement`: the counterparty's agreement when the caller already has it (null: none). */
export async function settlementTerms(
  db: Db | Tx,
  counterparty: Counterparty,
  currency: string,
  at: Date,
  known?: { agreement: AgreementRow | null },
): Promise<SettlementTerms> {
  const agreement = known ? known.agreement : await agreementWith(db, counterparty);
  const settlementCurrency = agreement?.settlementCurrency ?? currency;
  const { rate, rateId } = await rateInForce(db, currency, settlementCurrency, at);
  return { counterparty, agreementId: agreement?.id ?? null, settlementCurrency, rate, rateId };
}

export { formatRate };
