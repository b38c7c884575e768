import type { CarrierTrackingEvent, TrackingStatus } from '../../src/domain/carrier-contract';
import type { DeliveryWindow } from '../../src/domain/carrier-contract';
import type { DeliveryExceptionReport, ExceptionKind, IncidentStatus, Reporter, ResolutionChoice } from '../../src/domain/delivery-exception';
import type { Feedback } from '../../src/domain/feedback';
import type { Customer } from '../../src/domain/order';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderStage, OrderStatus } from '../../src/domain/order-status';
import type { PlannedShipment } from '../../src/domain/shipment';
import type { StockoutOption } from '../../src/domain/stockout-options';
import type { VerificationResult } from '../../src/domain/verification';
import type { Compensation } from '../kit/compensation';
import type { OperatorState } from '../kit/operator';
import type { StatusLineState } from '../kit/transition';
import type { IncidentResolution, OrderActivities, ShipmentClosure } from './activities';
import type { AftercareView, CancelledRest, OrderCorrection, OrderView, OrderWorkflowInput, StockDecision } from './messages';

// Everything one order's run knows, as plain JSON: no classes, Maps or Sets, so it is
// exactly what continue-as-new would carry to the next run.

export interface ShipmentState extends PlannedShipment {
  trackingNumber?: string;
  /** Where the parcel is on its journey; exceptions and returns are beside it (below). */
  status: TrackingStatus | 'planned';
  /** Ended without delivery: no longer tracked, and not waited for. */
  closedAs?: ShipmentClosure;
  /** The incident whose goods this shipment replaces. */
  replaces?: string;
  /** The carrier is bringing it back (a refusal, an address nobody found). */
  returning?: boolean;
  /** It is back with us. */
  returned?: boolean;
}

/** A partial delivery's rest: its lines, waiting for stock, then shipped as fulfilment `fulfilment`. */
export interface BackOrderedRest {
  fulfilment: number;
  lines: { line: number; sku: string; quantity: number }[];
  /** When it last tried to reserve (epoch ms): it looks again on its own after the recheck interval. */
  triedAt?: number;
  /** Reserved and on its way (or given up): no longer waited for. */
  done?: boolean;
}

/** One thing that went wrong on the way, from report to resolution (R4.8). */
export interface IncidentState {
  id: string;
  kind: ExceptionKind;
  reportedBy: Reporter;
  detail?: string;
  newEta?: string;
  shipmentIds: string[];
  status: IncidentStatus;
  openedAt: string;
  resolvedAt?: string;
  options: ResolutionChoice[];
  /** What the playbook waits for now. */
  waitingFor?: 'customer_choice' | 'address_correction' | 'return';
  /** Epoch ms after which the playbook stops waiting and takes its default path. */
  waitUntil?: number;
  /** The customer's choice, taken by the main flow. */
  choice?: ResolutionChoice;
  resolution?: IncidentResolution;
}

export interface ShipDateProposal {
  proposalId: string;
  proposedShipDate: string;
  previousShipDate?: string;
  reason: string;
  status: 'proposed' | 'accepted' | 'declined' | 'lapsed';
  /** The customer's answer, waiting to be written. */
  answer?: 'accepted' | 'declined';
}

export interface OrderState extends StatusLineState<OrderStatus>, OperatorState {
  input: OrderWorkflowInput;
  draft: OrderDraft;
  number?: string;
  verification?: VerificationResult;
  stage: OrderStage;
  timeline: OrderView['timeline'];
  shipments: ShipmentState[];
  /** How far verification got, for messages waiting on its verdict. */
  verificationRound: number;
  /** Undo steps registered so far (cancel runs them, last first). */
  compensations: Compensation<OrderActivities>[];

  // Messages waiting for the main flow to act on them.
  cancelRequest?: { reason: string };
  /** Set once the order is being cancelled: its undo steps and final write must finish. */
  ending: boolean;
  correction?: OrderCorrection;
  stockDecision?: StockDecision;
  stockArrived: boolean;
  /** R1.8: the options the open stockout question offers (absent in runs before them: wait or cancel). */
  stockoutOptions?: StockoutOption[];
  /** Bumped when a stock decision is taken without leaving awaiting_stock_decision (a substitute), for the update waiting on it. */
  stockRound?: number;
  /** R1.8 `transfer`: warehouses beyond RESERVE's reach the customer agreed to take the goods from. */
  stockTransferFrom?: string[];
  /** R1.8 `partial` chosen: RESERVE takes what is there now; the rest is back-ordered as this fulfilment. */
  partialChosen?: { fulfilment: number };
  /** R1.8 `partial`: the back-ordered rest, shipped as its own fulfilment when stock comes (workflows/order/partial.ts). */
  backOrderedRest?: BackOrderedRest;
  /** R1.8 `partial`: the customer's cancel of the rest still waiting (the first part is with the carrier), and its outcome. */
  restCancelRequest?: { reason: string };
  restCancelled?: CancelledRest;
  restCancelRefused?: string;
  trackingInbox: CarrierTrackingEvent[];
  /** Carrier event ids taken so far: each event is taken once. */
  seenTrackingEvents: string[];
  /** Every shipment is delivered: late tracking events are recorded as they arrive. */
  trackingDone: boolean;
  /** Set as the first carrier booking goes out: from then on, the goods are on their way. */
  dispatchStarted: boolean;
  signOffInProgress: boolean;
  signedOffAt?: string;
  feedbackInProgress: boolean;
  feedback?: Feedback & { submittedAt: string };
  feedbackWindowClosed: boolean;

  // Delivery exceptions (R3.10, R4.8–R4.10, R5.1, R5.2). Optional: absent in states
  // carried over from runs that began before them.
  incidents?: IncidentState[];
  /** Reports waiting for the main flow (signals, carrier events, a refused sign-off). */
  exceptionInbox?: DeliveryExceptionReport[];
  /** How many replacements were sent: the next is fulfilment n + 1. */
  replacements?: number;
  /** A new address sent for an address problem, waiting to be checked. */
  addressCorrection?: { incidentId: string; customer: Customer };
  /** Bumped each time an address correction is checked, for the update waiting on it. */
  addressCorrectionRound?: number;
  addressCorrectionResult?: VerificationResult;
  /** Incidents an operator asked to expedite, waiting for the main flow. */
  expediteRequests?: string[];
  expediteResults?: Record<string, string>;
  shipDateProposal?: ShipDateProposal;
  deliveryConfirmation?: { addressConfirmed: boolean; contactPhone?: string; window: DeliveryWindow; rescheduled?: boolean; pending: boolean };
  /** Why a cancel was refused after all (the carrier already had the parcel). */
  cancelRefused?: string;

  // Payments (R6.1). Optional: absent in states carried over from runs before them.
  /** Payments heard of (signal or read from the database), each counted once by id. */
  payments?: { paymentId: string; amount: number }[];

  // Settlement aftercare (R6.8). Optional: absent in runs before it.
  /** Finance's reship / return decisions on this order, each once by discrepancy. */
  aftercares?: (AftercareView & { received?: boolean; receivedNote?: string; waitUntil?: number })[];
  /** The run has passed its last aftercare: a new request waits for a new run. */
  aftercareClosed?: boolean;
}

/** The state of an order that has just been placed. */
export function newOrderState(input: OrderWorkflowInput): OrderState {
  return {
    input,
    draft: input.draft,
    status: 'received',
    stage: 'verify',
    version: 0,
    appliedVersion: 0,
    timeline: [],
    shipments: [],
    verificationRound: 0,
    compensations: [],
    needsAttention: false,
    operatorInbox: [],
    openQuestions: [],
    ending: false,
    stockArrived: false,
    trackingInbox: [],
    seenTrackingEvents: [],
    trackingDone: false,
    dispatchStarted: false,
    signOffInProgress: false,
    feedbackInProgress: false,
    feedbackWindowClosed: false,
  };
}
