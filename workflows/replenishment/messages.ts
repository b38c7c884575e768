import { defineQuery, defineSignal } from '@temporalio/workflow';

// Messages of the replenishment workflow (R2.2–R2.6). Names are in histories: never rename one.

export const REPLENISHMENT_WORKFLOW_TYPE = 'replenishmentWorkflow';
/** One replenishment per SKU and warehouse at a time: every breach signals-with-start this id. */
export const replenishmentWorkflowId = (sku: string, warehouse: string) => `replenishment-${sku}-${warehouse}`;

export interface ReplenishmentSettings {
  /** One day of supplier lead time, in ms (scaled). */
  dayMs: number;
  /** How long a transfer between warehouses takes (ms, scaled). */
  transferLeadTimeMs: number;
  /** Past the expected arrival, how long to wait before an operator is flagged (ms, scaled). */
  graceMs: number;
}

export interface ReplenishmentWorkflowInput {
  sku: string;
  warehouse: string;
  settings: ReplenishmentSettings;
}

/** The level fell below its safety stock (again): the alert that says so. */
export const shortageRaised = defineSignal<[{ alertId: string }]>('shortageRaised');

/** A transfer or purchase order for this SKU and warehouse was received. */
export const stockArrived = defineSignal<[{ kind: 'transfer' | 'purchase_order'; id: string }]>('stockArrived');

export interface ReplenishmentStep {
  kind: 'transfer' | 'purchase_order';
  id: string;
  quantity: number;
  expectedAt: string;
  expedited?: boolean;
  from?: string;
  outcome: 'waiting' | 'arrived' | 'overdue';
}

export interface ReplenishmentView {
  sku: string;
  warehouse: string;
  status: 'planning' | 'waiting' | 'restocked' | 'flagged';
  /** Shortage signals received (the first one started it). */
  shortages: number;
  steps: ReplenishmentStep[];
  flagReason?: string;
}

export const replenishmentView = defineQuery<ReplenishmentView>('view');
