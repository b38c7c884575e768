import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CollectedMethod, CollectionSettings } from '../../src/domain/collection';

// The collection workflow's messages (R6.1): what happens to an order's money after
// SETTLE when it is not paid up front — a carrier remitting the cash it collected at the
// door, or a customer paying instalments. Payments arrive by the order's own
// `paymentReceived` signal (workflows/order/messages.ts), which POST /v1/payments sends
// to `order-{id}` and `collection-{id}` alike; the operator's path is the NeedsAttention
// flag and `operatorAction` `{action: "cancel", reason}`, which closes the collection.
// Names are in recorded histories: never rename one.

export { paymentReceived, operatorAction } from '../order/messages';

export const COLLECTION_WORKFLOW_TYPE = 'collectionWorkflow';
export const collectionWorkflowId = (orderId: string) => `collection-${orderId}`;

export interface CollectionWorkflowInput {
  orderId: string;
  method: CollectedMethod;
  settings: CollectionSettings;
  /** Instalments for this order, when it asked for a number of its own. */
  instalmentCount?: number;
}

export type InstalmentStatus = 'due' | 'overdue' | 'paid' | 'cancelled';

export interface InstalmentView {
  number: number;
  amount: number;
  dueAt: string;
  status: InstalmentStatus;
  /** Minor units received towards it so far. */
  received: number;
  dunningNotices: number;
  /** The operator was flagged about it (two notices went unanswered). */
  flagged: boolean;
}

export type CollectionStatus = 'opening' | 'awaiting_remittance' | 'awaiting_instalments' | 'collected' | 'closed_by_operator' | 'closed_by_return';

export interface CollectionView {
  orderId: string;
  method: CollectedMethod;
  status: CollectionStatus;
  currency?: string;
  /** What is owed: the cash collected at the door (COD) or the order's total (instalments). */
  expected?: number;
  received: number;
  /** COD: the carrier remitting it, and by when. */
  carrier?: string;
  remittanceDueAt?: string;
  remindedAt?: string;
  instalments: InstalmentView[];
  payments: string[];
  needsAttention: boolean;
  attentionReason?: string;
  closedReason?: string;
  /** Forgiven by returns (finance's settlement `return`): no longer owed. */
  forgiven?: number;
}
export const view = defineQuery<CollectionView>('view');

export interface CollectionOutcome {
  orderId: string;
  status: 'collected' | 'closed_by_operator' | 'closed_by_return';
  received: number;
}

/**
 * The order's workflow, after refunding a return (settlement aftercare): of what was owed,
 * `forgiven` is owed no more — the goods came back unpaid. Instalments lose it from the last
 * one back (cancelled when nothing is left of one: no more dunning); COD expects less.
 * Once per `returnId` (the discrepancy); a collection that already ended is not told.
 */
export interface ReturnSettled {
  returnId: string;
  forgiven: number;
  currency: string;
}
export const returnSettled = defineSignal<[ReturnSettled]>('returnSettled');
