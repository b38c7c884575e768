import type { CarrierGateway } from '../src/carriers/carrier-gateway';
import type { Db } from '../src/db/client';
import type { AllocationReach } from '../src/domain/allocation';
import { createCarrierActivities as carrierCalls } from './carriers';
import { createAftercareActivities } from './aftercare';
import { createBackOrderedRestActivities } from './back-ordered-rest';
import { createCollectionActivities } from './collection';
import { createComplaintActivities } from './complaints';
import { createDeliveryArrangementActivities } from './delivery-arrangements';
import { createFeedbackActivities } from './feedback';
import { createIncidentActivities } from './incidents';
import { createInventoryActivities } from './inventory';
import { createStatusActivities } from './order-status';
import { createStockoutActivities } from './stockout';
import { createSettlementActivities } from './settlement';
import { createSettlementRunActivities } from './settlement-runs';
import { createReconciliationActivities } from './reconciliation';
import { createReplacementActivities } from './replacement';
import { createReplenishmentActivities } from './replenishment';
import { createShippingActivities } from './shipping';
import { createSignOffActivities } from './sign-off';
import { createTrackingActivities } from './tracking';
import { createVerificationActivities } from './verification';
import type { CarrierActivities, OrderActivities } from '../workflows/order/activities';
import type { ReplenishmentActivities } from '../workflows/replenishment/activities';
import type { SettlementActivities } from '../workflows/settlement/activities';
import type { CollectionActivities } from '../workflows/collection/activities';

/** Activities of the `orders` task queue: everything that writes our database. */
export function createOrderActivities(deps: { db: Db; /** ORDERFLOW_ALLOCATION_REACH, for the back-order queue. */ allocationReach?: AllocationReach }) {
  const { db } = deps;
  const reach = deps.allocationReach ? { reach: deps.allocationReach } : {};
  return {
    ...createStatusActivities(db),
    ...createVerificationActivities(db),
    ...createInventoryActivities(db, reach),
    ...createStockoutActivities(db),
    ...createShippingActivities(db),
    ...createTrackingActivities(db),
    ...createSignOffActivities(db),
    ...createFeedbackActivities(db),
    ...createSettlementActivities(db),
    ...createIncidentActivities(db),
    ...createReplacementActivities(db),
    ...createBackOrderedRestActivities(db, reach),
    ...createDeliveryArrangementActivities(db),
    // The collection workflow's (R6.1), on the orders queue too.
    ...createCollectionActivities(db),
    ...createComplaintActivities(db),
    ...createReplenishmentActivities(db),
    ...createAftercareActivities(db),
  } satisfies OrderActivities & CollectionActivities & ReplenishmentActivities;
}

/** Activities of the `carriers` task queue: calls to carriers' APIs, rate-limited. */
export function createCarrierActivities(carriers: CarrierGateway) {
  return carrierCalls(carriers) satisfies CarrierActivities;
}

/**
 * Activities of the `finance` task queue. Today that is the settlement posting (which
 * the order workflow still calls on its own queue); settlement runs, reconciliation and
 * reports join it as they arrive.
 */
export function createFinanceActivities(deps: { db: Db }) {
  return {
    ...createSettlementActivities(deps.db),
    ...createSettlementRunActivities(deps.db),
    ...createReconciliationActivities(deps.db),
  } satisfies SettlementActivities;
}

export type { CarrierActivities, OrderActivities, CarrierGateway };
