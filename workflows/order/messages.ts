import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CarrierTrackingEvent } from '../../src/domain/carrier-contract';
import type { Feedback } from '../../src/domain/feedback';
import type { OrderDraft } from '../../src/domain/order';
import type { OrderSettings } from '../../src/domain/order-settings';
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
  /**
   * The state a previous run carried over (continue-as-new): the order goes on from
   * where that state says, skipping the stages it records as done. Absent for a new order.
   */
  carried?: OrderState;
}

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
}
/** R1.9: replaces the customer and/or the items of an order that needs correction, then re-verifies. */
export const correctOrder = defineUpdate<IntakeReply, [OrderCorrection]>('correctOrder');

export type StockDecision = { decision: 'wait' } | { decision: 'cancel'; reason?: string };
/** R1.8: what the customer wants done when stock is short. */
export const respondToStockout = defineUpdate<{ status: OrderStatus }, [StockDecision]>('respondToStockout');

export interface SignOffReply {
  status: OrderStatus;
  signedAt: string;
}
export const signOff = defineUpdate<SignOffReply, [SignOffProof]>('signOff');

export interface FeedbackReply {
  status: OrderStatus;
  submittedAt: string;
}
export const submitFeedback = defineUpdate<FeedbackReply, [Feedback]>('submitFeedback');

export const cancel = defineUpdate<{ status: OrderStatus }, [{ reason: string }]>('cancel');

// ---- signals -------------------------------------------------------------------

/** A carrier's tracking event, from its webhook (or our poll of its API). */
export const trackingEvent = defineSignal<[CarrierTrackingEvent]>('trackingEvent');

/** Stock arrived (replenishment, receipts): a back-ordered order tries to reserve again. */
export const stockAvailable = defineSignal<[{ skus?: string[] }]>('stockAvailable');

export type { OperatorAction };
/**
 * How an operator unsticks an order from the Temporal UI: retry the failed step, skip it
 * (where the step allows it), or cancel. The payload is checked by the workflow: a
 * malformed one is refused (logged and shown in the attention reason), not obeyed.
 */
export const operatorAction = defineSignal<[OperatorAction]>('operatorAction');

// ---- query ---------------------------------------------------------------------

export type QuestionKind = 'correction' | 'stock_decision' | 'sign_off' | 'feedback' | 'operator';
export type OpenQuestion = KitQuestion<QuestionKind>;

export interface ShipmentView {
  shipmentId: string;
  carrier: string;
  method: string;
  service: string;
  trackingNumber?: string;
  status: string;
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
}
export const view = defineQuery<OrderView>('view');
