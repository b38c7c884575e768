import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TRACKING_STATUSES, type TrackingStatus } from '../../src/carriers/carrier-gateway';
import { furthest, JOURNEY, journeyRank, orderStatusForShipments } from '../../src/domain/tracking';

// TRACK (R4.5, R4.7): a shipment's status only moves forward, whatever order the
// carrier's events arrive in; an exception is handled beside the journey.

const RANK: Record<TrackingStatus, number> = { exception: -1, returned: -2, label_created: 0, in_transit: 1, out_for_delivery: 2, delivered: 3 };
const statusArb = fc.constantFrom(...TRACKING_STATUSES);

describe('journey', () => {
  it('runs label created → in transit → out for delivery → delivered, with exceptions beside it', () => {
    expect(JOURNEY).toEqual(['label_created', 'in_transit', 'out_for_delivery', 'delivered']);
    for (const s of TRACKING_STATUSES) expect(journeyRank(s)).toBe(RANK[s]);
  });
});

describe('furthest', () => {
  it('never moves a shipment backwards', () => {
    expect(furthest('delivered', 'in_transit')).toBe('delivered');
    expect(furthest('in_transit', 'delivered')).toBe('delivered');
    expect(furthest('out_for_delivery', 'label_created')).toBe('out_for_delivery');
  });

  it('is not moved by an exception', () => {
    for (const s of TRACKING_STATUSES) if (s !== 'returned') expect(furthest(s, 'exception')).toBe(s);
    for (const s of TRACKING_STATUSES) expect(furthest(s, 'returned')).toBe(s);
  });

  it('folding any sequence of events gives the furthest status seen, in any arrival order', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { minLength: 1, maxLength: 20 }), (events) => {
        const folded = events.reduce(furthest);
        const maxRank = Math.max(...events.map((e) => RANK[e]));
        expect(RANK[folded]).toBe(maxRank);
        expect(events).toContain(folded);
        expect([...events].reverse().reduce(furthest)).toBe(folded);
        // Progress seen so far never goes down as events arrive.
        let current = events[0]!;
        for (const e of events.slice(1)) {
          const next = furthest(current, e);
          expect(RANK[next]).toBeGreaterThanOrEqual(RANK[current]);
          current = next;
        }
      }),
    );
  });

  it('an exception anywhere in the sequence never changes the result', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { minLength: 1, maxLength: 20 }), fc.nat(), (events, at) => {
        // A parcel that only ever came back: an exception is news to it.
        fc.pre(events.some((e) => e !== 'returned'));
        const withException = [...events];
        withException.splice(1 + (at % events.length), 0, 'exception');
        expect(withException.reduce(furthest)).toBe(events.reduce(furthest));
      }),
    );
  });
});

describe('orderStatusForShipments', () => {
  it('is dispatched while there are no shipment statuses', () => {
    expect(orderStatusForShipments([])).toBe('dispatched');
  });

  it('maps one shipment to the matching order status', () => {
    expect(orderStatusForShipments(['label_created'])).toBe('dispatched');
    expect(orderStatusForShipments(['in_transit'])).toBe('in_transit');
    expect(orderStatusForShipments(['out_for_delivery'])).toBe('out_for_delivery');
    expect(orderStatusForShipments(['delivered'])).toBe('delivered');
    expect(orderStatusForShipments(['exception'])).toBe('delivery_exception');
  });

  it('is only as far along as the slowest shipment, and an exception on any shipment shows', () => {
    expect(orderStatusForShipments(['delivered', 'in_transit', 'out_for_delivery'])).toBe('in_transit');
    expect(orderStatusForShipments(['delivered', 'delivered'])).toBe('delivered');
    expect(orderStatusForShipments(['delivered', 'exception'])).toBe('delivery_exception');
    fc.assert(
      fc.property(fc.array(statusArb, { minLength: 1, maxLength: 6 }), (statuses) => {
        const slowest = statuses.reduce((a, b) => (RANK[b] < RANK[a] ? b : a));
        expect(orderStatusForShipments(statuses)).toBe(orderStatusForShipments([slowest]));
      }),
    );
  });
});
