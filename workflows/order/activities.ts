import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Allocation, AllocationReach, LineRequest, Shortage } from '../../src/domain/allocation';
import type { StockoutOption } from '../../src/domain/stockout-options';
import type {
  Booking,
  BookingRequest,
  CarrierTrackingEvent,
  DeliveryWindow,
  RateQuote,
  RateRequest,
  VoidOutcome,
} from '../../src/domain/carrier-contract';
import type { DelayCompensationPolicy, ExceptionKind, IncidentStatus, Reporter, ResolutionChoice } from '../../src/domain/delivery-exception';
import { BUSINESS_FAILURE_TYPES } from '../../src/domain/failures';
import type { Feedback } from '../../src/domain/feedback';
import type { Customer, OrderDraft } from '../../src/domain/order';
import type { Consignment, PlannedShipment } from '../../src/domain/shipment';
import type { SignOffProof } from '../../src/domain/sign-off';
import type { Transition } from '../../src/domain/transition';
import type { VerificationResult } from '../../src/domain/verification';
import type { AftercareStatus, CancelledRest } from './messages';

/** What a prepaid order has been paid (each payment once, by id) against what it owes. */
export interface PaymentsReceived {
  total: number;
  currency: string;
  payments: { paymentId: string; amount: number }[];
}

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
    /** The number intake took for it; absent (older orders), the database draws one. */
    number?: string;
    transitions: Transition[];
  }): Promise<{ number: string; verification: VerificationResult }>;
  reserveStock(input: {
    orderId: string;
    transitions: Transition[];
    /** How far RESERVE reaches on its own (absent: anywhere), and warehouses the customer agreed to a transfer from. */
    reach?: AllocationReach;
    alsoFrom?: string[];
    /** R1.8 `partial`: reserve what is there now; the rest is back-ordered as this fulfilment. */
    partial?: { fulfilment: number };
  }): Promise<{
    allocations: Allocation[];
    consignments: Consignment[];
    reasons: string[];
    /** A partial reservation's back-ordered rest. */
    later?: LineRequest[];
  }>;
  releaseStock(input: { orderId: string; transitions?: Transition[] }): Promise<{ released: number }>;
  /** R1.8: the options a stockout offers now (wait with its ETA, transfer, substitute, cancel with its refund). */
  stockoutOptions(input: { orderId: string; shortages: Shortage[]; leadTimeMs?: number; reach?: AllocationReach }): Promise<{ options: StockoutOption[] }>;
  /** R1.8 `partial`: the back-ordered rest reserved as its fulfilment once stock is there (none: no rest); InsufficientStock (business) when not yet. */
  reserveRest(input: { orderId: string; fulfilment: number; reach?: AllocationReach }): Promise<{ consignments: Consignment[] }>;
  /** Plans the rest's shipments (ids and booking keys of their own; not charged again). */
  planRest(input: {
    orderId: string;
    fulfilment: number;
    consignments: (Consignment & { quotes: RateQuote[] })[];
    transitions: Transition[];
  }): Promise<{ shipments: PlannedShipment[] }>;
  /** R1.8 `partial`: the customer gives up the rest still waiting: its back order cleared, what was paid for it refunded, the rest not charged. */
  cancelRest(input: { orderId: string; fulfilment: number; reason: string; transitions: Transition[] }): Promise<CancelledRest>;
  /** R1.8: the short SKU's lines become the chosen substitute, at the agreed price. */
  substituteItem(input: { orderId: string; sku: string; substituteSku: string }): Promise<{ items: { line: number; sku: string; quantity: number }[] }>;
  /** R1.8: pays back what was paid for an order cancelled after a stockout (ledger kind `refund`; none when nothing was paid). */
  refundStockout(input: { orderId: string; reason: string }): Promise<{ amount: number; currency: string }>;
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
  /** Posts the order's journal: what was paid, less what was refunded, becomes revenue. */
  settleOrder(input: { orderId: string; transitions: Transition[] }): Promise<{ journalId: string }>;
  /** R6.1: the payments recorded for the order so far, and the total they must cover. */
  paymentsReceived(input: { orderId: string }): Promise<PaymentsReceived>;

  // ---- delivery exceptions (R3.10, R4.8, R4.9, R5.2) -----------------------------
  // Every write is keyed by the incident (and shipment): a retry writes nothing twice.

  /** Writes the incident (once per id), with the order's move to delivery_exception if any. */
  openIncident(input: { orderId: string; incident: IncidentRecord; transitions: Transition[] }): Promise<{ openedAt: string }>;
  /** Changes an incident's status (awaiting_customer, resolved with its resolution), with any status change of the order. */
  updateIncident(input: {
    orderId: string;
    incidentId: string;
    status: IncidentStatus;
    options?: ResolutionChoice[];
    resolution?: IncidentResolution;
    transitions: Transition[];
  }): Promise<{ resolvedAt?: string }>;
  /**
   * A delay: the shipments' ETA becomes `newEta`, the customer is told (outbox), and when
   * it passes the promised date the compensation the policy gives is posted to the ledger
   * (kind `compensation`, journal per incident).
   */
  recordDelay(input: {
    orderId: string;
    incidentId: string;
    shipmentIds: string[];
    newEta: string;
    policy: DelayCompensationPolicy;
  }): Promise<{ promised?: string; compensation?: { amount: number; currency: string } }>;
  /** A carrier claim for lost or damaged goods, recorded on the incident; answers what was claimed. */
  fileCarrierClaim(input: { orderId: string; incidentId: string; shipmentIds: string[] }): Promise<{ amount: number; currency: string }>;
  /** Pays back what the customer paid for the shipments' lines (ledger kind `refund`, journal per incident). */
  refundShipments(input: {
    orderId: string;
    incidentId: string;
    shipmentIds: string[];
    reason: string;
    /** A settlement return on an order paid after delivery: cash back up to what was paid, the unpaid rest forgiven. */
    followPayments?: boolean;
  }): Promise<{ amount: number; currency: string; forgiven?: number; collectionForgiven?: number }>;
  /** Goods lost or damaged on the way leave the books: one `write_off` movement per line. */
  writeOffShipments(input: { orderId: string; incidentId: string; shipmentIds: string[]; reason: 'lost' | 'damaged' | 'not_returned' }): Promise<{ units: number }>;
  /** Goods back at the warehouse go back on the shelf: one `return` movement per line. */
  restockReturn(input: { orderId: string; incidentId: string; shipmentIds: string[] }): Promise<{ units: number }>;
  /** Marks shipments closed without delivery (voided, lost, damaged, returned, refunded). */
  closeShipments(input: { orderId: string; shipmentIds: string[]; closedAs: ShipmentClosure }): Promise<void>;
  /**
   * Reserves the lines of the shipments again, as fulfilment `fulfilment` (1, 2, …), from
   * any warehouse: the consignments to quote; InsufficientStock (business) when short.
   */
  reserveReplacement(input: { orderId: string; incidentId: string; fulfilment: number; shipmentIds: string[] }): Promise<{ consignments: Consignment[] }>;
  /** Plans the replacement's shipments (new ids, new booking keys) for the quoted consignments. */
  planReplacement(input: {
    orderId: string;
    incidentId: string;
    fulfilment: number;
    consignments: (Consignment & { quotes: RateQuote[] })[];
    transitions: Transition[];
  }): Promise<{ shipments: PlannedShipment[] }>;
  /** Gives back a replacement's reservation that will not ship (its incident ended in a refund). */
  releaseReplacement(input: { orderId: string; fulfilment: number }): Promise<{ released: number }>;
  /** R1.9 during delivery: a new address (and contact) checked and written; the carriers are re-routed after. */
  correctDeliveryAddress(input: { orderId: string; incidentId: string; customer: Customer }): Promise<{ verification: VerificationResult }>;
  /** R3.3: the operator's proposal, and the customer's answer (accepted: the shipments' dates move). */
  recordShipDateProposal(input: { orderId: string; proposalId: string; proposedShipDate: string; reason: string }): Promise<{ previousShipDate: string }>;
  recordShipDateAnswer(input: { orderId: string; proposalId: string; answer: 'accepted' | 'declined' | 'lapsed' }): Promise<{ shipDate: string }>;
  /** R5.1: the customer's confirmation of address, contact and delivery window. */
  recordDeliveryConfirmation(input: {
    orderId: string;
    addressConfirmed: boolean;
    contactPhone?: string;
    window: DeliveryWindow;
    rescheduled: boolean;
  }): Promise<void>;

  // ---- settlement aftercare (R6.8) ---------------------------------------------
  /**
   * Writes how finance's reship / return on a discrepancy stands: on the discrepancy
   * (`resolution.carriedOut`) and with any status change of the order. A reship `done`
   * journals the re-shipped goods (kind `write_off`, journal `reship:{discrepancyId}`,
   * to the discrepancy's settlement) and the new shipments' carrier charges. Idempotent.
   */
  recordAftercare(input: {
    orderId: string;
    discrepancyId: string;
    kind: 'reship' | 'return';
    progress: { status: AftercareStatus; shipmentIds?: string[]; returnBy?: string; outcome?: Record<string, unknown> };
    transitions: Transition[];
  }): Promise<{ reshipCost?: { amount: number; currency: string } }>;
}

export type ShipmentClosure = 'voided' | 'lost' | 'damaged' | 'returned' | 'refunded';

/** An incident as the workflow writes it. */
export interface IncidentRecord {
  id: string;
  kind: ExceptionKind;
  status: IncidentStatus;
  reportedBy: Reporter;
  detail?: string;
  shipmentIds: string[];
  newEta?: string;
  options: ResolutionChoice[];
}

/** How an incident ended: `action` names the playbook's end, the rest its figures. */
export interface IncidentResolution {
  action:
    | 'customer_notified'
    | 'compensated'
    | 'expedited'
    | 'replacement'
    | 'refund'
    | 'rerouted'
    | 'returned_and_refunded'
    | 'merged'
    | 'dismissed';
  [key: string]: unknown;
}

/** Calls to carriers' APIs, on the rate-limited carriers task queue. */
export interface CarrierActivities {
  quoteRates(request: RateRequest): Promise<RateQuote[]>;
  /** Books with the shipment's own idempotency key: a retry can never book twice. */
  bookShipment(input: { shipmentId: string; bookingKey: string; request: BookingRequest }): Promise<Booking & { shipmentId: string }>;
  pollTracking(input: { carrier: string; trackingNumber: string }): Promise<CarrierTrackingEvent[]>;
  /** Voids a booking before pickup; once the carrier has the parcel it answers `voided: false`. */
  voidShipment(input: { carrier: string; trackingNumber: string }): Promise<VoidOutcome>;
  /** Sends the parcel to a corrected address (an address problem). */
  rerouteShipment(input: { carrier: string; trackingNumber: string; destination: BookingRequest['destination'] }): Promise<void>;
  /** Delivers within the customer's window (R5.1). */
  scheduleDelivery(input: { carrier: string; trackingNumber: string; window: DeliveryWindow }): Promise<void>;
  /** Moves the pickup to a new ship date (R3.3), before the parcel is handed over. */
  reschedulePickup(input: { carrier: string; trackingNumber: string; shipDate: string }): Promise<void>;
  /** Speeds up the rest of the journey (a delay's remedy); answers the new ETA. */
  expediteShipment(input: { carrier: string; trackingNumber: string }): Promise<{ newEta: string }>;
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
