import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CarrierTrackingEvent, DeliveryWindow } from '../../src/domain/carrier-contract';
import type {
  DelayNotice,
  DeliveryExceptionReport,
  ExceptionKind,
  IncidentStatus,
  Reporter,
  ResolutionChoice,
} from '../../src/domain/delivery-exception';
import type { Feedback } from '../../src/domain/feedback';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderSettings } from '../../src/domain/order-settings';
import type { PaymentNotice } from '../../src/domain/payments';
import type { OrderStage, OrderStatus } from '../../src/domain/order-status';
import type { SignOffProof } from '../../src/domain/sign-off';
import type { VerificationResult } from '../../src/domain/verification';
import type { OperatorAction } from '../kit/operator';
import type { OrderState } from './state';
import type { OpenQuestion as KitQuestion } from '../kit/questions';

// The one definition of every message an order takes, shared by the API and the
// workflow: the names here are what operators see in the Temporal UI, and they are in
// every recorded history: never rename one.

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;

export interface OrderWorkflowInput {
  orderId: string;
  draft: OrderDraft;
  /** The request that created the order: a repeat of it is told it did not create it. */
  requestId: string;
  /** Hash of the request body, to spot an idempotency key reused for another order. */
  fingerprint: string;
  settings: OrderSettings;
  carrierTaskQueue: string;
  /** The `OF-…` number intake took for it; absent for orders placed before intake took one. */
  number?: string;
  /** The opaque `CustomerId` search attribute (src/intake/customer-ref.ts); workflow code cannot key a hash. */
  customerRef?: string;
  /**
   * The state a previous run carried over (continue-as-new): the order goes on from
   * where that state says, skipping the stages it records as done. Absent for a new order.
   */
  carried?: OrderState;
  /** Finance's decision to carry out on a closed order (a new run of its workflow, settlement aftercare). */
  aftercare?: AftercareRequest;
}

/** R6.8: what finance decided on a settlement discrepancy, carried out by the order's own workflow. */
export interface AftercareRequest {
  kind: 'reship' | 'return';
  discrepancyId: string;
  settlementId: string;
  note: string;
}

/** How an aftercare stands, as the order and the discrepancy show it. */
export type AftercareStatus = 'requested' | 'shipping' | 'awaiting_return' | 'done' | 'failed' | 'lapsed';

export interface AftercareView extends AftercareRequest {
  status: AftercareStatus;
  shipmentIds?: string[];
  returnBy?: string;
  outcome?: Record<string, unknown>;
}

/** Refusal type of requestAftercare: the run is finishing, so the request goes to a new run once it has closed. */
export const ORDER_RUN_ENDING = 'OrderRunEnding';

/** Finance's reship/return for an order whose workflow still runs: taken once per discrepancy. */
export const requestAftercare = defineUpdate<{ discrepancyId: string; status: AftercareStatus }, [AftercareRequest]>('requestAftercare');

/** The goods finance agreed to take back are with us (an operator, or the warehouse's system). */
export const returnReceived = defineUpdate<{ status: OrderStatus; discrepancyId: string }, [{ discrepancyId?: string; note?: string }]>('returnReceived');

/** The order's whole state: what a new run for an aftercare carries on from (answered by closed runs too). */
export const carriedState = defineQuery<OrderState>('carriedState');

export interface OrderOutcome {
  orderId: string;
  number?: string;
  status: OrderStatus;
}

// ---- updates -------------------------------------------------------------------

export interface IntakeRequest {
  requestId: string;
  fingerprint: string;
}

export interface IntakeReply {
  orderId: string;
  number?: string;
  status: OrderStatus;
  verification: VerificationResult;
  /** True only for the request that started the workflow. */
  created: boolean;
  fingerprint: string;
}

/** Answers once VERIFY has a verdict; sent with the start, so the create reply carries it. */
export const awaitVerification = defineUpdate<IntakeReply, [IntakeRequest]>('awaitVerification');

export interface OrderCorrection {
  customer?: OrderDraft['customer'];
  items?: OrderDraft['items'];
  /** With a corrected customer: their opaque `CustomerId`, keyed by the API (never by the caller). */
  customerRef?: string;
}
/** R1.9: replaces the customer and/or the items of an order that needs correction, then re-verifies. */
export const correctOrder = defineUpdate<IntakeReply, [OrderCorrection]>('correctOrder');

export type StockDecision =
  | { decision: 'wait' }
  | { decision: 'cancel'; reason?: string }
  // Added with stockout options: taken only when on offer (the question's options).
  | { decision: 'transfer' }
  | { decision: 'substitute'; substituteSku: string }
  | { decision: 'partial' };
/** R1.8: what the customer wants done when stock is short; an option not on offer is refused, naming those that are. */
export const respondToStockout = defineUpdate<{ status: OrderStatus }, [StockDecision]>('respondToStockout');

export interface SignOffReply {
  status: OrderStatus;
  /** Absent when the goods were not accepted: a damaged-goods incident was opened instead. */
  signedAt?: string;
  incidentId?: string;
}
export const signOff = defineUpdate<SignOffReply, [SignOffProof]>('signOff');

export interface FeedbackReply {
  status: OrderStatus;
  submittedAt: string;
}
export const submitFeedback = defineUpdate<FeedbackReply, [Feedback]>('submitFeedback');

/** R1.8 `partial`: the back-ordered rest given up by the customer, and what that did to the money. */
export interface CancelledRest {
  fulfilment: number;
  lines: { line: number; sku: string; quantity: number }[];
  /** The rest's goods at the order's prices. */
  value: { amount: number; currency: string };
  /** Paid back (ledger kind `refund`); the rest of the value comes off the order's total (never charged). */
  refunded: { amount: number; currency: string };
}

/** What a cancel took: the whole order (`status` cancelled), or, the first part with the carrier, only the rest still waiting for stock (`cancelled`). */
export interface CancelReply {
  status: OrderStatus;
  cancelled?: { what: 'rest' } & CancelledRest;
}
export const cancel = defineUpdate<CancelReply, [{ reason: string }]>('cancel');

/** The customer's choice for a lost or damaged parcel; an option not on offer is refused, naming those that are. */
export const chooseResolution = defineUpdate<{ status: OrderStatus; incident: IncidentView }, [{ incidentId: string; choice: ResolutionChoice }]>(
  'chooseResolution',
);

/** R3.3: an operator proposes a new ship date; the customer is asked. */
export const proposeShipDate = defineUpdate<
  { proposalId: string; previousShipDate: string },
  [{ proposalId: string; proposedShipDate: string; reason: string }]
>('proposeShipDate');
/** R3.3: the customer's answer; accepted, the shipments' dates move (and the carriers' pickups). */
export const respondToShipDate = defineUpdate<{ shipDate: string; answer: 'accepted' | 'declined' }, [{ accept: boolean }]>('respondToShipDate');

export interface DeliveryConfirmation {
  addressConfirmed: boolean;
  contactPhone?: string;
  window: DeliveryWindow;
}
/** R5.1: the customer confirms address, contact and window; an unconfirmed address opens an address problem. */
export const confirmDelivery = defineUpdate<{ rescheduled: boolean; incidentId?: string }, [DeliveryConfirmation]>('confirmDelivery');

/** An operator speeds up a delayed shipment (another service or carrier for the rest of the way). */
export const expedite = defineUpdate<{ newEta: string }, [{ incidentId: string }]>('expedite');

// ---- signals -------------------------------------------------------------------

/** A carrier's tracking event, from its webhook (or our poll of its API). */
export const trackingEvent = defineSignal<[CarrierTrackingEvent]>('trackingEvent');

/** Something went wrong on the way: from a carrier's webhook, the customer or an operator. */
export const deliveryException = defineSignal<[DeliveryExceptionReport]>('deliveryException');

/** A carrier's or planner's new ETA. */
export const delay = defineSignal<[DelayNotice]>('delay');

/** Stock arrived (replenishment, receipts): a back-ordered order tries to reserve again. */
/** A payment for this order was recorded (POST /v1/payments): prepaid, instalment or COD remittance. */
export const paymentReceived = defineSignal<[PaymentNotice]>('paymentReceived');

export const stockAvailable = defineSignal<[{ skus?: string[] }]>('stockAvailable');

export type { OperatorAction };
/**
 * How an operator unsticks an order from the Temporal UI: retry the failed step, skip it
 * (where the step allows it), or cancel. The payload is checked by the workflow: a
 * malformed one is refused (logged and shown in the attention reason), not obeyed.
 */
export const operatorAction = defineSignal<[OperatorAction]>('operatorAction');

// ---- query ---------------------------------------------------------------------

export type QuestionKind =
  | 'correction'
  | 'stock_decision'
  | 'sign_off'
  | 'feedback'
  | 'operator'
  | 'incident_resolution'
  | 'ship_date'
  | 'delivery_confirmation';
export type OpenQuestion = KitQuestion<QuestionKind>;

export interface ShipmentView {
  shipmentId: string;
  carrier: string;
  method: string;
  service: string;
  trackingNumber?: string;
  status: string;
  /** Ended without delivery: voided, lost, damaged, returned or refunded. */
  closedAs?: string;
  /** The incident this shipment carries replacement goods for. */
  replaces?: string;
}

export interface IncidentView {
  id: string;
  kind: ExceptionKind;
  status: IncidentStatus;
  reportedBy: Reporter;
  shipmentIds: string[];
  openedAt: string;
  resolvedAt?: string;
  options: ResolutionChoice[];
  resolution?: { action: string; [key: string]: unknown };
}

export interface OrderView {
  orderId: string;
  number?: string;
  status: OrderStatus;
  stage: OrderStage;
  version: number;
  needsAttention: boolean;
  attentionReason?: string;
  verification?: VerificationResult;
  timeline: { status: OrderStatus; stage: OrderStage; at: string; version: number }[];
  shipments: ShipmentView[];
  openQuestions: OpenQuestion[];
  incidents?: IncidentView[];
  aftercare?: AftercareView[];
}
export const view = defineQuery<OrderView>('view');
