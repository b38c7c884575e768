import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { DeliveryWindow } from '../src/domain/carrier-contract';
import type { Db, Tx } from '../src/db/client';
import { deliveryConfirmations, orders, shipDateProposals, shipments } from '../src/db/schema';
import { addDays, isoDate } from '../src/domain/calendar';
import type { Customer } from '../src/domain/order';
import { verifyCustomer, type VerificationResult } from '../src/domain/verification';
import { noticeCustomer } from './delivery-goods';
import { lockOrder } from './order-status';

// ARRANGEMENTS WITH THE CUSTOMER (R1.9, R3.3, R5.1): a corrected delivery address, a new
// ship date put to them and their answer, and their confirmation of address, contact and
// delivery window. None of them changes the order's items or status.

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

/** The shipments whose ship date can still move: not closed, not yet with the carrier. */
async function movableShipments(tx: Tx, orderId: string) {
  return tx
    .select()
    .from(shipments)
    .where(and(eq(shipments.orderId, orderId), isNull(shipments.closedAs), isNull(shipments.handedOverAt)))
    .orderBy(asc(shipments.shipDate), asc(shipments.sequence));
}

/** The earliest ship date of the order's unclosed shipments. */
async function earliestShipDate(tx: Tx, orderId: string): Promise<string | undefined> {
  const [first] = await tx
    .select({ shipDate: shipments.shipDate })
    .from(shipments)
    .where(and(eq(shipments.orderId, orderId), isNull(shipments.closedAs)))
    .orderBy(asc(shipments.shipDate))
    .limit(1);
  return first?.shipDate;
}

export function createDeliveryArrangementActivities(db: Db) {
  return {
    /**
     * R1.9 during delivery: the new customer (address, contact) checked by the rules of
     * VERIFY and written only when it passes; items and status stay as they are.
     */
    async correctDeliveryAddress(input: { orderId: string; incidentId: string; customer: Customer }): Promise<{ verification: VerificationResult }> {
      const reasons = verifyCustomer(input.customer);
      const verification: VerificationResult = { ok: reasons.length === 0, reasons };
      await db.transaction(async (tx) => {
        await lockOrder(tx, input.orderId);
        if (verification.ok) {
          await tx.update(orders).set({ customer: input.customer, updatedAt: new Date() }).where(eq(orders.id, input.orderId));
        }
      });
      return { verification };
    },

    /** R3.3: the operator's proposal of a new ship date (once per proposal), and the customer told. */
    async recordShipDateProposal(input: {
      orderId: string;
      proposalId: string;
      proposedShipDate: string;
      reason: string;
    }): Promise<{ previousShipDate: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const [stored] = await tx.select().from(shipDateProposals).where(eq(shipDateProposals.id, input.proposalId));
        if (stored) return { previousShipDate: stored.previousShipDate };
        const previousShipDate = (await earliestShipDate(tx, order.id)) ?? isoDate(new Date());
        await tx.insert(shipDateProposals).values({
          id: input.proposalId,
          orderId: order.id,
          proposedShipDate: input.proposedShipDate,
          previousShipDate,
          reason: input.reason,
        });
        await noticeCustomer(tx, order, {
          key: `ship-date:${input.proposalId}:proposed`,
          template: 'ship_date_proposed',
          subject: `Order ${order.number}: a new ship date`,
          body: `We would like to ship order ${order.number} on ${input.proposedShipDate} instead of ${previousShipDate} (${input.reason}). Please accept or decline.`,
        });
        return { previousShipDate };
      });
    },

    /**
     * The customer's answer. Accepted: every shipment not yet with the carrier and not
     * closed ships on the proposed date, its ETA moved by as many days. Declined or
     * lapsed: only the proposal's status. An answer once given stays. Answers the ship
     * date now in force.
     */
    async recordShipDateAnswer(input: { orderId: string; proposalId: string; answer: 'accepted' | 'declined' | 'lapsed' }): Promise<{ shipDate: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const [proposal] = await tx
          .select()
          .from(shipDateProposals)
          .where(and(eq(shipDateProposals.id, input.proposalId), eq(shipDateProposals.orderId, order.id)))
          .for('update');
        if (!proposal) {
          throw ApplicationFailure.create({ type: 'ProposalMissing', message: `ship date proposal ${input.proposalId} is not in the database`, nonRetryable: true });
        }
        if (proposal.status === 'proposed') {
          await tx
            .update(shipDateProposals)
            .set({ status: input.answer, answeredAt: new Date() })
            .where(eq(shipDateProposals.id, proposal.id));
          if (input.answer === 'accepted') {
            for (const s of await movableShipments(tx, order.id)) {
              const shift = daysBetween(s.shipDate, proposal.proposedShipDate);
              await tx
                .update(shipments)
                .set({
                  shipDate: proposal.proposedShipDate,
                  estimatedDeliveryDate: s.estimatedDeliveryDate ? addDays(s.estimatedDeliveryDate, shift) : null,
                  updatedAt: new Date(),
                })
                .where(eq(shipments.id, s.id));
            }
          }
          const accepted = input.answer === 'accepted';
          await noticeCustomer(tx, order, {
            key: `ship-date:${proposal.id}:${input.answer}`,
            template: `ship_date_${input.answer}`,
            subject: accepted ? `Order ${order.number} ships on ${proposal.proposedShipDate}` : `Order ${order.number} keeps its ship date`,
            body: accepted
              ? `Thank you: order ${order.number} will ship on ${proposal.proposedShipDate}.`
              : `Order ${order.number} keeps its ship date, ${proposal.previousShipDate}.`,
          });
        }
        const answer = proposal.status === 'proposed' ? input.answer : proposal.status;
        const shipDate = answer === 'accepted' ? proposal.proposedShipDate : ((await earliestShipDate(tx, order.id)) ?? proposal.previousShipDate);
        return { shipDate };
      });
    },

    /** R5.1: the customer's confirmation of address, contact and delivery window (the latest one counts). */
    async recordDeliveryConfirmation(input: {
      orderId: string;
      addressConfirmed: boolean;
      contactPhone?: string;
      window: DeliveryWindow;
      rescheduled: boolean;
    }): Promise<void> {
      const values = {
        addressConfirmed: input.addressConfirmed,
        contactPhone: input.contactPhone ?? null,
        windowFrom: new Date(input.window.from),
        windowTo: new Date(input.window.to),
        rescheduled: input.rescheduled,
      };
      await db
        .insert(deliveryConfirmations)
        .values({ orderId: input.orderId, ...values })
        .onConflictDoUpdate({ target: deliveryConfirmations.orderId, set: { ...values, confirmedAt: new Date() } });
    },
  };
}
