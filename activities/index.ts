import type { CarrierGateway } from '../src/carriers/carrier-gateway';
import type { Db } from '../src/db/client';
import { createCarrierActivities } from './carriers';
import { createFeedbackActivities } from './feedback';
import { createInventoryActivities } from './inventory';
import { createStatusActivities } from './order-status';
import { createSettlementActivities } from './settlement';
import { createShippingActivities } from './shipping';
import { createSignOffActivities } from './sign-off';
import { createTrackingActivities } from './tracking';
import { createVerificationActivities } from './verification';

/** Activities of the `orders` task queue: everything that writes our database. */
export function createOrderActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    ...createStatusActivities(db),
    ...createVerificationActivities(db),
    ...createInventoryActivities(db),
    ...createShippingActivities(db),
    ...createTrackingActivities(db),
    ...createSignOffActivities(db),
    ...createFeedbackActivities(db),
    ...createSettlementActivities(db),
  };
}

/** Activities of the `carriers` task queue: calls to carriers' APIs, rate-limited. */
export { createCarrierActivities };

export type OrderActivities = ReturnType<typeof createOrderActivities>;
export type CarrierActivities = ReturnType<typeof createCarrierActivities>;
export type { CarrierGateway };
