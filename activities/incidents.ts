import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import type { BookingRequest } from '../src/carriers/carrier-gateway';
import type { Db, Tx } from '../src/db/client';
import { incidents, ledgerEntries, orderItems, shipments } from '../src/db/schema';
import { multiply } from '../src/domain/money';
import type { DelayCompensationPolicy, IncidentStatus, ResolutionChoice } from '../src/domain/delivery-exception';
import { delayCompensation, laneOf, passesPromise } from '../src/domain/delivery-exception';
import { isoDate } from '../src/domain/calendar';
import { refundJournal } from '../src/domain/settlement';
import type { IncidentRecord, IncidentResolution } from '../workflows/order/activities';
import { goodsOf, moneyText, noticeCustomer, paidFor, shipmentsOfOrder, type ShipmentRow } from './delivery-goods';
import { applyTransitions, lockOrder, type OrderRow, type Transition } from './order-status';
import { postJournal } from './ledger';
import { collectionShare, forgivenBefore, splitReturnRefund } from './return-refund';
import { refundedSoFar } from './settlement';

// DELIVERY EXCEPTIONS (R3.10, R4.8, R4.9): the incident from report to resolution, the
// customer's money for it (a refund of what they paid for lost, damaged or returned
// goods; a compensation for a delay past the promised date) and the carrier claim.
// Every write is keyed by the incident: the incident row by its id, each journal by
// `refund:{incidentId}` / `compensation:{incidentId}` (unique journal, account, side).
//
// The journals, in the order's currency, always balanced:
//   refund        debit  customer_prepayments (prepaid: the prepayment held for the goods)
//                        or customer_refunds (cash on delivery, instalments: money paid back
//                        that never sat in a prepayment)
//                 credit cash (the money goes back to the customer)
//   compensation  debit  delivery_compensation_expense
//                 credit customer_credits (owed to the customer, spent or paid out later)
// Settlement (activities/settlement.ts) posts the order's total less its refunds.


/**
 * What a shipment's decision records once its goods were refunded (no column for it in
 * the schema): the incident, the amount and the amount per order line. A shipment is
 * refunded once, and a line never beyond what was paid for it.
 */
interface RefundMark {
  incidentId: string;
  amount: number;
  lines: Record<string, number>;
}

const refundOf = (s: ShipmentRow) => (s.decision as { refund?: RefundMark }).refund;

function incidentMissing(incidentId: string) {
  return ApplicationFailure.create({
    type: 'IncidentMissing',
    message: `incident ${incidentId} is not in the database`,
    nonRetryable: true,
  });
}

async function lockIncident(tx: Tx, orderId: string, incidentId: string) {
  const [row] = await tx
    .select()
    .from(incidents)
    .where(and(eq(incidents.id, incidentId), eq(incidents.orderId, orderId)))
    .for('update');
  if (!row) throw incidentMissing(incidentId);
  return row;
}

/** The amount of a posted journal (its debits), or undefined when it was never posted. */
async function postedAmount(tx: Tx, journalId: string): Promise<number | undefined> {
  const rows = await tx.select().from(ledgerEntries).where(eq(ledgerEntries.journalId, journalId));
  if (rows.length === 0) return undefined;
  return rows.filter((r) => r.side === 'debit').reduce((n, r) => n + r.amount, 0);
}

function laneOfShipment(shipment: ShipmentRow | undefined): string | null {
  const request = (shipment?.decision as { bookingRequest?: BookingRequest } | undefined)?.bookingRequest;
  if (!request?.origin || !request.destination) return null;
  return laneOf(request.origin, request.destination);
}

/** What the goods of the shipments are worth to the customer (what they paid for them). */
async function valueOf(tx: Tx, order: OrderRow, rows: readonly ShipmentRow[]): Promise<number> {
  let value = 0;
  for (const s of rows) value += await paidFor(tx, order.id, await goodsOf(tx, order.id, s));
  return value;
}

export function createIncidentActivities(db: Db) {
  return {
    /** Writes the incident (once per id), with the order's move to delivery_exception if any. */
    async openIncident(input: { orderId: string; incident: IncidentRecord; transitions: Transition[] }): Promise<{ openedAt: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const { incident } = input;
        const concerned = await shipmentsOfOrder(tx, order.id, incident.shipmentIds.slice(0, 1));
        const first = concerned[0];
        await tx
          .insert(incidents)
          .values({
            id: incident.id,
            orderId: order.id,
            kind: incident.kind,
            status: incident.status,
            reportedBy: incident.reportedBy,
            detail: incident.detail ?? null,
            shipmentIds: incident.shipmentIds,
            carrier: first?.carrier ?? null,
            lane: laneOfShipment(first),
            newEta: incident.newEta ?? null,
            options: incident.options,
            resolvedAt: incident.status === 'resolved' ? new Date() : null,
          })
          .onConflictDoNothing({ target: incidents.id });
        const stored = await lockIncident(tx, order.id, incident.id);
        await applyTransitions(tx, order, input.transitions);
        return { openedAt: stored.openedAt.toISOString() };
      });
    },

    /**
     * Changes an incident's status (open, awaiting_customer, resolved with its
     * resolution), with any status change of the order. A resolved incident is never
     * reopened and keeps its resolved_at: a later update may only amend its resolution
     * (an expedite noted after a delay was resolved), and a repeated one writes the
     * values already stored. Answers the stored resolved_at.
     */
    async updateIncident(input: {
      orderId: string;
      incidentId: string;
      status: IncidentStatus;
      options?: ResolutionChoice[];
      resolution?: IncidentResolution;
      transitions: Transition[];
    }): Promise<{ resolvedAt?: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const stored = await lockIncident(tx, order.id, input.incidentId);
        let resolvedAt = stored.resolvedAt;
        if (stored.status === 'resolved') {
          if (input.status === 'resolved' && input.resolution) {
            await tx.update(incidents).set({ resolution: input.resolution, updatedAt: new Date() }).where(eq(incidents.id, stored.id));
          }
        } else {
          if (input.status === 'resolved') resolvedAt = new Date();
          await tx
            .update(incidents)
            .set({
              status: input.status,
              ...(input.options ? { options: input.options } : {}),
              ...(input.resolution ? { resolution: input.resolution } : {}),
              resolvedAt,
              updatedAt: new Date(),
            })
            .where(eq(incidents.id, stored.id));
        }
        await applyTransitions(tx, order, input.transitions);
        return resolvedAt ? { resolvedAt: resolvedAt.toISOString() } : {};
      });
    },

    /**
     * A delay: the shipments' ETA becomes `newEta`, the customer is told (outbox, once per
     * incident), and when it passes the promise (the order's requested date, else each
     * shipment's promised date) the policy's compensation for the late goods is posted
     * (journal `compensation:{incidentId}`, once).
     */
    async recordDelay(input: {
      orderId: string;
      incidentId: string;
      shipmentIds: string[];
      newEta: string;
      policy: DelayCompensationPolicy;
    }): Promise<{ promised?: string; compensation?: { amount: number; currency: string } }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const concerned = await shipmentsOfOrder(tx, order.id, input.shipmentIds);
        const requested = order.requestedDeliveryBy ? isoDate(order.requestedDeliveryBy) : undefined;
        const promiseOf = (s: ShipmentRow) => requested ?? s.promisedDeliveryDate ?? undefined;
        const late = concerned.filter((s) => passesPromise(input.newEta, promiseOf(s)));
        const promises = (late.length > 0 ? late : concerned).map(promiseOf).filter((p): p is string => p !== undefined).sort();
        const promised = promises[0];

        // Delivered or closed shipments have no ETA left to move.
        const moving = concerned.filter((s) => !s.closedAs && s.status !== 'delivered').map((s) => s.id);
        for (const id of moving) {
          await tx.update(shipments).set({ estimatedDeliveryDate: input.newEta, updatedAt: new Date() }).where(eq(shipments.id, id));
        }
        await tx.update(incidents).set({ newEta: input.newEta, updatedAt: new Date() }).where(and(eq(incidents.id, input.incidentId), eq(incidents.orderId, order.id)));

        const journalId = `compensation:${input.incidentId}`;
        let amount = await postedAmount(tx, journalId);
        if (amount === undefined) {
          amount = late.length > 0 ? delayCompensation(input.policy, await valueOf(tx, order, late)) : 0;
          if (amount > 0) {
            await postJournal(
              tx,
              order.id,
              {
                journalId,
                memo: `Order ${order.number}: delivery delayed to ${input.newEta}, past the promised ${promised ?? 'date'}`,
                currency: order.currency,
                lines: [
                  { account: 'delivery_compensation_expense', side: 'debit', amount },
                  { account: 'customer_credits', side: 'credit', amount },
                ],
              },
              'compensation',
              input.incidentId,
            );
          }
        }

        const credit = amount > 0 ? ` For the wait we credit you ${moneyText(amount, order.currency)}.` : '';
        await noticeCustomer(tx, order, {
          key: `incident:${input.incidentId}:delay`,
          template: 'delivery_delayed',
          subject: `Order ${order.number} is delayed`,
          body: `The delivery of order ${order.number} is delayed; it is now expected on ${input.newEta}.${credit}`,
        });
        return {
          ...(promised ? { promised } : {}),
          ...(amount > 0 ? { compensation: { amount, currency: order.currency } } : {}),
        };
      });
    },

    /** A carrier claim for lost or damaged goods, on the incident once; answers what was claimed. */
    async fileCarrierClaim(input: { orderId: string; incidentId: string; shipmentIds: string[] }): Promise<{ amount: number; currency: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const incident = await lockIncident(tx, order.id, input.incidentId);
        if (incident.claim) return { amount: incident.claim.amount, currency: incident.claim.currency };
        const concerned = await shipmentsOfOrder(tx, order.id, input.shipmentIds);
        const claim = {
          carrier: concerned[0]?.carrier ?? incident.carrier ?? 'unknown',
          trackingNumbers: concerned.map((s) => s.trackingNumber).filter((n): n is string => !!n),
          amount: await valueOf(tx, order, concerned),
          currency: order.currency,
          filedAt: new Date().toISOString(),
        };
        await tx.update(incidents).set({ claim, updatedAt: new Date() }).where(eq(incidents.id, incident.id));
        return { amount: claim.amount, currency: claim.currency };
      });
    },

    /**
     * Pays back what the customer paid for the shipments' lines (journal `refund:{incidentId}`).
     * A shipment is refunded once: one already refunded (by another incident) adds nothing;
     * a retry answers the journal already posted. Never more than the order's total.
     */
    async refundShipments(input: {
      orderId: string;
      incidentId: string;
      shipmentIds: string[];
      reason: string;
      /** A return after SETTLE: cash back only up to what was paid, the unpaid rest forgiven (return-refund.ts). */
      followPayments?: boolean;
    }): Promise<{ amount: number; currency: string; forgiven?: number; collectionForgiven?: number }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const journalId = `refund:${input.incidentId}`;
        const withForgivenOf = async <T extends object>(r: T, forgiven: number) => {
          const share = await collectionShare(tx, order, forgiven);
          return forgiven > 0 ? { ...r, forgiven, ...(share > 0 ? { collectionForgiven: share } : {}) } : r;
        };
        const forgivenAlready = input.followPayments ? await forgivenBefore(tx, input.incidentId) : 0;
        const withForgiven = <T extends object>(r: T) => withForgivenOf(r, forgivenAlready);
        const posted = await postedAmount(tx, journalId);
        if (posted !== undefined) return withForgiven({ amount: posted, currency: order.currency });

        const concerned = (await shipmentsOfOrder(tx, order.id, input.shipmentIds)).filter((s) => !refundOf(s));
        // What each order line was paid, less what was paid back for it already (through
        // any shipment: the original's and a replacement's goods are the same line).
        const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, order.id));
        const left = new Map(items.map((i) => [i.line, multiply(i.unitPrice, i.quantity)]));
        for (const s of await tx.select().from(shipments).where(eq(shipments.orderId, order.id))) {
          for (const [line, paid] of Object.entries(refundOf(s)?.lines ?? {})) left.set(Number(line), (left.get(Number(line)) ?? 0) - paid);
        }
        const price = new Map(items.map((i) => [i.line, i.unitPrice]));
        const perShipment: { shipment: ShipmentRow; mark: RefundMark }[] = [];
        for (const s of concerned) {
          const mark: RefundMark = { incidentId: input.incidentId, amount: 0, lines: {} };
          for (const g of await goodsOf(tx, order.id, s)) {
            const give = Math.max(0, Math.min(multiply(price.get(g.line) ?? 0, g.quantity), left.get(g.line) ?? 0));
            left.set(g.line, (left.get(g.line) ?? 0) - give);
            mark.lines[String(g.line)] = (mark.lines[String(g.line)] ?? 0) + give;
            mark.amount += give;
          }
          perShipment.push({ shipment: s, mark });
        }
        // When this refund pays back the last of the goods, nothing reached the customer
        // to keep: the shipping they were charged goes back too — unless they refused the
        // delivery we made.
        const goods = perShipment.reduce((n, p) => n + p.mark.amount, 0);
        const nothingKept = goods > 0 && input.reason !== 'refused' && [...left.values()].every((v) => v <= 0);
        // Never more than the order's total less what was refunded before.
        const amount = Math.min(
          Math.max(0, order.totalAmount - (await refundedSoFar(tx, order.id))),
          goods + (nothingKept ? order.shippingAmount : 0),
        );
        // Paid after delivery: what was never paid is forgiven, not paid back.
        const { cash, forgiven } = input.followPayments && amount > 0 ? await splitReturnRefund(tx, order, input.incidentId, amount) : { cash: amount, forgiven: 0 };
        if (cash === 0 && forgiven === 0) return withForgiven({ amount: 0, currency: order.currency });

        if (cash > 0) await postJournal(tx, order.id, refundJournal(order, journalId, input.reason, cash), 'refund', input.incidentId);
        for (const { shipment, mark } of perShipment) {
          await tx
            .update(shipments)
            .set({ decision: { ...shipment.decision, refund: mark }, updatedAt: new Date() })
            .where(eq(shipments.id, shipment.id));
        }
        return withForgivenOf({ amount: cash, currency: order.currency }, forgiven);
      });
    },
  };
}
