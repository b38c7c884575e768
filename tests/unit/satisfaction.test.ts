import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deliveredOnTime,
  dispatchedOnTime,
  mean,
  median,
  NO_GROUP,
  percentile,
  rate,
  satisfactionMetrics,
  type ShipmentFacts,
} from '../../src/metrics/satisfaction';

// R5.5: the statistics are defined once (median: middle, or mean of the two middle;
// p90: nearest rank), rates over nothing are null, and every figure names its orders.

const NOW = new Date('2026-03-20T12:00:00Z');
const at = (iso: string) => new Date(iso);

const shipment = (over: Partial<ShipmentFacts> & Pick<ShipmentFacts, 'shipmentId' | 'orderId'>): ShipmentFacts => ({
  carrier: 'dhl',
  warehouse: 'BER-1',
  shipDate: '2026-03-02',
  handedOverAt: null,
  promisedDeliveryDate: '2026-03-05',
  deliveredAt: null,
  closedAs: null,
  ...over,
});

describe('statistics', () => {
  it('median is the middle value, or the mean of the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([7])).toBe(7);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('p90 is the nearest rank: the smallest value with at least 90 % at or below it', () => {
    expect(percentile([], 0.9)).toBeNull();
    expect(percentile([5], 0.9)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
    expect(percentile([10, 20], 0.9)).toBe(20);
  });

  it('p90 is a value of the list, at least the median, and at least 90 % of values are at or below it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 60 }), (values) => {
        const p90 = percentile(values, 0.9)!;
        expect(values).toContain(p90);
        expect(p90).toBeGreaterThanOrEqual(median(values)!);
        expect(values.filter((v) => v <= p90).length).toBeGreaterThanOrEqual(Math.ceil(0.9 * values.length));
        expect(values.filter((v) => v < p90).length).toBeLessThan(Math.ceil(0.9 * values.length));
      }),
    );
  });

  it('a rate over nothing due is null, not zero', () => {
    expect(rate(0, 0)).toEqual({ rate: null, onTime: 0, due: 0 });
    expect(rate(3, 4)).toEqual({ rate: 0.75, onTime: 3, due: 4 });
    expect(mean([])).toBeNull();
    expect(mean([4, 5])).toBe(4.5);
  });
});

describe('on time', () => {
  it('a delivery is on time through the whole promised day (UTC), late after it', () => {
    expect(deliveredOnTime(shipment({ shipmentId: 's', orderId: 'o', deliveredAt: at('2026-03-05T23:59:59Z') }), NOW)).toBe(true);
    expect(deliveredOnTime(shipment({ shipmentId: 's', orderId: 'o', deliveredAt: at('2026-03-06T00:00:00Z') }), NOW)).toBe(false);
  });

  it('an undelivered shipment is late once its promised day is over, and not yet counted before', () => {
    expect(deliveredOnTime(shipment({ shipmentId: 's', orderId: 'o' }), NOW)).toBe(false);
    expect(deliveredOnTime(shipment({ shipmentId: 's', orderId: 'o', promisedDeliveryDate: '2026-03-20' }), NOW)).toBeUndefined();
    expect(deliveredOnTime(shipment({ shipmentId: 's', orderId: 'o', promisedDeliveryDate: null }), NOW)).toBeUndefined();
  });

  it('a dispatch is on time when handed over by the end of the planned ship date', () => {
    expect(dispatchedOnTime(shipment({ shipmentId: 's', orderId: 'o', handedOverAt: at('2026-03-02T18:00:00Z') }), NOW)).toBe(true);
    expect(dispatchedOnTime(shipment({ shipmentId: 's', orderId: 'o', handedOverAt: at('2026-03-03T08:00:00Z') }), NOW)).toBe(false);
    expect(dispatchedOnTime(shipment({ shipmentId: 's', orderId: 'o' }), NOW)).toBe(false);
    expect(dispatchedOnTime(shipment({ shipmentId: 's', orderId: 'o', shipDate: '2026-03-20' }), NOW)).toBeUndefined();
    expect(dispatchedOnTime(shipment({ shipmentId: 's', orderId: 'o', closedAs: 'lost' }), NOW)).toBeUndefined();
  });
});

describe('satisfactionMetrics', () => {
  const orders = [
    { orderId: 'o1', region: 'BE', channel: 'web' },
    { orderId: 'o2', region: 'BE', channel: 'store' },
    { orderId: 'o3', region: 'HH', channel: 'web' },
    { orderId: 'o4', region: 'HH', channel: 'web' },
  ];
  const facts = {
    orders,
    shipments: [
      shipment({ shipmentId: 's1', orderId: 'o1', carrier: 'dhl', handedOverAt: at('2026-03-02T10:00:00Z'), deliveredAt: at('2026-03-04T10:00:00Z') }),
      shipment({ shipmentId: 's2', orderId: 'o2', carrier: 'ups', handedOverAt: at('2026-03-03T10:00:00Z'), deliveredAt: at('2026-03-07T10:00:00Z') }),
      // o3 went in two parcels with two carriers.
      shipment({ shipmentId: 's3', orderId: 'o3', carrier: 'dhl', handedOverAt: at('2026-03-02T10:00:00Z'), deliveredAt: at('2026-03-05T10:00:00Z') }),
      shipment({ shipmentId: 's4', orderId: 'o3', carrier: 'ups', handedOverAt: at('2026-03-02T11:00:00Z'), promisedDeliveryDate: '2026-03-25' }),
      // A shipment of an order outside the window is not counted.
      shipment({ shipmentId: 's9', orderId: 'elsewhere', carrier: 'dhl' }),
    ],
    ratings: [
      { orderId: 'o1', productQuality: 5, serviceAttitude: 4, deliveryPunctuality: 5, resolutionEfficiency: 3 },
      { orderId: 'o3', productQuality: 2, serviceAttitude: 3, deliveryPunctuality: 4, resolutionEfficiency: 5 },
    ],
    problems: [
      { source: 'incident' as const, orderId: 'o3', shipmentIds: ['s4'], openedAt: at('2026-03-03T00:00:00Z'), resolvedAt: at('2026-03-03T04:00:00Z') },
      { source: 'complaint' as const, orderId: 'o1', shipmentIds: [], openedAt: at('2026-03-04T00:00:00Z'), resolvedAt: at('2026-03-04T02:00:00Z') },
      { source: 'complaint' as const, orderId: 'o2', shipmentIds: [], openedAt: at('2026-03-04T00:00:00Z'), resolvedAt: null },
      { source: 'incident' as const, orderId: 'o4', shipmentIds: [], carrier: 'gls', openedAt: at('2026-03-04T00:00:00Z'), resolvedAt: at('2026-03-04T01:00:00Z') },
    ],
  };

  it('groups by carrier: shipments by their own, ratings and complaints by every carrier of the order', () => {
    const byKey = Object.fromEntries(satisfactionMetrics(facts, 'carrier', NOW).map((g) => [g.group.key, g]));
    expect(Object.keys(byKey)).toEqual(['dhl', 'gls', 'ups']);

    const dhl = byKey.dhl!;
    expect(dhl.group.ratings.productQuality).toEqual({ mean: 3.5, count: 2 });
    expect(dhl.group.ratings.resolutionEfficiency).toEqual({ mean: 4, count: 2 });
    expect(dhl.group.onTimeDelivery).toEqual({ rate: 1, onTime: 2, due: 2 });
    expect(dhl.group.dispatchOnTime).toEqual({ rate: 1, onTime: 2, due: 2 });
    expect(dhl.group.resolution).toMatchObject({ count: 1, medianMs: 2 * 3_600_000, p90Ms: 2 * 3_600_000, unresolved: 0 });
    expect(dhl.trace).toEqual({
      ratings: ['o1', 'o3'],
      onTimeDelivery: { onTime: ['o1', 'o3'], late: [] },
      dispatchOnTime: { onTime: ['o1', 'o3'], late: [] },
      resolution: { resolved: ['o1'], unresolved: [] },
    });
    expect(dhl.group.orders).toBe(2);

    const ups = byKey.ups!;
    // s2 late on both counts; s4 dispatched on time and not yet due for delivery.
    expect(ups.group.onTimeDelivery).toEqual({ rate: 0, onTime: 0, due: 1 });
    expect(ups.group.dispatchOnTime).toEqual({ rate: 0.5, onTime: 1, due: 2 });
    expect(ups.trace.dispatchOnTime).toEqual({ onTime: ['o3'], late: ['o2'] });
    expect(ups.group.ratings.productQuality).toEqual({ mean: 2, count: 1 });
    expect(ups.group.resolution).toMatchObject({ count: 1, medianMs: 4 * 3_600_000, unresolved: 1 });
    expect(ups.group.resolution.incidents.count).toBe(1);
    expect(ups.group.resolution.complaints.count).toBe(0);

    // An incident without known shipments counts for the carrier it names.
    const gls = byKey.gls!;
    expect(gls.group.resolution.medianMs).toBe(3_600_000);
    expect(gls.group.onTimeDelivery.rate).toBeNull();
    expect(gls.group.ratings.productQuality).toEqual({ mean: null, count: 0 });
  });

  it('groups by region and channel from the order; an order with no shipment has no carrier group but its own', () => {
    const byRegion = Object.fromEntries(satisfactionMetrics(facts, 'region', NOW).map((g) => [g.group.key, g.group]));
    expect(Object.keys(byRegion)).toEqual(['BE', 'HH']);
    expect(byRegion.BE!.onTimeDelivery).toEqual({ rate: 0.5, onTime: 1, due: 2 });
    expect(byRegion.HH!.resolution).toMatchObject({ count: 2, medianMs: 2.5 * 3_600_000, p90Ms: 4 * 3_600_000 });

    const byWarehouse = satisfactionMetrics({ ...facts, problems: [{ source: 'complaint', orderId: 'o4', shipmentIds: [], openedAt: NOW, resolvedAt: null }] }, 'warehouse', NOW);
    expect(byWarehouse.map((g) => g.group.key)).toEqual([NO_GROUP, 'BER-1']);
  });
});
