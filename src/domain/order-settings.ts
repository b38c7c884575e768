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
}
