import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateQuote, type Parcel, type Place, type RateRequest } from '../../src/carriers/carrier-gateway';
import { chargeableKg, quoteRates, SANDBOX_CARRIERS, servesLane, UNSERVED_PLACES, zoneOf } from '../../src/carriers/sandbox-rate-card';

const COUNTRIES = ['DE', 'AT', 'FR', 'NL', 'PL', 'BE', 'US', 'CA', 'MX', 'GB', 'IE', 'JP', 'BR'] as const;
const HANDLING = ['standard', 'fragile', 'perishable', 'hazardous'] as const;

const place = fc.record({
  country: fc.constantFrom(...COUNTRIES),
  region: fc.constantFrom('north', 'south', 'east'),
  postalCode: fc.constantFrom('10115', '80331', 'SW1A 1AA'),
});
const parcel = fc.record({
  weightGrams: fc.integer({ min: 1, max: 80_000 }),
  lengthCm: fc.integer({ min: 1, max: 120 }),
  widthCm: fc.integer({ min: 1, max: 80 }),
  heightCm: fc.integer({ min: 1, max: 80 }),
});
const rateRequest = fc.record({
  origin: place,
  destination: place,
  parcels: fc.array(parcel, { minLength: 1, maxLength: 5 }),
  handling: fc.uniqueArray(fc.constantFrom(...HANDLING), { maxLength: 3 }),
  declaredValue: fc.record({ amount: fc.integer({ min: 0, max: 10_000_000 }), currency: fc.constantFrom('EUR', 'USD', 'JPY') }),
}) satisfies fc.Arbitrary<RateRequest>;

const totalGrams = (parcels: Parcel[]) => parcels.reduce((sum, p) => sum + p.weightGrams, 0);
const key = (quote: RateQuote) => `${quote.carrier}/${quote.service}`;

const box = (weightGrams: number): Parcel => ({ weightGrams, lengthCm: 30, widthCm: 20, heightCm: 15 });
const munich: Place = { country: 'DE', region: 'BY', postalCode: '80331' };
const nuremberg: Place = { country: 'DE', region: 'BY', postalCode: '90402' };
const berlin: Place = { country: 'DE', region: 'BE', postalCode: '10115' };
const vienna: Place = { country: 'AT', region: 'W', postalCode: '1010' };
const tokyo: Place = { country: 'JP', region: '13', postalCode: '100-0001' };
const eur = { amount: 10_000, currency: 'EUR' };

describe('sandbox rate card', () => {
  it('prices a small domestic parcel with every carrier, cheapest first', () => {
    const quotes = quoteRates({ origin: munich, destination: nuremberg, parcels: [box(2_500)], declaredValue: eur });
    expect(quotes.map((q) => [q.carrier, q.service, q.amount, q.transitDays])).toEqual([
      ['budgetpost', 'economy', 450 + 3 * 60, 3],
      ['terraline', 'ground', 700 + 3 * 90, 2],
      ['swiftship', 'express', 1500 + 3 * 250, 1],
      ['swiftship', 'air', 2500 + 3 * 450, 1],
    ]);
    expect(quotes.every((q) => q.currency === 'EUR')).toBe(true);
  });

  it('offers freight only for heavy consignments, and the zone costs more the further it goes', () => {
    const light = quoteRates({ origin: munich, destination: berlin, parcels: [box(29_000)], declaredValue: eur });
    expect(light.some((q) => q.method === 'freight')).toBe(false);
    const heavy = quoteRates({ origin: munich, destination: berlin, parcels: [box(20_000), box(20_000)], declaredValue: eur });
    expect(heavy.find((q) => q.method === 'freight')).toMatchObject({ carrier: 'terraline', amount: 3000 + 40 * 30 + 800 });
    const abroad = quoteRates({ origin: munich, destination: vienna, parcels: [box(1_000)], declaredValue: eur });
    expect(abroad.map(key).sort()).toEqual(['swiftship/air', 'swiftship/express', 'terraline/ground']);
    const farAway = quoteRates({ origin: munich, destination: tokyo, parcels: [box(1_000)], declaredValue: eur });
    expect(farAway.map((q) => q.carrier)).toEqual(['swiftship', 'swiftship']);
  });

  it('gives every quote in integer minor units of the declared currency, valid by the schema', () => {
    fc.assert(
      fc.property(rateRequest, (request) => {
        for (const quote of quoteRates(request)) {
          expect(RateQuote.parse(quote)).toEqual(quote);
          expect(Number.isSafeInteger(quote.amount) && quote.amount >= 0).toBe(true);
          expect(quote.currency).toBe(request.declaredValue.currency);
        }
      }),
    );
  });

  it('never charges less for a heavier consignment on the same carrier, service and lane', () => {
    fc.assert(
      fc.property(rateRequest, fc.nat({ max: 50_000 }), fc.nat(), (request, extra, which) => {
        const parcels = request.parcels.map((p, i) => (i === which % request.parcels.length ? { ...p, weightGrams: p.weightGrams + extra } : p));
        const lighter = new Map(quoteRates(request).map((q) => [key(q), q.amount]));
        for (const quote of quoteRates({ ...request, parcels })) {
          const before = lighter.get(key(quote));
          if (before !== undefined) expect(quote.amount).toBeGreaterThanOrEqual(before);
        }
      }),
    );
  });

  it('respects lanes: BudgetPost stays domestic, TerraLine crosses only its neighbour borders', () => {
    const terraline = SANDBOX_CARRIERS.find((c) => c.code === 'terraline')!;
    fc.assert(
      fc.property(rateRequest, (request) => {
        const international = request.origin.country !== request.destination.country;
        for (const quote of quoteRates(request)) {
          if (quote.carrier === 'budgetpost') expect(international).toBe(false);
          if (quote.carrier === 'terraline') expect(servesLane(terraline, request)).toBe(true);
        }
        // SwiftShip Express goes everywhere with anything that fits its 30 kg parcel limit.
        const heaviest = Math.max(...request.parcels.map((p) => p.weightGrams));
        if (heaviest <= 30_000) expect(quoteRates(request).some((q) => key(q) === 'swiftship/express')).toBe(true);
      }),
    );
  });

  it('has no carrier for an unserved place, whichever end of the lane it is, and serves its neighbours', () => {
    const heligoland: Place = { country: 'DE', region: 'SH', postalCode: '27498' };
    expect(UNSERVED_PLACES.map((p) => p.postalCode)).toContain('27498');
    for (const lane of [
      { origin: berlin, destination: heligoland },
      { origin: { ...heligoland, postalCode: ' 27498 ' }, destination: berlin },
    ]) {
      expect(quoteRates({ ...lane, parcels: [box(1000)], declaredValue: eur })).toEqual([]);
      for (const carrier of SANDBOX_CARRIERS) expect(servesLane(carrier, lane)).toBe(false);
    }
    const cuxhaven: Place = { country: 'DE', region: 'NI', postalCode: '27472' };
    expect(quoteRates({ origin: berlin, destination: cuxhaven, parcels: [box(1000)], declaredValue: eur }).length).toBeGreaterThan(0);
  });

  it('never flies hazardous goods, ships perishables only fast, and runs freight only from 30 kg', () => {
    fc.assert(
      fc.property(rateRequest, (request) => {
        for (const quote of quoteRates(request)) {
          if (request.handling.includes('hazardous')) expect(quote.method).not.toBe('air');
          if (request.handling.includes('perishable')) expect(['express_parcel', 'air']).toContain(quote.method);
          if (quote.method === 'freight') expect(totalGrams(request.parcels)).toBeGreaterThanOrEqual(30_000);
        }
      }),
    );
  });

  it('charges and takes longer the further the zone, for the same consignment', () => {
    fc.assert(
      fc.property(place, fc.array(parcel, { minLength: 1, maxLength: 3 }), (origin, parcels) => {
        const near = { ...origin };
        const sameCountry = { ...origin, region: `${origin.region}-other` };
        const abroad = { ...origin, country: origin.country === 'JP' ? 'BR' : 'JP' };
        const lanes = [near, sameCountry, abroad].map((destination) => new Map(quoteRates({ origin, destination, parcels, declaredValue: eur }).map((q) => [key(q), q])));
        expect([near, sameCountry, abroad].map((destination) => zoneOf({ origin, destination }))).toEqual(['region', 'country', 'international']);
        for (const [service, quote] of lanes[0]!) {
          for (const further of [lanes[1]!.get(service), lanes[2]!.get(service)]) {
            if (!further) continue;
            expect(further.amount).toBeGreaterThanOrEqual(quote.amount);
            expect(further.transitDays).toBeGreaterThanOrEqual(quote.transitDays);
          }
        }
        const express = [0, 1, 2].map((i) => lanes[i]!.get('swiftship/express'));
        if (express.every(Boolean)) expect(express[0]!.amount < express[1]!.amount && express[1]!.amount < express[2]!.amount).toBe(true);
      }),
    );
  });

  it('keeps SwiftShip the priciest and BudgetPost the cheapest, with the worst record', () => {
    fc.assert(
      fc.property(rateRequest, (request) => {
        const quotes = quoteRates(request);
        const express = quotes.find((q) => key(q) === 'swiftship/express');
        const ground = quotes.find((q) => key(q) === 'terraline/ground');
        const economy = quotes.find((q) => key(q) === 'budgetpost/economy');
        if (express && ground) expect(express.amount).toBeGreaterThan(ground.amount);
        if (ground && economy) expect(ground.amount).toBeGreaterThan(economy.amount);
      }),
    );
    const budget = SANDBOX_CARRIERS.find((c) => c.code === 'budgetpost')!;
    for (const other of SANDBOX_CARRIERS.filter((c) => c !== budget)) {
      expect(budget.reputation).toBeLessThan(other.reputation);
      expect(budget.damageRate).toBeGreaterThan(other.damageRate);
    }
  });

  it('is deterministic and sorted cheapest first', () => {
    fc.assert(
      fc.property(rateRequest, (request) => {
        const quotes = quoteRates(request);
        expect(quoteRates(structuredClone(request))).toEqual(quotes);
        for (let i = 1; i < quotes.length; i++) expect(quotes[i]!.amount).toBeGreaterThanOrEqual(quotes[i - 1]!.amount);
      }),
    );
  });

  it('bills every started kilogram', () => {
    expect(chargeableKg([box(1)])).toBe(1);
    expect(chargeableKg([box(1_000)])).toBe(1);
    expect(chargeableKg([box(1_001)])).toBe(2);
    expect(chargeableKg([box(600), box(600)])).toBe(2);
  });
});
