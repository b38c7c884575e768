import type { Inbound, PurchaseTerms, ReplenishmentPlan } from '../../src/domain/replenishment';

// The replenishment workflow's activities (orders task queue), as contracts; the
// implementations are in activities/replenishment.ts. Each is idempotent on its key.

export interface ReplenishmentActivities {
  /** Reads the figures and chooses (src/domain/replenishment.ts). */
  planReplenishment(input: { sku: string; warehouse: string }): Promise<ReplenishmentPlan>;
  /** Creates the transfer and its transfer_out once per key. TransferShort when the donor no longer has it. */
  startTransfer(input: { key: string; sku: string; from: string; to: string; quantity: number; leadMs: number }): Promise<Inbound>;
  /** Places the purchase order once per key. */
  placePurchaseOrder(input: PurchaseTerms & { key: string; sku: string; warehouse: string; dayMs: number }): Promise<Inbound>;
  /** Whether it was received (a signal may have been lost while the workflow waited). */
  inboundArrived(input: { kind: Inbound['kind']; id: string }): Promise<boolean>;
  /** The replenishment needs an operator: flagged on the alert (and the purchase order), operators told once per key. */
  flagReplenishment(input: { sku: string; warehouse: string; reason: string; key: string; inbound?: Pick<Inbound, 'kind' | 'id'> }): Promise<void>;
}

/** A transfer's donor no longer has the surplus: plan again. */
export const TRANSFER_SHORT = 'TransferShort';
