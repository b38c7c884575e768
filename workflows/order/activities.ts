import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Allocation } from '../../src/domain/allocation';
import type { Booking, BookingRequest, CarrierTrackingEvent, RateQuote, RateRequest } from '../../src/domain/carrier-contract';
import { BUSINESS_FAILURE_TYPES } from '../../src/domain/failures';
import type { Feedback } from '../../src/domain/feedback';
import type { OrderDraft } from '../../src/domain/order';
import type { Consignment, PlannedShipment } from '../../src/domain/shipment';
import type { SignOffProof } from '../../src/domain/sign-off';
import type { Transition } from '../../src/domain/transition';
import type { VerificationResult } from '../../src/domain/verification';

// The activities an order calls, as a contract: activities/index.ts checks that its
// implementations satisfy these interfaces, and the workflow never imports activities/.
// The method names are activity type names, in every recorded history: never rename one.

export interface OrderActivities {
  /** A status change with nothing else to write (needs_correction, cancelled, …). */
  recordStatus(input: { orderId: string; transitions: Transition[] }): Promise<void>;
  /** Raises or clears the operator flag; a reason without the flag is a note (a refused action). */
  recordAttention(input: { orderId: string; needsAttention: boolean; reason?: string }): Promise<void>;
  verifyOrder(input: {
    orderId: string;
    workflowId: string;
    fingerprint: string;
    draft: OrderDraft;
    correction?: boolean;
    transitions: Transition[];
  }): Promise<{ number: string; verification: VerificationResult }>;
  reserveStock(input: { orderId: string; transitions: Transition[] }): Promise<{
    allocations: Allocation[];
    consignments: Consignment[];
    reasons: string[];
  }>;
  releaseStock(input: { orderId: string; transitions?: Transition[] }): Promise<{ released: number }>;
  planShipments(input: {
    orderId: string;
    consignments: (Consignment & { quotes: RateQuote[] })[];
    transitions: Transition[];
  }): Promise<{ shipments: PlannedShipment[] }>;
  recordDispatch(input: { orderId: string; bookings: (Booking & { shipmentId: string })[]; transitions: Transition[] }): Promise<void>;
  recordTracking(input: { orderId: string; events: CarrierTrackingEvent[]; transitions: Transition[] }): Promise<{ recorded: number }>;
  recordSignOff(input: {
    orderId: string;
    method: 'customer' | 'carrier_proof_of_delivery';
    proof?: SignOffProof;
    credentialHint?: string;
    transitions: Transition[];
  }): Promise<{ signedAt: string }>;
  recordFeedback(input: { orderId: string; feedback: Feedback; transitions: Transition[] }): Promise<{ submittedAt: string }>;
  settleOrder(input: { orderId: string; transitions: Transition[] }): Promise<{ journalId: string }>;
}

/** Calls to carriers' APIs, on the rate-limited carriers task queue. */
export interface CarrierActivities {
  quoteRates(request: RateRequest): Promise<RateQuote[]>;
  /** Books with the shipment's own idempotency key: a retry can never book twice. */
  bookShipment(input: { shipmentId: string; bookingKey: string; request: BookingRequest }): Promise<Booking & { shipmentId: string }>;
  pollTracking(input: { carrier: string; trackingNumber: string }): Promise<CarrierTrackingEvent[]>;
}

// How long and how often each kind of step may be tried before an operator is asked.
// Database steps are quick: retry for about ten minutes. Carrier calls may meet a
// carrier's outage: retry for about half an hour.

const databaseStep: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '200ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 25,
    nonRetryableErrorTypes: [...BUSINESS_FAILURE_TYPES],
  },
};

export function orderActivities() {
  return proxyActivities<OrderActivities>(databaseStep);
}

export function carrierActivities(taskQueue: string) {
  return proxyActivities<CarrierActivities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: '60s',
      maximumAttempts: 40,
      nonRetryableErrorTypes: [...BUSINESS_FAILURE_TYPES],
    },
  });
}
