import type { DiscrepancyKind, DiscrepancyResolution } from '../../src/domain/reconciliation-lines';

// The settlement workflow's activities (finance task queue), as contracts; the
// implementations live in activities/ and satisfy these.

export interface OpenedSettlement {
  settlementId: string;
  agreementId: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  status: 'running' | 'awaiting_decisions' | 'settled';
}

export interface ReconciliationOutcome {
  matched: number;
  /** Every discrepancy of the run, as now recorded. */
  discrepancies: { id: string; kind: DiscrepancyKind; status: 'open' | 'auto_adjusted' | 'resolved' }[];
}

export interface SettlementActivities {
  /** Creates (or finds) the settlement row for the agreement and period. Idempotent. */
  openSettlement(input: { settlementId: string; agreementId: string; period: string }): Promise<OpenedSettlement>;
  /**
   * Our ledger lines for the counterparty and period vs. their statement(s) for it:
   * records each difference once (idempotent on settlement, kind, reference), and
   * adjusts within the agreement's tolerance automatically (an adjustment journal).
   */
  reconcileSettlement(input: { settlementId: string }): Promise<ReconciliationOutcome>;
  /** Carries out finance's decision on one discrepancy once: adjust / write_off journals; reship / return handed to the order's workflow (aftercare). */
  applyResolution(input: { settlementId: string; discrepancyId: string; resolution: DiscrepancyResolution }): Promise<{ status: 'resolved' }>;
  /** Marks the run settled (or awaiting decisions) with its figures. Idempotent. */
  recordSettlementStatus(input: { settlementId: string; status: 'awaiting_decisions' | 'settled'; summary: Record<string, unknown> }): Promise<void>;
  /** The run needs finance: NeedsAttention after the configured wait. */
  flagSettlement(input: { settlementId: string; reason: string }): Promise<void>;
}
