import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { RateQuote } from '../../src/domain/carrier-contract';
import type { Shortage } from '../../src/domain/allocation';
import { BusinessFailure, MessageRejection } from '../../src/domain/failures';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderSettings } from '../../src/domain/order-settings';
import { STAGE_OF_STATUS, type OrderStatus } from '../../src/domain/order-status';
import { verifyOrder as verifyDraft, type CatalogueEntry } from '../../src/domain/verification';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { dataConverterFor } from '../../src/temporal/payload-codec';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { testCodec } from '../helpers/codec';
import { sampleOrder } from '../helpers/orders';
import { waitFor } from '../helpers/wait-for';
// ---- the only lines that know where the workflow, its messages and its activities live ----
import type { CarrierActivities, OrderActivities } from '../../workflows/order/activities';
import { businessFailure } from '../../activities/failures';
import * as messages from '../../workflows/order/messages';
import type { OrderView, OrderWorkflowInput } from '../../workflows/order/messages';
import { newOrderState, type OrderState } from '../../workflows/order/state';
const WORKFLOWS_PATH = path.resolve(__dirname, '../../workflows/index.ts');
// --------------------------------------------------------------------------------------------

// The order workflow alone: a real Temporal dev server, the real workflow code, and every
// activity replaced by an in-memory fake that keeps a record of its calls. Each order gets
// its own fake world, found by the workflow id of the activity's caller. Windows come from
// the workflow's input, so a test sets the one it tests short (nobody answers) or long
// (somebody does), never racing a window.
//
// The server: a dev server of this file's own, from the run's Temporal CLI, started with
// `history.timerProcessorMaxTimeShift` at 10 ms. The dev server's default floors every
// timer at 1 s (a 10 ms timer fires after 1 s), which would make each window or poll in
// these tests cost a second; the shared server keeps the default, so the e2e tests run on
// the settings they were written for. With TEMPORAL_ADDRESS set (no CLI) the tests use
// that server: still right, only slower.

export { messages, BusinessFailure, MessageRejection };
export type { OrderView };

/** Long enough that no test ever reaches a window it does not test. */
export const LONG_MS = 60_000;
/** A window a test lets close: nobody answers, so only its length is waited. */
export const SHORT_MS = 50;

export const DEFAULT_SETTINGS: OrderSettings = {
  correctionWindowMs: LONG_MS,
  stockDecisionWindowMs: LONG_MS,
  stockRecheckIntervalMs: LONG_MS,
  signOffWindowMs: LONG_MS,
  feedbackWindowMs: LONG_MS,
  // The fake carrier has delivered by the first poll: ask soon.
  trackingPollIntervalMs: 10,
  trackingStallAfterMs: LONG_MS,
};

// The demo catalogue's two products (src/db/seed.ts), as verification reads them.
const CATALOGUE = new Map<string, CatalogueEntry>(
  [
    { sku: 'TEA-OOLONG-100', name: 'Oolong tea', spec: '100 g tin', unitPrice: 1290, currency: 'EUR', active: true },
    { sku: 'MUG-STONE-350', name: 'Stoneware mug', spec: '350 ml, slate grey', unitPrice: 1850, currency: 'EUR', active: true },
  ].map((p) => [p.sku, p]),
);

/** The e2e tests' sample order, as the domain draft the workflow takes. */
export function sampleDraft(overrides: Partial<OrderDraft> = {}): OrderDraft {
  return sampleOrder(overrides) as OrderDraft;
}

export const FEEDBACK = {
  channel: 'online',
  ratings: { productQuality: 5, serviceAttitude: 4, deliveryPunctuality: 5, resolutionEfficiency: 4 },
  comment: 'quick and careful',
} as const;

export const signOffProof = (number: string) => ({
  recipientName: 'Ada Lovelace',
  credential: { type: 'order_number' as const, value: number },
  packagingIntact: true,
  quantitiesMatch: true,
});

type Transition = { version: number; status: OrderStatus; detail?: Record<string, unknown> };
type AnyActivity = (input: any) => Promise<any>;
export type ActivityName = keyof OrderActivities | keyof CarrierActivities;

export interface Call {
  name: ActivityName;
  input: any;
  /** How the call ended: its result, or the error it threw. */
  result?: unknown;
  error?: unknown;
}

/** A door in front of one activity: its next call waits until the test opens it. */
export interface Gate {
  /** Resolves once a call is waiting at the door. */
  reached(): Promise<void>;
  open(): void;
}

/**
 * One order's world: stock, a carrier, a database of written status changes. The fakes
 * behave as the real activities do (business failures are the same non-retryable
 * ApplicationFailures with the same details); a test may script a failure or a hold.
 */
export interface JourneyStep {
  status: 'in_transit' | 'out_for_delivery' | 'delivered' | 'exception' | 'returned';
  statusDetail?: string;
  newEta?: string;
}

const DEFAULT_JOURNEY: readonly JourneyStep[] = [{ status: 'in_transit' }, { status: 'out_for_delivery' }, { status: 'delivered' }];

export class FakeWorld {
  readonly calls: Call[] = [];
  /** Status changes as the database would have them: written once an activity commits. */
  readonly written: Transition[] = [];
  /** Units on the shelf that no order holds, by SKU. */
  readonly available = new Map<string, number>();
  /** Units this order holds (reserved, not yet shipped), by SKU. */
  readonly held = new Map<string, number>();
  readonly shipped = new Map<string, number>();
  /** When true the carrier has no tracking news for anyone. */
  carrierSilent = false;
  /**
   * What the carrier tells about the n-th booking (1-based) when polled; absent: the
   * parcel goes in transit, out for delivery and is delivered. A parcel re-routed or
   * rescheduled goes on to be delivered.
   */
  readonly journeys = new Map<number, JourneyStep[]>();
  /** Parcels picked up (the carrier refuses to void them), by tracking number. */
  readonly pickedUp = new Set<string>();
  /** Money paid back, by incident. */
  readonly refunds = new Map<string, number>();
  /** Units written off and restocked. */
  writtenOff = 0;
  restocked = 0;
  private draft?: OrderDraft;
  private number = `ORD-${randomBytes(3).toString('hex').toUpperCase()}`;
  private readonly scripted = new Map<ActivityName, ((input: any) => Promise<unknown> | unknown)[]>();

  constructor(stock: Record<string, number>) {
    for (const [sku, units] of Object.entries(stock)) this.available.set(sku, units);
  }

  /** The next call of `name` throws `error` (after it is recorded). */
  failNext(name: ActivityName, error: Error, times = 1): void {
    for (let i = 0; i < times; i++) {
      this.script(name, () => {
        throw error;
      });
    }
  }

  /** The next call of `name` waits at a gate, then does what it would have done. */
  hold(name: ActivityName): Gate {
    let reached!: () => void;
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gates.push(open);
    this.script(name, async () => {
      reached();
      await opened;
      return PASS;
    });
    return { reached: () => arrived, open };
  }

  /** Opens every gate (so no activity is left waiting when the worker stops). */
  openAll(): void {
    for (const open of this.gates.splice(0)) open();
  }

  private readonly gates: (() => void)[] = [];

  private script(name: ActivityName, step: (input: any) => Promise<unknown> | unknown): void {
    const steps = this.scripted.get(name) ?? [];
    steps.push(step);
    this.scripted.set(name, steps);
  }

  /**
   * The world of an order that lived up to `timeline` in an earlier run: its draft and
   * number known, its stock taken off the shelf and shipped, its status changes written.
   */
  carriedTo(draft: OrderDraft, timeline: readonly Transition[]): string {
    this.draft = draft;
    for (const l of draft.items) {
      this.available.set(l.sku, (this.available.get(l.sku) ?? 0) - l.quantity);
      this.shipped.set(l.sku, (this.shipped.get(l.sku) ?? 0) + l.quantity);
    }
    this.write(timeline);
    return this.number;
  }

  callsOf(name: ActivityName): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  names(): ActivityName[] {
    return this.calls.map((c) => c.name);
  }

  /** Runs a call: a scripted step first (if any), then the fake's own behaviour. */
  async call(name: ActivityName, input: any): Promise<unknown> {
    const record: Call = { name, input: structuredClone(input) };
    this.calls.push(record);
    try {
      const step = this.scripted.get(name)?.shift();
      const scripted = step ? await step(input) : PASS;
      const result = scripted === PASS ? await this.behave(name, input) : scripted;
      record.result = result;
      return result;
    } catch (error) {
      record.error = error;
      throw error;
    }
  }

  private write(transitions: readonly Transition[] | undefined): void {
    for (const t of transitions ?? []) if (!this.written.some((w) => w.version === t.version)) this.written.push(t);
  }

  /** Takes the draft's lines off the shelf for this order, as RESERVE (or a replacement) does. */
  private reserveStock(input: any): unknown {
    const lines = this.draft!.items;
    const shortages: Shortage[] = lines
      .filter((l) => (this.available.get(l.sku) ?? 0) < l.quantity)
      .map((l) => ({ sku: l.sku, requested: l.quantity, available: this.available.get(l.sku) ?? 0 }));
    if (shortages.length > 0) {
      throw businessFailure(BusinessFailure.InsufficientStock, `not enough stock for ${shortages.map((s) => s.sku).join(', ')}`, { shortages });
    }
    for (const l of lines) {
      this.available.set(l.sku, this.available.get(l.sku)! - l.quantity);
      this.held.set(l.sku, (this.held.get(l.sku) ?? 0) + l.quantity);
    }
    this.write(input.transitions);
    const allocations = lines.map((l, i) => ({ line: i + 1, sku: l.sku, warehouseCode: 'BER-1', quantity: l.quantity }));
    const { address } = this.draft!.customer;
    return {
      allocations,
      reasons: ['BER-1 holds every line'],
      consignments: [
        {
          warehouseCode: 'BER-1',
          lines: allocations.map(({ line, sku, quantity }) => ({ line, sku, quantity })),
          rateRequest: {
            origin: { country: 'DE', region: 'BE', postalCode: '10115' },
            destination: { country: address.country, region: address.region, postalCode: address.postalCode },
            parcels: [{ weightGrams: 780, lengthCm: 20, widthCm: 20, heightCm: 15 }],
            handling: ['fragile'],
            declaredValue: { amount: 4430, currency: 'EUR' },
          },
        },
      ],
    };
  }

  private async behave(name: ActivityName, input: any): Promise<unknown> {
    switch (name) {
      case 'recordStatus':
        this.write(input.transitions);
        return undefined;
      case 'recordAttention':
        return undefined;
      case 'verifyOrder': {
        this.draft = input.draft;
        const verification = verifyDraft(input.draft, CATALOGUE, new Date());
        // The real activity records the order and its transitions, then refuses it.
        this.write(input.transitions);
        if (!verification.ok) {
          throw businessFailure(
            BusinessFailure.OrderVerificationFailed,
            `order cannot be accepted: ${verification.reasons.map((r) => r.message).join('; ')}`,
            { number: this.number, reasons: verification.reasons },
          );
        }
        return { number: this.number, verification };
      }
      case 'reserveStock':
        return this.reserveStock(input);
      case 'releaseStock': {
        let released = 0;
        for (const [sku, units] of this.held) {
          this.available.set(sku, (this.available.get(sku) ?? 0) + units);
          released += units;
        }
        this.held.clear();
        this.write(input.transitions);
        return { released };
      }
      case 'quoteRates': {
        const quote: RateQuote = {
          carrier: 'swiftpost',
          carrierName: 'SwiftPost',
          method: 'ground',
          service: 'swift-ground',
          amount: 690,
          currency: 'EUR',
          transitDays: 2,
          onTimeRate: 0.96,
          damageRate: 0.002,
          reputation: 4.5,
        };
        return [quote];
      }
      case 'planShipments': {
        this.write(input.transitions);
        const { address } = this.draft!.customer;
        const shipments = input.consignments.map((c: any) => {
          const quote: RateQuote = c.quotes[0];
          const shipmentId = randomUUID();
          return {
            shipmentId,
            warehouseCode: c.warehouseCode,
            carrier: quote.carrier,
            method: quote.method,
            service: quote.service,
            shipDate: '2026-12-02',
            estimatedDelivery: '2026-12-04',
            bookingKey: `booking:${shipmentId}`,
            bookingRequest: {
              carrier: quote.carrier,
              service: quote.service,
              reference: shipmentId,
              origin: c.rateRequest.origin,
              destination: { ...c.rateRequest.destination, name: this.draft!.customer.name, line1: address.line1, city: address.city },
              parcels: c.rateRequest.parcels,
            },
          };
        });
        return { shipments };
      }
      case 'bookShipment':
        return {
          carrier: input.request.carrier,
          service: input.request.service,
          trackingNumber: `TRK-${input.shipmentId.slice(0, 8)}`,
          reference: input.request.reference,
          labelUrl: `https://carrier.example/labels/${input.shipmentId}`,
          amount: 690,
          currency: 'EUR',
          createdAt: new Date().toISOString(),
          shipmentId: input.shipmentId,
        };
      case 'recordDispatch':
        this.write(input.transitions);
        return undefined;
      case 'pollTracking': {
        if (this.carrierSilent) return [];
        const bookings = this.callsOf('bookShipment').filter((c) => c.result);
        const index = bookings.findIndex((c) => (c.result as any).trackingNumber === input.trackingNumber);
        const reference = (bookings[index]?.result as any)?.reference ?? 'unknown';
        const rerouted = this.calls.some(
          (c) => ['rerouteShipment', 'scheduleDelivery', 'expediteShipment'].includes(c.name) && c.input.trackingNumber === input.trackingNumber,
        );
        const planned = this.journeys.get(index + 1) ?? DEFAULT_JOURNEY;
        const steps = rerouted ? [...planned, ...DEFAULT_JOURNEY.slice(1)] : planned;
        if (steps.length > 0) this.pickedUp.add(input.trackingNumber);
        return steps.map((step, i) => ({
          eventId: `${input.trackingNumber}-${i + 1}${rerouted && i >= planned.length ? '-r' : ''}`,
          carrier: input.carrier,
          trackingNumber: input.trackingNumber,
          reference,
          ...step,
          occurredAt: new Date(Date.now() + i).toISOString(),
          location: 'Berlin',
          description: step.statusDetail ?? step.status.replace(/_/g, ' '),
        }));
      }
      case 'voidShipment':
        return this.pickedUp.has(input.trackingNumber) ? { voided: false, reason: 'already picked up' } : { voided: true };
      case 'rerouteShipment':
      case 'scheduleDelivery':
      case 'reschedulePickup':
        return undefined;
      case 'expediteShipment':
        return { newEta: '2026-12-03' };
      case 'openIncident':
      case 'updateIncident':
        this.write(input.transitions);
        return input.status === 'resolved' ? { resolvedAt: new Date().toISOString() } : { openedAt: new Date().toISOString() };
      case 'recordDelay': {
        const late = input.newEta > '2026-12-04';
        const amount = input.policy.kind === 'percent' ? Math.floor((4430 * input.policy.basisPoints) / 10_000) : 0;
        return late ? { promised: '2026-12-04', compensation: { amount, currency: 'EUR' } } : { promised: '2026-12-04' };
      }
      case 'fileCarrierClaim':
        return { amount: 4430, currency: 'EUR' };
      case 'refundShipments': {
        if (!this.refunds.has(input.incidentId)) this.refunds.set(input.incidentId, 4430);
        return { amount: this.refunds.get(input.incidentId), currency: 'EUR' };
      }
      case 'writeOffShipments':
        this.writtenOff += 3;
        return { units: 3 };
      case 'restockReturn':
        this.restocked += 3;
        return { units: 3 };
      case 'closeShipments':
      case 'recordShipDateProposal':
      case 'recordDeliveryConfirmation':
        return input.proposedShipDate ? { previousShipDate: '2026-12-02' } : undefined;
      case 'recordShipDateAnswer':
        return { shipDate: input.answer === 'accepted' ? '2026-12-09' : '2026-12-02' };
      case 'correctDeliveryAddress': {
        const verification = verifyDraft({ ...this.draft!, customer: input.customer }, CATALOGUE, new Date());
        return { verification };
      }
      case 'reserveReplacement': {
        const lines = this.draft!.items;
        const short = lines.filter((l) => (this.available.get(l.sku) ?? 0) < l.quantity);
        if (short.length > 0) throw businessFailure(BusinessFailure.InsufficientStock, 'not enough stock for a replacement', { shortages: [] });
        const reserve = this.reserveStock({ transitions: [] }) as any;
        return { consignments: reserve.consignments };
      }
      case 'planReplacement':
        return this.behave('planShipments', { ...input, transitions: [] });
      case 'releaseReplacement':
        return this.behave('releaseStock', {});
      case 'recordTracking':
        // The goods leave the shelf when the carrier picks them up.
        if (input.events.some((e: any) => e.status !== 'label_created')) {
          for (const [sku, units] of this.held) this.shipped.set(sku, (this.shipped.get(sku) ?? 0) + units);
          this.held.clear();
        }
        this.write(input.transitions);
        return { recorded: input.events.length };
      case 'recordSignOff':
        this.write(input.transitions);
        return { signedAt: new Date().toISOString() };
      case 'recordFeedback':
        this.write(input.transitions);
        return { submittedAt: new Date().toISOString() };
      case 'settleOrder':
        this.write(input.transitions);
        return { journalId: `J-${input.orderId}` };
      case 'paymentsReceived':
        // The fake world's orders owe nothing (the prepaid wait is tested end to end).
        return { total: 0, currency: 'EUR', payments: [] };
      // Stockout options: wait or cancel, nothing paid (the other options are tested end to end).
      case 'stockoutOptions':
        return {
          options: [
            { decision: 'wait', eta: '2030-01-08', consequence: 'back-ordered until 2030-01-08' },
            { decision: 'cancel', consequence: 'the order is cancelled; nothing was paid' },
          ],
        };
      case 'refundStockout':
        return { amount: 0, currency: 'EUR' };
      case 'substituteItem':
        return { items: [] };
      case 'recordAftercare':
        this.write(input.transitions);
        return {};
      default:
        throw new Error(`the fake world has no activity ${String(name)}`);
    }
  }
}

const PASS = Symbol('pass');

/** A failure the carrier activities raise when a carrier says no (activities/carriers.ts). */
export function carrierRejected(message = 'pick-up address not served this week'): Error {
  return businessFailure(BusinessFailure.CarrierRejected, message, { code: 'pickup_unavailable' });
}

// Every activity the workflow can call has a fake: one missing (or one gone) is a type error here.
const ORDER_ACTIVITIES = {
  recordStatus: true,
  recordAttention: true,
  verifyOrder: true,
  reserveStock: true,
  releaseStock: true,
  stockoutOptions: true,
  substituteItem: true,
  refundStockout: true,
  planShipments: true,
  recordDispatch: true,
  recordTracking: true,
  recordSignOff: true,
  recordFeedback: true,
  settleOrder: true,
  paymentsReceived: true,
  openIncident: true,
  updateIncident: true,
  recordDelay: true,
  fileCarrierClaim: true,
  refundShipments: true,
  writeOffShipments: true,
  restockReturn: true,
  closeShipments: true,
  reserveReplacement: true,
  planReplacement: true,
  releaseReplacement: true,
  // A partial delivery's rest is tested end to end (tests/e2e/stockout-options.test.ts).
  reserveRest: true,
  planRest: true,
  cancelRest: true,
  correctDeliveryAddress: true,
  recordShipDateProposal: true,
  recordShipDateAnswer: true,
  recordDeliveryConfirmation: true,
  recordAftercare: true,
} as const satisfies Record<keyof OrderActivities, true>;
const CARRIER_ACTIVITIES = {
  quoteRates: true,
  bookShipment: true,
  pollTracking: true,
  voidShipment: true,
  rerouteShipment: true,
  scheduleDelivery: true,
  reschedulePickup: true,
  expediteShipment: true,
} as const satisfies Record<keyof CarrierActivities, true>;

export interface StartOptions {
  settings?: Partial<OrderSettings>;
  draft?: Partial<OrderDraft>;
  /** Units on the shelf; by default plenty of both sample SKUs. */
  stock?: Record<string, number>;
  /**
   * Start the order as a run carried over (continue-as-new) from one that got this far:
   * `delivered` (one shipment delivered, waiting for sign-off) or `awaiting_feedback`
   * (signed off by the customer). The fake world is set to match.
   */
  carried?: CarriedAt;
}

export type CarriedAt = 'delivered' | 'awaiting_feedback';

/** The happy path's statuses up to `at`, as versions 1, 2, … */
export const CARRIED_TIMELINE: Record<CarriedAt, readonly OrderStatus[]> = {
  delivered: ['received', 'verifying', 'reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered'],
  awaiting_feedback: ['received', 'verifying', 'reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered', 'signed_off', 'awaiting_feedback'],
};

/**
 * The state an order's run would carry at `at`: what VERIFY to TRACK (and SIGN-OFF, for
 * `awaiting_feedback`) recorded, with one shipment delivered by SwiftPost.
 */
export function carriedState(input: OrderWorkflowInput, number: string, at: CarriedAt): OrderState {
  const state = newOrderState(input);
  const statuses = CARRIED_TIMELINE[at];
  const at0 = new Date(Date.now() - 60_000).toISOString();
  const shipmentId = randomUUID();
  const trackingNumber = `TRK-${shipmentId.slice(0, 8)}`;
  const { address } = input.draft.customer;
  const signedOff = at === 'awaiting_feedback';
  const timeline = statuses.map((status, i) => ({ status, stage: STAGE_OF_STATUS[status], at: at0, version: i + 1 }));
  return {
    ...state,
    number,
    verification: { ok: true, reasons: [] },
    verificationRound: 1,
    status: statuses.at(-1)!,
    stage: STAGE_OF_STATUS[statuses.at(-1)!],
    version: statuses.length,
    appliedVersion: statuses.length,
    timeline,
    compensations: [{ name: 'release reserved stock', activity: 'releaseStock', input: { orderId: input.orderId } }],
    dispatchStarted: true,
    trackingDone: true,
    seenTrackingEvents: [1, 2, 3].map((i) => `${trackingNumber}-${i}`),
    shipments: [
      {
        shipmentId,
        warehouseCode: 'BER-1',
        carrier: 'swiftpost',
        method: 'ground',
        service: 'swift-ground',
        shipDate: '2026-12-02',
        estimatedDelivery: '2026-12-04',
        bookingKey: `book:${input.orderId}:1`,
        bookingRequest: {
          carrier: 'swiftpost',
          service: 'swift-ground',
          reference: shipmentId,
          origin: { country: 'DE', region: 'BE', postalCode: '10115' },
          destination: { country: address.country, region: address.region, postalCode: address.postalCode, name: input.draft.customer.name, line1: address.line1, city: address.city },
          parcels: [{ weightGrams: 780, lengthCm: 20, widthCm: 20, heightCm: 15 }],
        },
        trackingNumber,
        status: 'delivered',
      },
    ] as OrderState['shipments'],
    ...(signedOff ? { signedOffAt: at0 } : {}),
  };
}

export interface TestOrder {
  orderId: string;
  workflowId: string;
  handle: WorkflowHandle;
  world: FakeWorld;
  view(): Promise<OrderView>;
  /**
   * Polls the `view` query until `accept` holds (5 s deadline), and returns that view.
   * With `ready`, first waits (in memory) until the fake activities show it can be so.
   */
  waitForView(accept: (v: OrderView) => boolean, what: string, ready?: (w: FakeWorld) => boolean): Promise<OrderView>;
  waitForStatus(status: OrderStatus): Promise<OrderView>;
  /** The workflow's result: the order's outcome. */
  result(): Promise<{ orderId: string; number?: string; status: OrderStatus }>;
}

export interface Harness {
  client: Client;
  startOrder(options?: StartOptions): Promise<TestOrder>;
  /** Terminates the orders started so far that are still running, and opens their gates. */
  endOrders(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How often a waiting test asks the order's `view`. A query is a task for server and worker
 * (about 8 ms of this process's CPU each): tests wait for the fake activities first.
 */
const VIEW_POLL_MS = 10;

/** Timers fire when due instead of at the dev server's 1 s floor. */
const SHORT_TIMERS = { 'history.timerProcessorMaxTimeShift': '10ms' } as const;

async function startServer(): Promise<{ address: string; namespace: string; server?: DevServer }> {
  const binary = inject('temporalCliPath');
  if (!binary) return { address: inject('temporalAddress'), namespace: inject('temporalNamespace') };
  const server = await startDevServer({
    binary,
    port: 0,
    uiPort: false,
    searchAttributes: ORDER_SEARCH_ATTRIBUTES,
    dynamicConfig: SHORT_TIMERS,
  });
  return { address: server.address, namespace: server.namespace, server };
}

export async function startHarness(): Promise<Harness> {
  const { address, namespace, server } = await startServer();
  try {
    return await startWorkers(address, namespace, server);
  } catch (err) {
    await server?.stop();
    throw err;
  }
}

async function startWorkers(address: string, namespace: string, server?: DevServer): Promise<Harness> {
  const bundle = inject('workflowBundlePath');
  const suffix = randomBytes(4).toString('hex');
  const ordersQueue = `wftest-orders-${suffix}`;
  const carriersQueue = `wftest-carriers-${suffix}`;
  const worlds = new Map<string, FakeWorld>();

  const route = (name: ActivityName): AnyActivity => {
    return async (input: any) => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      const world = worlds.get(workflowId);
      if (!world) throw new Error(`no fake world for ${workflowId}`);
      return world.call(name, input);
    };
  };
  const fakes = (names: Record<string, true>) => Object.fromEntries(Object.keys(names).map((n) => [n, route(n as ActivityName)]));

  // Encrypted as in production, so the workflows are tested with the codec in the path.
  const dataConverter = dataConverterFor(testCodec());
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter });
  const code = bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: WORKFLOWS_PATH };
  const workers = await Promise.all([
    Worker.create({ connection: nativeConnection, namespace, taskQueue: ordersQueue, dataConverter, ...code, activities: fakes(ORDER_ACTIVITIES) }),
    Worker.create({ connection: nativeConnection, namespace, taskQueue: carriersQueue, dataConverter, activities: fakes(CARRIER_ACTIVITIES) }),
  ]);
  const running = Promise.all(workers.map((w) => w.run()));
  const started: WorkflowHandle[] = [];

  const harness: Harness = {
    client,
    async startOrder(options = {}) {
      const orderId = randomUUID();
      const workflowId = messages.orderWorkflowId(orderId);
      const world = new FakeWorld(options.stock ?? { 'TEA-OOLONG-100': 100, 'MUG-STONE-350': 100 });
      worlds.set(workflowId, world);
      const input: OrderWorkflowInput = {
        orderId,
        draft: sampleDraft(options.draft),
        requestId: randomUUID(),
        fingerprint: 'test',
        settings: { ...DEFAULT_SETTINGS, ...options.settings },
        carrierTaskQueue: carriersQueue,
      };
      if (options.carried) {
        const statuses = CARRIED_TIMELINE[options.carried];
        const number = world.carriedTo(
          input.draft,
          statuses.map((status, i) => ({ version: i + 1, status })),
        );
        input.carried = carriedState({ ...input }, number, options.carried);
      }
      const handle = await client.workflow.start(messages.ORDER_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: ordersQueue,
        args: [input],
        workflowExecutionTimeout: '5 minutes',
      });
      started.push(handle);
      const view = () => handle.query(messages.view);
      const waitForView = async (accept: (v: OrderView) => boolean, what: string, ready?: (w: FakeWorld) => boolean) => {
        // First in memory (free), then the query (a task for server and worker each time).
        if (ready) await waitFor(() => ready(world), { timeoutMs: 5_000, intervalMs: 2, message: `order ${orderId}: ${what} (activities)` });
        return waitFor(
          async () => {
            const v = await view();
            return accept(v) ? v : undefined;
          },
          { timeoutMs: 5_000, intervalMs: VIEW_POLL_MS, message: `order ${orderId}: ${what}` },
        );
      };
      return {
        orderId,
        workflowId,
        handle,
        world,
        view,
        waitForView,
        // The workflow shows a status once an activity has written it: wait for the write first.
        waitForStatus: (status) =>
          waitForView(
            (v) => v.status === status,
            `status ${status}`,
            (w) => w.written.some((t) => t.status === status),
          ),
        result: () => handle.result(),
      };
    },
    async endOrders() {
      // Orders parked in a durable wait end here, so they take no time from the next test.
      const ending = started.splice(0);
      await Promise.allSettled(
        ending.map(async (h) => {
          const { status } = await h.describe();
          if (status.name === 'RUNNING') await h.terminate('test finished');
        }),
      );
      for (const h of ending) worlds.get(h.workflowId)?.openAll();
    },
    async stop() {
      await harness.endOrders();
      for (const w of workers) w.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
      await server?.stop();
    },
  };

  // The worker's first order pays for loading the workflow code into its sandbox: one
  // short order here (wrong price, not corrected in time), so no test's timing includes that.
  const warmUp = await harness.startOrder({ draft: { currency: 'USD' }, settings: { correctionWindowMs: 1 } });
  await warmUp.result();
  started.length = 0;
  return harness;
}
