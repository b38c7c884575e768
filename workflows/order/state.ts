import type { CarrierTrackingEvent, TrackingStatus } from '../../src/domain/carrier-contract';
import type { Feedback } from '../../src/domain/feedback';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderStage, OrderStatus } from '../../src/domain/order-status';
import type { PlannedShipment } from '../../src/domain/shipment';
import type { VerificationResult } from '../../src/domain/verification';
import type { Compensation } from '../kit/compensation';
import type { OperatorState } from '../kit/operator';
import type { StatusLineState } from '../kit/transition';
import type { OrderActivities } from './activities';
import type { OrderCorrection, OrderView, OrderWorkflowInput, StockDecision } from './messages';

// Everything one order's run knows, as plain JSON: no classes, Maps or Sets, so it is
// exactly what continue-as-new would carry to the next run.

export interface ShipmentState extends PlannedShipment {
  trackingNumber?: string;
  status: TrackingStatus | 'planned';
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
