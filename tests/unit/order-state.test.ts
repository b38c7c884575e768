import { describe, expect, it } from 'vitest';
import { resumeStage, startingState } from '../../workflows/order/resume';
import { OrderRun } from '../../workflows/order/run';
import { newOrderState, type OrderState } from '../../workflows/order/state';
import type { OrderWorkflowInput } from '../../workflows/order/messages';

// OrderState is what continue-as-new would carry: plain JSON, and enough to build the
// run again. (Building an OrderRun makes activity proxies; nothing runs outside a workflow.)

const input: OrderWorkflowInput = {
  orderId: '6f9d2c1e-0000-4000-8000-000000000001',
  requestId: 'req-1',
  fingerprint: 'f'.repeat(64),
  carrierTaskQueue: 'carriers',
  settings: {
    correctionWindowMs: 1000,
    stockDecisionWindowMs: 1000,
    stockRecheckIntervalMs: 1000,
    signOffWindowMs: 1000,
    feedbackWindowMs: 1000,
    trackingPollIntervalMs: 1000,
    trackingStallAfterMs: 1000,
  },
  draft: {
    channel: 'web',
    priority: 'normal',
    currency: 'EUR',
    customer: { name: 'Ada Lovelace', email: 'ada@example.com', address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' } },
    items: [{ sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 }],
    settlement: { method: 'prepaid' },
  },
};

/** An order part-way through TRACK, with something in every kind of field. */
function midLife(): OrderState {
  const state = newOrderState(input);
  Object.assign(state, {
    number: 'OF-1000001',
    status: 'in_transit',
    stage: 'track',
    version: 7,
    appliedVersion: 6,
    verificationRound: 1,
    verification: { ok: true, reasons: [] },
    timeline: [{ status: 'in_transit', stage: 'track', at: '2026-01-01T00:00:00.000Z', version: 6 }],
    compensations: [{ name: 'release reserved stock', activity: 'releaseStock', input: { orderId: input.orderId } }],
    dispatchStarted: true,
    needsAttention: true,
    attentionReason: 'no tracking news from the carrier; check the shipment',
    operatorInbox: [{ action: 'retry', operator: 'kim' }],
    openQuestions: [{ kind: 'operator', since: '2026-01-01T00:00:00.000Z', detail: { reason: 'x' } }],
    seenTrackingEvents: ['ev-1', 'ev-2'],
    trackingInbox: [
      { eventId: 'ev-3', carrier: 'swiftpost', trackingNumber: 'SP1', reference: 's-1', status: 'out_for_delivery', occurredAt: '2026-01-01T00:00:00Z', location: 'Berlin', description: 'out' },
    ],
    shipments: [
      {
        shipmentId: 's-1',
        warehouseCode: 'BER-1',
        carrier: 'swiftpost',
        method: 'express_parcel',
        service: 'next-day',
        shipDate: '2026-01-01',
        estimatedDelivery: '2026-01-02',
        bookingKey: 'booking:s-1',
        bookingRequest: {
          carrier: 'swiftpost',
          service: 'next-day',
          reference: 's-1',
          origin: { country: 'DE', region: 'BE', postalCode: '10115' },
          destination: { country: 'DE', region: 'BE', postalCode: '10117', name: 'Ada', line1: 'Unter den Linden 1', city: 'Berlin' },
          parcels: [{ weightGrams: 500, lengthCm: 20, widthCm: 15, heightCm: 10 }],
        },
        trackingNumber: 'SP1',
        status: 'in_transit',
      },
    ],
  } satisfies Partial<OrderState>);
  return state;
}

/** Every value is JSON's own: no class instances, Maps, Sets, Dates or functions. */
function plainPaths(value: unknown, at = 'state'): string[] {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainPaths(v, `${at}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => (v === undefined ? [] : plainPaths(v, `${at}.${k}`)));
  }
  return [at];
}

describe('OrderState', () => {
  it('is plain JSON, new or part-way through a life', () => {
    for (const state of [newOrderState(input), midLife()]) {
      expect(plainPaths(state)).toEqual([]);
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    }
  });

  it('builds a run again after a JSON round trip, which sees what the first run saw', () => {
    const state = midLife();
    const first = new OrderRun(state);
    const carried = new OrderRun(JSON.parse(JSON.stringify(state)) as OrderState);
    expect(carried.view()).toEqual(first.view());
    expect(carried.outcome()).toEqual({ orderId: input.orderId, number: 'OF-1000001', status: 'in_transit' });
    expect(carried.statuses.version).toBe(6);
    expect(carried.isFinal).toBe(false);
  });

  it('a run keeps working on the state it was given, not a copy', () => {
    const state = newOrderState(input);
    const run = new OrderRun(state);
    run.ask('correction', 1000, { reasons: [] });
    expect(state.openQuestions.map((q) => q.kind)).toEqual(['correction']);
    run.answered('correction');
    expect(state.openQuestions).toEqual([]);
  });
});

describe('where a carried state resumes', () => {
  const at = (fields: Partial<OrderState>): OrderState => ({ ...newOrderState(input), ...fields });

  it('a new order starts at VERIFY; a carried one at its first stage not done', () => {
    expect(startingState(input).from).toBe('verify');
    expect(resumeStage(at({ status: 'planned', shipments: midLife().shipments }))).toBe('dispatch');
    expect(resumeStage(at({ status: 'in_transit' }))).toBe('track');
    expect(resumeStage(at({ status: 'delivered' }))).toBe('track');
    expect(resumeStage(at({ status: 'delivered', trackingDone: true }))).toBe('sign_off');
    expect(resumeStage(at({ status: 'awaiting_feedback', trackingDone: true, signedOffAt: 'x' }))).toBe('feedback');
    expect(resumeStage(at({ status: 'awaiting_feedback', trackingDone: true, signedOffAt: 'x', feedbackWindowClosed: true }))).toBe('settle');
  });

  it('the run keeps its own input, not the carried one', () => {
    const carried = at({ status: 'delivered', trackingDone: true, input: { ...input, carrierTaskQueue: 'old' } });
    const { state, from } = startingState({ ...input, carried });
    expect(from).toBe('sign_off');
    expect(state.input).toEqual(input);
    expect('carried' in state.input).toBe(false);
  });

  it('a state before PLAN is recorded cannot be carried on', () => {
    expect(() => resumeStage(at({ status: 'reserved' }))).toThrow(/cannot be carried on/);
  });
});
