import type { AllocationReach } from './allocation';
import type { CollectionSettings } from './collection';
import type { DelayCompensationPolicy } from './delivery-exception';

/**
 * The waiting windows one order lives by, already scaled by ORDERFLOW_TIME_SCALE.
 * They travel in the workflow's input, so a running order keeps the windows it was
 * promised even when the configuration changes, and replays never read the environment.
 */
export interface OrderSettings {
  correctionWindowMs: number;
  stockDecisionWindowMs: number;
  /** How often a back-ordered order looks for stock when no one tells it stock arrived. */
  stockRecheckIntervalMs: number;
  signOffWindowMs: number;
  feedbackWindowMs: number;
  trackingPollIntervalMs: number;
  trackingStallAfterMs: number;
  // Added with delivery exceptions: absent in orders started before, which keep the old
  // behaviour (nothing presumed lost, nothing asked before delivery, no compensation).
  /** How long the customer has to choose replacement or refund; then they are refunded. */
  incidentResponseWindowMs?: number;
  /** Silence after which a parcel in transit is presumed lost. */
  presumeLostAfterMs?: number;
  /** How long the customer has to answer a proposed ship date; then the old date stands. */
  shipDateResponseWindowMs?: number;
  /** R5.1: how long the customer has to confirm address, contact and delivery window. */
  deliveryConfirmationWindowMs?: number;
  /** How long a parcel on its way back may take before it is written off (and refunded anyway). */
  returnWaitMs?: number;
  /** R4.9: what a delay past the promised date earns the customer. */
  delayCompensation?: DelayCompensationPolicy;
  // Added with payments (R6.1): absent in orders started before, which dispatch unpaid.
  /** A prepaid order waits before DISPATCH until its payments cover its total. */
  requirePrepayment?: boolean;
  /** How long a prepaid order waits for its payment before it is cancelled. */
  prepaymentWindowMs?: number;
  /** R6.1: COD remittance and instalment windows after SETTLE; absent: the unscaled defaults. */
  collection?: CollectionSettings;
  // Added with stockout options (R1.8): absent in orders started before, which cancel.
  /** What an unanswered stockout becomes, when it is on offer (else cancel). */
  stockoutDefault?: 'wait' | 'cancel';
  /** The restock lead time a `wait` is promised when no purchase or transfer says better. */
  restockLeadTimeMs?: number;
  /** How far RESERVE takes stock without asking (absent: anywhere); beyond it, a stockout offers a transfer. */
  allocationReach?: AllocationReach;
}
