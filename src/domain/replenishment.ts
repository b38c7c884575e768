// R2.3, R2.6: how a warehouse short of one SKU gets its stock back. Pure: the caller
// reads the figures (one warehouse's level, the other warehouses', what is already on
// its way, what back-ordered orders wait for, the product's supplier) and carries out
// the plan. A transfer from a warehouse with surplus above its own safety stock is
// preferred (days, not a supplier's lead time, and no money out); a purchase order
// otherwise, expedited when orders are already waiting (emergency replenishment).

export interface Inbound {
  kind: 'transfer' | 'purchase_order';
  id: string;
  quantity: number;
  /** ISO time it is expected at the warehouse. */
  expectedAt: string;
}

export interface Supply {
  supplier: string;
  leadTimeDays: number;
  expediteLeadTimeDays: number | null;
  /** Minor units of `currency`; null: the supplier does not expedite. */
  expediteCost: number | null;
  currency: string;
}

export interface ReplenishmentFigures {
  available: number;
  safetyStock: number;
  /** How much to bring above the safety stock; null: as much again as the safety stock. */
  reorderQuantity: number | null;
  /** Units back-ordered orders wait for, anywhere. */
  waitingDemand: number;
  /** Transfers and purchase orders still on their way here. */
  inbound: readonly Inbound[];
  /** Every other warehouse's figure of the SKU. */
  others: readonly { warehouse: string; available: number; safetyStock: number }[];
  supply: Supply | null;
}

/** What a purchase order asks of the supplier (R2.3), expedited in an emergency (R2.6). */
export interface PurchaseTerms {
  quantity: number;
  supplier: string;
  leadTimeDays: number;
  expedited: boolean;
  /** Minor units of `currency`; null when not expedited. */
  expediteCost: number | null;
  currency: string;
}

export type ReplenishmentPlan =
  | { kind: 'enough' }
  | { kind: 'await_inbound'; inbound: Inbound }
  | { kind: 'transfer'; from: string; quantity: number; reason: string }
  | ({ kind: 'purchase'; reason: string } & PurchaseTerms)
  | { kind: 'no_source'; quantity: number; reason: string };

/** What a replenishment brings the warehouse up to: the safety stock and the reorder quantity above it. */
export function replenishmentTarget(f: Pick<ReplenishmentFigures, 'safetyStock' | 'reorderQuantity'>): number {
  return f.safetyStock + (f.reorderQuantity ?? f.safetyStock);
}

/** A warehouse's surplus: what it can give without falling below its own safety stock. */
export const surplusOf = (w: { available: number; safetyStock: number }) => Math.max(0, w.available - w.safetyStock);

export function chooseReplenishment(f: ReplenishmentFigures): ReplenishmentPlan {
  if (f.available >= f.safetyStock) return { kind: 'enough' };
  // Something is already on its way: wait for the earliest, order nothing twice.
  const earliest = [...f.inbound].sort((a, b) => a.expectedAt.localeCompare(b.expectedAt))[0];
  if (earliest) return { kind: 'await_inbound', inbound: earliest };

  const need = Math.max(1, replenishmentTarget(f) - f.available + f.waitingDemand);
  const donor = [...f.others].sort((a, b) => surplusOf(b) - surplusOf(a) || a.warehouse.localeCompare(b.warehouse))[0];
  const surplus = donor ? surplusOf(donor) : 0;
  if (donor && surplus >= need) {
    return { kind: 'transfer', from: donor.warehouse, quantity: need, reason: `${donor.warehouse} has ${surplus} above its safety stock` };
  }
  if (f.supply) {
    const s = f.supply;
    const canExpedite = s.expediteLeadTimeDays !== null && s.expediteLeadTimeDays < s.leadTimeDays;
    const expedited = f.waitingDemand > 0 && canExpedite;
    return {
      kind: 'purchase',
      quantity: need,
      supplier: s.supplier,
      leadTimeDays: expedited ? s.expediteLeadTimeDays! : s.leadTimeDays,
      expedited,
      expediteCost: expedited ? s.expediteCost : null,
      currency: s.currency,
      reason: expedited
        ? `${f.waitingDemand} units wait on back-order: expedited from ${s.supplier} (${s.expediteLeadTimeDays} days instead of ${s.leadTimeDays})`
        : `no warehouse has ${need} to spare; ordered from ${s.supplier} (${s.leadTimeDays} days)`,
    };
  }
  if (donor && surplus > 0) {
    return { kind: 'transfer', from: donor.warehouse, quantity: surplus, reason: `no supplier; ${donor.warehouse} gives the ${surplus} it has to spare` };
  }
  return { kind: 'no_source', quantity: need, reason: `no warehouse has stock to spare and the product has no supplier` };
}
