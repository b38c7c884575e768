import { BusinessFailure } from '../../src/domain/failures';
import type { Consignment } from '../../src/domain/shipment';
import { failureMessage, failureType } from '../kit/failures';
import { OrderCancelled, type OrderRun } from './run';

/**
 * PLAN (R3.1–R3.7): quotes from the carriers for every consignment, then the date,
 * method, carrier and packing list of each shipment, chosen and recorded with reasons.
 */
export async function plan(order: OrderRun, consignments: readonly Consignment[]): Promise<void> {
  order.throwIfCancelled();
  for (;;) {
    const quotes = await Promise.all(
      consignments.map((c) => order.run(`quote carriers from ${c.warehouseCode}`, () => order.carriers.quoteRates(c.rateRequest))),
    );
    order.throwIfCancelled();
    try {
      const { shipments } = await order.transition(
        'plan shipments',
        'planned',
        (transitions) =>
          order.acts.planShipments({
            orderId: order.orderId,
            consignments: consignments.map((c, i) => ({ ...c, quotes: quotes[i]! })),
            transitions,
          }),
        { handles: [BusinessFailure.NoCarrierAvailable] },
      );
      order.state.shipments = shipments.map((s) => ({ ...s, status: 'planned' }));
      order.setCarrier([...new Set(shipments.map((s) => s.carrier))].join(','));
      return;
    } catch (err) {
      if (failureType(err) !== BusinessFailure.NoCarrierAvailable) throw err;
      // Carriers' offers change: an operator may retry (quotes are asked again) or cancel.
      const action = await order.desk.decide(`no safe carrier serves this order: ${failureMessage(err)}`);
      if (action.action === 'cancel') throw new OrderCancelled(action.reason ?? 'no carrier available');
    }
  }
}
