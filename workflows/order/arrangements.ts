import { setHandler, uuid4 } from '@temporalio/workflow';
import { isoDate } from '../../src/domain/calendar';
import { confirmDelivery, proposeShipDate, respondToShipDate } from './messages';
import { activeShipments, handedOver } from './exceptions';
import { describe, invalid, wrongState } from './refusals';
import type { OrderRun } from './run';

// Agreeing the when and where with the customer: a new ship date (R3.3) and, once the
// parcel is on its way, the address, contact and delivery window (R5.1). Neither holds
// the order up: an unanswered question closes with its window and things go on as planned.

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The messages that agree a ship date and a delivery window with the customer. */
export function arrangementMessages(order: OrderRun): void {
  const { state } = order;
  const notYetWithCarrier = () => state.shipments.length > 0 && !state.shipments.some(handedOver);

  setHandler(
    proposeShipDate,
    async ({ proposalId, proposedShipDate, reason }) => {
      state.shipDateProposal = { proposalId, proposedShipDate, reason, status: 'proposed' };
      const { previousShipDate } = await order.acts.recordShipDateProposal({ orderId: order.orderId, proposalId, proposedShipDate, reason });
      state.shipDateProposal.previousShipDate = previousShipDate;
      const windowMs = order.settings.shipDateResponseWindowMs ?? order.settings.correctionWindowMs;
      order.ask('ship_date', windowMs, { proposalId, proposedShipDate, previousShipDate, reason });
      return { proposalId, previousShipDate };
    },
    {
      validator: ({ proposalId, proposedShipDate, reason }) => {
        if (typeof proposalId !== 'string' || proposalId === '') throw invalid('a proposal needs an id');
        if (typeof proposedShipDate !== 'string' || !DATE.test(proposedShipDate)) throw invalid('proposedShipDate is a date, YYYY-MM-DD');
        if (proposedShipDate < isoDate(new Date())) throw invalid('proposedShipDate is in the past');
        if (typeof reason !== 'string' || reason.trim() === '') throw invalid('a new ship date needs a reason the customer is told');
        if (order.isFinal || !notYetWithCarrier()) {
          throw wrongState(order, `${describe(order)}; the ship date can change only while the goods are planned and not yet with a carrier`);
        }
        if (state.shipDateProposal?.status === 'proposed') throw wrongState(order, 'a new ship date is already waiting for the customer');
      },
    },
  );

  setHandler(
    respondToShipDate,
    async ({ accept }) => {
      const proposal = state.shipDateProposal!;
      const answer = accept ? 'accepted' : 'declined';
      proposal.answer = answer;
      order.answered('ship_date');
      const { shipDate } = await order.acts.recordShipDateAnswer({ orderId: order.orderId, proposalId: proposal.proposalId, answer });
      proposal.status = answer;
      if (accept) {
        for (const s of activeShipments(state)) {
          s.shipDate = shipDate;
          if (!s.trackingNumber || handedOver(s)) continue;
          // The carrier's pickup moves with the date the goods now leave.
          await order.carriers.reschedulePickup({ carrier: s.carrier, trackingNumber: s.trackingNumber, shipDate });
        }
      }
      return { shipDate, answer };
    },
    {
      validator: ({ accept }) => {
        if (typeof accept !== 'boolean') throw invalid('accept is true or false');
        const proposal = state.shipDateProposal;
        if (!proposal || proposal.status !== 'proposed' || proposal.answer || !order.isAsking('ship_date')) {
          throw wrongState(order, `${describe(order)}; no new ship date is waiting for an answer`);
        }
        if (accept && !notYetWithCarrier()) throw wrongState(order, `${describe(order)}; the goods are already with the carrier`);
      },
    },
  );

  setHandler(
    confirmDelivery,
    async (confirmation) => {
      state.deliveryConfirmation = { ...confirmation, pending: true };
      order.answered('delivery_confirmation');
      let rescheduled = false;
      let incidentId: string | undefined;
      if (confirmation.addressConfirmed) {
        for (const s of activeShipments(state)) {
          if (!s.trackingNumber || s.status === 'delivered') continue;
          await order.carriers.scheduleDelivery({ carrier: s.carrier, trackingNumber: s.trackingNumber, window: confirmation.window });
          rescheduled = true;
        }
      } else {
        // The customer says the address is wrong: an address problem, corrected through
        // POST /corrections, then the parcels are re-routed.
        incidentId = uuid4();
        (state.exceptionInbox ??= []).push({ incidentId, kind: 'address_problem', reportedBy: 'customer', detail: 'the customer did not confirm the address' });
      }
      await order.acts.recordDeliveryConfirmation({
        orderId: order.orderId,
        addressConfirmed: confirmation.addressConfirmed,
        contactPhone: confirmation.contactPhone,
        window: confirmation.window,
        rescheduled,
      });
      state.deliveryConfirmation = { ...confirmation, rescheduled, pending: false };
      return { rescheduled, incidentId };
    },
    {
      validator: (c) => {
        if (typeof c?.addressConfirmed !== 'boolean') throw invalid('addressConfirmed is true or false');
        const from = Date.parse(c.window?.from ?? '');
        const to = Date.parse(c.window?.to ?? '');
        if (!(from < to)) throw invalid('the delivery window runs from a time to a later one');
        const moving = activeShipments(state).some((s) => s.trackingNumber && s.status !== 'delivered');
        if (order.isFinal || !moving) throw wrongState(order, `${describe(order)}; delivery is confirmed while the parcel is on its way`);
        if (state.deliveryConfirmation?.pending) throw wrongState(order, 'a confirmation is already being recorded');
      },
    },
  );
}
