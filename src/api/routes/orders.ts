import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { incidents, shipments } from '../../db/schema';
import { FINAL_STATUSES, type OrderStatus } from '../../domain/order-status';
import type { OrderDraft } from '../../domain/order';
import type { OrderIntake } from '../../intake/place-order';
import {
  cancel,
  chooseResolution,
  confirmDelivery,
  correctOrder,
  deliveryException,
  expedite,
  proposeShipDate,
  respondToShipDate,
  respondToStockout,
  returnReceived,
  signOff,
  submitFeedback,
} from '../../../workflows/order/messages';
import { intakeFields, orderReplies } from '../intake-reply';
import { asChoiceRefusal, asIncidentRefusal, asProblem, type OrderCommands } from '../order-commands';
import { findOrderDetail, findOrderRow, listOrders } from '../order-read-model';
import { HttpProblem } from '../problem';
import { visibleOrderId } from '../tenancy';
import type { Caller } from '../auth';
import { route } from '../route';
import {
  CancelBody,
  CorrectionBody,
  CreateOrderBody,
  DeliveryConfirmationBody,
  DeliveryExceptionBody,
  FeedbackBody,
  OrderIdParam,
  OrdersQuery,
  ResolutionBody,
  ShipDateProposalBody,
  ShipDateResponseBody,
  SignOffBody,
  StockoutResponseBody,
} from '../schemas';

const READERS = ['integrator', 'operator', 'finance'] as const;
const ACTORS = ['integrator', 'operator'] as const;

/** Statuses in which the goods have left us: only then can something go wrong on the way. */
const ON_THE_WAY: ReadonlySet<string> = new Set<OrderStatus>(['dispatched', 'in_transit', 'out_for_delivery', 'delivery_exception', 'delivered']);

/** The goods finance agreed to take back are with us (settlement aftercare, R6.8). */
const ReturnReceivedBody = z.strictObject({
  /** Which return, when the order awaits more than one; the one awaited when absent. */
  discrepancyId: z.uuid().transform((id) => id.toLowerCase()).optional(),
  note: z.string().trim().min(1).max(1000).optional(),
});

const IncidentIdParam = z.uuid().transform((id) => id.toLowerCase());

function incidentIdOf(params: Record<string, string>): string {
  const parsed = IncidentIdParam.safeParse(params.incidentId);
  if (!parsed.success) {
    throw new HttpProblem(404, 'Not found', `no incident ${params.incidentId}`, { errors: [{ field: 'path.incidentId', message: 'an incident id (UUID)' }] });
  }
  return parsed.data;
}


function orderId(params: Record<string, string>): string {
  const parsed = OrderIdParam.safeParse(params.id);
  if (!parsed.success) {
    throw new HttpProblem(404, 'Not found', `no order ${params.id}`, { errors: [{ field: 'path.id', message: parsed.error.issues[0]!.message }] });
  }
  return parsed.data;
}

export function orderRoutes(deps: { db: Db; commands: OrderCommands; intake: OrderIntake }) {
  const { db, commands, intake } = deps;

  const { readOrder, replyWithOrder, replyWithIntake } = orderReplies({ db, commands });

  /** The order's id, if this caller may see it; another integrator's order is a 404 like a missing one. */
  async function resolveId(params: Record<string, string>, caller: Caller | undefined): Promise<string> {
    return visibleOrderId(db, caller, orderId(params));
  }

  /**
   * The incident as the database has it, checked to be this order's: another order's is a
   * 404. Undefined while the workflow has not written it yet: the workflow then answers.
   */
  async function incidentOfOrder(orderId: string, incidentId: string) {
    const [row] = await db.select().from(incidents).where(eq(incidents.id, incidentId));
    if (row && row.orderId !== orderId) throw new HttpProblem(404, 'Not found', `order ${orderId} has no incident ${incidentId}`);
    return row;
  }

  return [
    route({
      method: 'post',
      path: '/v1/orders',
      tag: 'orders',
      summary: 'Create an order; the reply says whether it passed verification',
      access: ['integrator', 'operator'],
      body: CreateOrderBody,
      idempotent: true,
      responses: {
        201: 'created; `verification` says whether it passed',
        200: 'the same order again (same Idempotency-Key or externalId)',
        202: 'accepted; verification still running',
        409: 'the externalId belongs to a different order',
        422: 'invalid body, or an Idempotency-Key reused for a different order',
      },
      async handler({ req, res, body, caller }) {
        const draft: OrderDraft = body;
        const outcome = await intake.placeOrder(draft, { caller: caller!.keyId, idempotencyKey: req.get('idempotency-key') });
        await replyWithIntake(res, outcome);
      },
    }),

    route({
      method: 'get',
      path: '/v1/orders',
      tag: 'orders',
      summary: 'List orders, newest first, with filters',
      access: READERS,
      query: OrdersQuery,
      responses: { 200: '{ data: [order summary], nextCursor }' },
      async handler({ res, query, caller }) {
        res.json(await listOrders(db, query, caller));
      },
    }),

    route({
      method: 'get',
      path: '/v1/orders/:id',
      tag: 'orders',
      summary: 'One order (by id or number) with its timeline, shipments, packing lists, tracking and notices',
      access: READERS,
      responses: { 200: 'the order', 404: 'no such order' },
      async handler({ res, params, caller }) {
        const order = await readOrder(await resolveId(params, caller));
        if (!order) throw new HttpProblem(404, 'Not found', `no order ${params.id}`);
        res.json(order);
      },
    }),

    route({
      method: 'get',
      path: '/v1/orders/:id/tracking',
      tag: 'orders',
      summary: "Where the order's shipments are (R4.5)",
      access: READERS,
      responses: { 200: 'shipments with their tracking events', 404: 'no such order' },
      async handler({ res, params, caller }) {
        const detail = await findOrderDetail(db, await resolveId(params, caller));
        if (!detail) throw new HttpProblem(404, 'Not found', `no order ${params.id}`);
        res.json({
          orderId: detail.id,
          status: detail.status,
          shipments: detail.shipments.map((s) => ({
            carrier: s.carrier,
            trackingNumber: s.trackingNumber,
            status: s.status,
            estimatedDelivery: s.estimatedDelivery,
            events: s.tracking,
          })),
        });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/corrections',
      tag: 'orders',
      summary: 'Correct the customer or items of an order that needs correction; it is verified again (R1.9)',
      access: ACTORS,
      body: CorrectionBody,
      responses: { 200: 'verified again; `verification` says how', 409: 'the order does not need correction' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const reply = await commands.update(id, (h) => h.executeUpdate(correctOrder, {
            // The workflow cannot key a hash: the corrected customer's opaque CustomerId comes with it.
            args: [body.customer ? { ...body, customerRef: intake.customerRef(body.customer) } : body],
          }));
        await replyWithOrder(res, 200, id, intakeFields(reply));
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/stockout-response',
      tag: 'orders',
      summary: "The customer's answer to a stockout: one of the options on offer in its open question (R1.8)",
      access: ACTORS,
      body: StockoutResponseBody,
      responses: { 200: 'the order', 409: 'the order is not waiting for a stock decision, or the option is not on offer (the message names those that are)' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        await commands.update(id, (h) => h.executeUpdate(respondToStockout, { args: [body] }));
        await replyWithOrder(res, 200, id);
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/sign-off',
      tag: 'orders',
      summary: 'The recipient signs for a delivered order (R5.2, R5.3)',
      access: ACTORS,
      body: SignOffBody,
      responses: {
        200: 'signed off',
        202: 'goods not accepted: a damaged-goods incident was opened; `incidentId` names it',
        409: 'the order is not delivered, or already signed off',
        422: 'proof not acceptable',
      },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const reply = await commands.update(id, (h) => h.executeUpdate(signOff, { args: [body] }));
        // Goods not accepted: no signature, a damaged-goods incident instead.
        if (reply.incidentId) return replyWithOrder(res, 202, id, { incidentId: reply.incidentId });
        await replyWithOrder(res, 200, id);
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/feedback',
      tag: 'orders',
      summary: "The customer's ratings, within the feedback window (R5.4, R5.5)",
      access: ACTORS,
      body: FeedbackBody,
      responses: { 200: 'recorded', 409: 'not awaiting feedback, already given, or the window has closed' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        await commands.update(id, (h) => h.executeUpdate(submitFeedback, { args: [body] }));
        await replyWithOrder(res, 200, id);
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/cancel',
      tag: 'orders',
      summary:
        'Cancel an order before it is handed to the carrier (reserved stock is released); once the first part of a partial delivery is with the carrier, cancels the rest still waiting for stock. `cancelled` says which',
      access: ACTORS,
      body: CancelBody,
      responses: { 200: 'cancelled (the order, or the rest still waiting)', 409: 'already dispatched or ended' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const reply = await commands.update(id, (h) => h.executeUpdate(cancel, { args: [body] }));
        await replyWithOrder(res, 200, id, reply?.cancelled ? { cancelled: reply.cancelled } : {});
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/returns/received',
      tag: 'orders',
      summary: "The goods of a return finance decided (a settlement discrepancy's `return`) are back: restocked and refunded, the order ends refunded",
      access: ACTORS,
      body: ReturnReceivedBody,
      responses: { 200: 'the order, refunded', 404: 'no such order', 409: 'the order awaits no return (or not this one)', 422: 'invalid body, naming the field' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const reply = await commands.update(id, (h) => h.executeUpdate(returnReceived, { args: [body] }));
        await replyWithOrder(res, 200, id, { ...reply });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/delivery-exceptions',
      tag: 'incidents',
      summary: 'Report something gone wrong on the way: a delay, damaged or lost goods, an address problem, a refusal (R3.10, R4.8)',
      access: ['integrator', 'operator', 'carrier'],
      body: DeliveryExceptionBody,
      responses: {
        202: '{ incidentId }: the report is with the order; Location is the order',
        404: 'no such order',
        409: 'the order has ended, or has not been dispatched yet',
        422: 'invalid body, or a shipmentId not of this order',
      },
      async handler({ res, params, body, caller }) {
        const order = await findOrderRow(db, await resolveId(params, caller));
        if (!order) throw new HttpProblem(404, 'Not found', `no order ${params.id}`);
        if (FINAL_STATUSES.has(order.status as OrderStatus)) {
          throw new HttpProblem(409, 'Conflict with the order state', `order ${order.number} is ${order.status}: it has ended and takes no more reports`);
        }
        if (!ON_THE_WAY.has(order.status)) {
          throw new HttpProblem(
            409,
            'Conflict with the order state',
            `order ${order.number} is ${order.status}: it has not been dispatched yet, so nothing can go wrong on the way; cancel or correct it instead`,
          );
        }
        if (body.shipmentId) {
          const [shipment] = await db
            .select({ id: shipments.id })
            .from(shipments)
            .where(and(eq(shipments.id, body.shipmentId), eq(shipments.orderId, order.id)));
          if (!shipment) {
            throw new HttpProblem(422, 'Invalid request', `shipmentId: order ${order.number} has no shipment ${body.shipmentId}`, {
              errors: [{ field: 'shipmentId', message: 'not a shipment of this order' }],
            });
          }
        }
        const incidentId = randomUUID();
        try {
          await commands.handle(order.id).signal(deliveryException, { ...body, incidentId });
        } catch (err) {
          throw asProblem(err);
        }
        res.status(202).location(`/v1/orders/${order.id}`).json({ incidentId });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/incidents/:incidentId/resolution',
      tag: 'incidents',
      summary: "The customer's choice for lost or damaged goods: a replacement or a refund (R4.8)",
      access: ['integrator'],
      body: ResolutionBody,
      responses: {
        200: 'the order and `incident` as resolved',
        404: 'no such order, or no such incident on it',
        409: 'that choice is not on offer (`options` lists those that are), or the incident awaits no choice',
      },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const incidentId = incidentIdOf(params);
        const known = await incidentOfOrder(id, incidentId);
        let reply;
        try {
          reply = await commands.update(id, (h) => h.executeUpdate(chooseResolution, { args: [{ incidentId, choice: body.choice }] }));
        } catch (err) {
          throw asChoiceRefusal(err, known?.options);
        }
        await replyWithOrder(res, 200, id, { incident: reply.incident });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/incidents/:incidentId/expedite',
      tag: 'incidents',
      summary: 'Speed up a delayed shipment: another service or carrier for the rest of the way',
      access: ['operator'],
      responses: { 200: 'the order and the `newEta`', 404: 'no such order, or no such incident on it', 409: 'the incident cannot be expedited' },
      async handler({ res, params, caller }) {
        const id = await resolveId(params, caller);
        const incidentId = incidentIdOf(params);
        await incidentOfOrder(id, incidentId);
        let reply;
        try {
          reply = await commands.update(id, (h) => h.executeUpdate(expedite, { args: [{ incidentId }] }));
        } catch (err) {
          throw asIncidentRefusal(err);
        }
        await replyWithOrder(res, 200, id, { ...reply });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/ship-date',
      tag: 'orders',
      summary: 'Propose a new ship date; the customer is asked (R3.3)',
      access: ['operator'],
      body: ShipDateProposalBody,
      responses: { 202: 'proposed: the order, `proposalId` and `previousShipDate`; the answer comes later', 409: 'the order cannot move its ship date now' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const proposalId = randomUUID();
        const reply = await commands.update(id, (h) =>
          h.executeUpdate(proposeShipDate, { args: [{ proposalId, proposedShipDate: body.proposedShipDate, reason: body.reason }] }),
        );
        await replyWithOrder(res, 202, id, { proposalId: reply.proposalId, previousShipDate: reply.previousShipDate });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/ship-date/response',
      tag: 'orders',
      summary: "The customer's answer to a proposed ship date (R3.3)",
      access: ['integrator'],
      body: ShipDateResponseBody,
      responses: { 200: 'the order, `shipDate` and `answer`', 409: 'no ship date is proposed' },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const reply = await commands.update(id, (h) => h.executeUpdate(respondToShipDate, { args: [body] }));
        await replyWithOrder(res, 200, id, { shipDate: reply.shipDate, answer: reply.answer });
      },
    }),

    route({
      method: 'post',
      path: '/v1/orders/:id/delivery-confirmation',
      tag: 'orders',
      summary: 'The customer confirms address, contact and a delivery window before delivery (R5.1)',
      access: ['integrator'],
      body: DeliveryConfirmationBody,
      responses: {
        200: 'the order, `rescheduled`, and `incidentId` when the address was not confirmed',
        409: 'the order is not awaiting delivery',
      },
      async handler({ res, params, body, caller }) {
        const id = await resolveId(params, caller);
        const reply = await commands.update(id, (h) => h.executeUpdate(confirmDelivery, { args: [body] }));
        await replyWithOrder(res, 200, id, { ...reply });
      },
    }),
  ];
}
