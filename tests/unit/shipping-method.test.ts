import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHIPPING_METHODS, type RateQuote } from '../../src/carriers/carrier-gateway';
import { PRIORITIES } from '../../src/domain/order-status';
import {
  chooseShippingMethod,
  DEFAULT_CARRIER_POLICY,
  type CarrierPolicy,
  type ShippingNeed,
} from '../../src/domain/shipping-method';

// PLAN (R3.4–R3.6, R4.1): safety first, then the customer's date, then cost; urgent
// orders take the fastest safe option.

const SHIP_DATE = '2025-03-10';

/** Independent of calendar.ts: a YYYY-MM-DD n days after the ship date. */
function dayAfterShip(days: number): string {
  return new Date(Date.UTC(2025, 2, 10 + days)).toISOString().slice(0, 10);
}

function quote(overrides: Partial<RateQuote> & Pick<RateQuote, 'carrier' | 'service'>): RateQuote {
  return {
    carrierName: overrides.carrier.toUpperCase(),
    method: 'express_parcel',
    amount: 1000,
    currency: 'EUR',
    transitDays: 3,
    onTimeRate: 0.95,
    damageRate: 0.01,
    reputation: 4.5,
    ...overrides,
  };
}

// Tenths and thousandths so that the policy's boundaries (3.5, 0.02) are hit often.
const quoteArb: fc.Arbitrary<RateQuote> = fc.record({
  carrier: fc.constantFrom('sws', 'dhl', 'ups', 'post'),
  carrierName: fc.constant('Carrier'),
  method: fc.constantFrom(...SHIPPING_METHODS),
  service: fc.constantFrom('economy', 'standard', 'express'),
  amount: fc.integer({ min: 0, max: 3000 }),
  currency: fc.constant('EUR'),
  transitDays: fc.integer({ min: 1, max: 8 }),
  onTimeRate: fc.integer({ min: 0, max: 100 }).map((n) => n / 100),
  damageRate: fc.integer({ min: 0, max: 40 }).map((n) => n / 1000),
  reputation: fc.integer({ min: 0, max: 50 }).map((n) => n / 10),
});

const needArb: fc.Arbitrary<ShippingNeed> = fc.record(
  {
    shipDate: fc.constant(SHIP_DATE),
    deliverBy: fc.integer({ min: 0, max: 9 }).map(dayAfterShip),
    priority: fc.constantFrom(...PRIORITIES),
  },
  { requiredKeys: ['shipDate', 'priority'] },
);

const policyArb: fc.Arbitrary<CarrierPolicy> = fc.record({
  minReputation: fc.integer({ min: 0, max: 50 }).map((n) => n / 10),
  maxDamageRate: fc.integer({ min: 0, max: 40 }).map((n) => n / 1000),
});

const quotesArb = fc.array(quoteArb, { minLength: 0, maxLength: 8 });

const isSafe = (q: RateQuote, p: CarrierPolicy) => q.reputation >= p.minReputation && q.damageRate <= p.maxDamageRate;
const arrives = (q: RateQuote) => dayAfterShip(q.transitDays);

describe('chooseShippingMethod', () => {
  it('never chooses a carrier below the minimum reputation or above the maximum damage rate', () => {
    fc.assert(
      fc.property(quotesArb, needArb, policyArb, (quotes, need, policy) => {
        const choice = chooseShippingMethod(quotes, need, policy);
        if (choice.ok) expect(isSafe(choice.chosen, policy)).toBe(true);
      }),
    );
  });

  it('fails, with a reason, exactly when no quote is safe', () => {
    fc.assert(
      fc.property(quotesArb, needArb, policyArb, (quotes, need, policy) => {
        const choice = chooseShippingMethod(quotes, need, policy);
        expect(choice.ok).toBe(quotes.some((q) => isSafe(q, policy)));
        expect(choice.reasons.length).toBeGreaterThan(0);
      }),
    );
  });

  it('lists every quote exactly once: as the choice or as an alternative with a reason', () => {
    fc.assert(
      fc.property(quotesArb, needArb, policyArb, (quotes, need, policy) => {
        const choice = chooseShippingMethod(quotes, need, policy);
        const seen = [...(choice.ok ? [choice.chosen] : []), ...choice.alternatives.map((a) => a.quote)];
        expect(seen).toHaveLength(quotes.length);
        for (const q of quotes) expect(seen.filter((s) => s === q)).toHaveLength(1);
        expect(choice.alternatives.every((a) => a.reason.length > 0)).toBe(true);
      }),
    );
  });

  it('takes the cheapest safe quote when the customer set no date and the order is not urgent', () => {
    fc.assert(
      fc.property(quotesArb, policyArb, fc.constantFrom('low', 'normal', 'high') as fc.Arbitrary<'low' | 'normal' | 'high'>, (quotes, policy, priority) => {
        const choice = chooseShippingMethod(quotes, { shipDate: SHIP_DATE, priority }, policy);
        if (!choice.ok) return;
        const safe = quotes.filter((q) => isSafe(q, policy));
        expect(safe.some((q) => q.amount < choice.chosen.amount)).toBe(false);
        expect(choice.meetsDeadline).toBe(true);
      }),
    );
  });

  it('takes the fastest safe quote for an urgent order', () => {
    fc.assert(
      fc.property(quotesArb, needArb, policyArb, (quotes, need, policy) => {
        const choice = chooseShippingMethod(quotes, { ...need, priority: 'urgent' }, policy);
        if (!choice.ok) return;
        const safe = quotes.filter((q) => isSafe(q, policy));
        expect(safe.some((q) => q.transitDays < choice.chosen.transitDays)).toBe(false);
      }),
    );
  });

  it('with a date, takes the cheapest safe quote that arrives by it', () => {
    fc.assert(
      fc.property(quotesArb, needArb, policyArb, (quotes, need, policy) => {
        fc.pre(need.deliverBy !== undefined && need.priority !== 'urgent');
        const onTime = quotes.filter((q) => isSafe(q, policy) && arrives(q) <= need.deliverBy!);
        fc.pre(onTime.length > 0);
        const choice = chooseShippingMethod(quotes, need, policy);
        if (!choice.ok) throw new Error('expected a choice');
        expect(arrives(choice.chosen) <= need.deliverBy!).toBe(true);
        expect(choice.meetsDeadline).toBe(true);
        expect(onTime.some((q) => q.amount < choice.chosen.amount)).toBe(false);
      }),
    );
  });

  it('when no safe quote arrives by the date, takes the fastest and says it misses the date', () => {
    fc.assert(
      fc.property(quotesArb, needArb, policyArb, (quotes, need, policy) => {
        fc.pre(need.deliverBy !== undefined);
        const safe = quotes.filter((q) => isSafe(q, policy));
        fc.pre(safe.length > 0 && safe.every((q) => arrives(q) > need.deliverBy!));
        const choice = chooseShippingMethod(quotes, need, policy);
        if (!choice.ok) throw new Error('expected a choice');
        expect(choice.meetsDeadline).toBe(false);
        expect(safe.some((q) => q.transitDays < choice.chosen.transitDays)).toBe(false);
        expect(choice.reasons.join(' ')).toContain(need.deliverBy);
      }),
    );
  });

  it('reports the estimated delivery as ship date plus transit days', () => {
    fc.assert(
      fc.property(quotesArb, needArb, (quotes, need) => {
        const choice = chooseShippingMethod(quotes, need);
        if (choice.ok) expect(choice.estimatedDelivery).toBe(arrives(choice.chosen));
      }),
    );
  });

  // Worked examples with the default policy (reputation ≥ 3.5, damage ≤ 2%).
  const cheapSlow = quote({ carrier: 'post', service: 'economy', amount: 500, transitDays: 5 });
  const midMid = quote({ carrier: 'dhl', service: 'standard', amount: 900, transitDays: 3 });
  const dearFast = quote({ carrier: 'ups', service: 'express', amount: 2500, transitDays: 1 });
  const cheapUnsafe = quote({ carrier: 'shady', service: 'any', amount: 100, transitDays: 1, reputation: 2.1 });
  const cheapLossy = quote({ carrier: 'lossy', service: 'any', amount: 200, transitDays: 1, damageRate: 0.05 });
  const all = [dearFast, cheapUnsafe, midMid, cheapLossy, cheapSlow];

  it('explains the rejection of unsafe carriers', () => {
    const choice = chooseShippingMethod(all, { shipDate: SHIP_DATE, priority: 'normal' });
    const reasonFor = (q: RateQuote) => choice.alternatives.find((a) => a.quote === q)?.reason;
    expect(reasonFor(cheapUnsafe)).toMatch(/reputation 2\.1 is below 3\.5/);
    expect(reasonFor(cheapLossy)).toMatch(/damage\/loss rate 0\.05 is above 0\.02/);
  });

  it('accepts carriers exactly at the policy limits', () => {
    const edge = quote({ carrier: 'edge', service: 'x', reputation: DEFAULT_CARRIER_POLICY.minReputation, damageRate: DEFAULT_CARRIER_POLICY.maxDamageRate });
    expect(chooseShippingMethod([edge], { shipDate: SHIP_DATE, priority: 'normal' })).toMatchObject({ ok: true, chosen: edge });
  });

  it('picks cheap and slow without a date, fast for urgent, the cheapest that makes a date otherwise', () => {
    expect(chooseShippingMethod(all, { shipDate: SHIP_DATE, priority: 'normal' })).toMatchObject({
      ok: true,
      chosen: cheapSlow,
      estimatedDelivery: '2025-03-15',
      meetsDeadline: true,
      reasons: ['cheapest safe option', expect.stringContaining('post/economy')],
    });
    expect(chooseShippingMethod(all, { shipDate: SHIP_DATE, priority: 'urgent' })).toMatchObject({
      ok: true,
      chosen: dearFast,
      reasons: ['urgent order: fastest safe option', expect.stringContaining('ups/express')],
    });
    expect(chooseShippingMethod(all, { shipDate: SHIP_DATE, deliverBy: '2025-03-13', priority: 'normal' })).toMatchObject({
      ok: true,
      chosen: midMid,
      estimatedDelivery: '2025-03-13',
      meetsDeadline: true,
    });
  });

  it('takes the fastest and flags the missed date when nothing safe is quick enough', () => {
    const choice = chooseShippingMethod([cheapSlow, midMid, cheapUnsafe], { shipDate: SHIP_DATE, deliverBy: '2025-03-11', priority: 'low' });
    expect(choice).toMatchObject({ ok: true, chosen: midMid, meetsDeadline: false, estimatedDelivery: '2025-03-13' });
    expect(choice.reasons[0]).toMatch(/no safe option arrives by 2025-03-11/);
  });

  it('says no when there is no safe carrier at all', () => {
    const choice = chooseShippingMethod([cheapUnsafe, cheapLossy], { shipDate: SHIP_DATE, priority: 'normal' });
    expect(choice).toEqual({
      ok: false,
      reasons: [expect.stringContaining('no carrier')],
      alternatives: [expect.objectContaining({ quote: cheapUnsafe }), expect.objectContaining({ quote: cheapLossy })],
    });
    expect(chooseShippingMethod([], { shipDate: SHIP_DATE, priority: 'normal' }).ok).toBe(false);
  });

  it('breaks a price tie by speed', () => {
    const slow = quote({ carrier: 'a', service: 's', amount: 700, transitDays: 4 });
    const quick = quote({ carrier: 'b', service: 's', amount: 700, transitDays: 2 });
    expect(chooseShippingMethod([slow, quick], { shipDate: SHIP_DATE, priority: 'normal' })).toMatchObject({ chosen: quick });
  });
});
