import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseReplenishment, replenishmentTarget, surplusOf, type ReplenishmentFigures } from '../../src/domain/replenishment';

// How a short warehouse gets its stock back (R2.3, R2.6): pure rules, with the
// invariants that matter — never order twice, never strip another warehouse below its own
// safety stock, always enough to serve what waits, expedite only when somebody waits.

const supply = fc.option(
  fc.record({
    supplier: fc.constantFrom('Acme', 'Globex'),
    leadTimeDays: fc.integer({ min: 1, max: 30 }),
    expediteLeadTimeDays: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
    expediteCost: fc.option(fc.nat(10_000), { nil: null }),
    currency: fc.constant('EUR'),
  }),
  { nil: null },
);

const figures: fc.Arbitrary<ReplenishmentFigures> = fc.record({
  available: fc.integer({ min: 0, max: 30 }),
  safetyStock: fc.integer({ min: 0, max: 30 }),
  reorderQuantity: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
  waitingDemand: fc.nat(20),
  inbound: fc.array(
    fc.record({
      kind: fc.constantFrom('transfer' as const, 'purchase_order' as const),
      id: fc.uuid(),
      quantity: fc.integer({ min: 1, max: 20 }),
      expectedAt: fc.date({ min: new Date('2026-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    }),
    { maxLength: 2 },
  ),
  others: fc.uniqueArray(
    fc.record({ warehouse: fc.constantFrom('MUC-1', 'RTM-1', 'VIE-1'), available: fc.integer({ min: 0, max: 60 }), safetyStock: fc.integer({ min: 0, max: 20 }) }),
    { selector: (w) => w.warehouse, maxLength: 3 },
  ),
  supply,
});

describe('chooseReplenishment', () => {
  it('keeps its invariants whatever the figures', () => {
    fc.assert(
      fc.property(figures, (f) => {
        const plan = chooseReplenishment(f);
        if (f.available >= f.safetyStock) {
          expect(plan).toEqual({ kind: 'enough' });
          return;
        }
        // Something on its way: wait for the earliest, order nothing more.
        if (f.inbound.length > 0) {
          expect(plan.kind).toBe('await_inbound');
          if (plan.kind === 'await_inbound') expect(f.inbound.every((i) => i.expectedAt >= plan.inbound.expectedAt)).toBe(true);
          return;
        }
        const need = replenishmentTarget(f) - f.available + f.waitingDemand;
        if (plan.kind === 'transfer') {
          const donor = f.others.find((o) => o.warehouse === plan.from)!;
          // Never below the donor's own safety stock, and the whole need whenever a donor can give it.
          expect(plan.quantity).toBeGreaterThan(0);
          expect(plan.quantity).toBeLessThanOrEqual(surplusOf(donor));
          if (plan.quantity < need) expect(f.supply).toBeNull();
        } else if (plan.kind === 'purchase') {
          expect(f.supply).not.toBeNull();
          expect(f.others.every((o) => surplusOf(o) < need)).toBe(true);
          expect(plan.quantity).toBe(need);
          // Expedited only when orders wait and the supplier is really faster that way.
          expect(plan.expedited).toBe(f.waitingDemand > 0 && f.supply!.expediteLeadTimeDays !== null && f.supply!.expediteLeadTimeDays < f.supply!.leadTimeDays);
          expect(plan.leadTimeDays).toBe(plan.expedited ? f.supply!.expediteLeadTimeDays : f.supply!.leadTimeDays);
        } else {
          expect(plan.kind).toBe('no_source');
          expect(f.supply).toBeNull();
          expect(f.others.every((o) => surplusOf(o) === 0)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('prefers a transfer from the warehouse with the most to spare, and covers the orders that wait', () => {
    const plan = chooseReplenishment({
      available: 1,
      safetyStock: 4,
      reorderQuantity: 6,
      waitingDemand: 3,
      inbound: [],
      others: [
        { warehouse: 'MUC-1', available: 20, safetyStock: 5 },
        { warehouse: 'RTM-1', available: 40, safetyStock: 10 },
      ],
      supply: { supplier: 'Acme', leadTimeDays: 7, expediteLeadTimeDays: 2, expediteCost: 500, currency: 'EUR' },
    });
    expect(plan).toMatchObject({ kind: 'transfer', from: 'RTM-1', quantity: 4 + 6 - 1 + 3 });
  });
});
