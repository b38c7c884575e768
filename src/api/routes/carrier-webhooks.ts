import { and, eq, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { CarrierTrackingEvent } from '../../carriers/carrier-gateway';
import { SIGNATURE_HEADER, verifyWebhook } from '../../carriers/webhook-signature';
import type { Db } from '../../db/client';
import { shipments } from '../../db/schema';
import { trackingEvent } from '../../../workflows/order/messages';
import type { OrderCommands } from '../order-commands';
import { HttpProblem, validationProblem } from '../problem';
import { route } from '../route';

// Carriers push tracking events here (R4.5). Only a correct HMAC signature gets in; the
// event goes to the order's workflow as a signal — durable once accepted — and the
// workflow deduplicates and orders events, so a carrier may safely send one twice.

const UUID = z.uuid();

export function carrierWebhookRoutes(deps: { db: Db; commands: OrderCommands; webhookSecret: string }) {
  const { db, commands } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/carriers/:carrier/webhooks',
      tag: 'carriers',
      summary: `A carrier's signed tracking event (header ${SIGNATURE_HEADER}: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">)`,
      access: 'carrier-signature',
      responses: { 202: 'accepted', 200: 'ignored: the order has ended', 401: 'bad or missing signature', 404: 'no such shipment', 422: 'invalid event' },
      async handler({ req, res, params }) {
        const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const verdict = verifyWebhook(deps.webhookSecret, raw, req.get(SIGNATURE_HEADER));
        if (!verdict.ok) {
          throw new HttpProblem(401, 'Unauthorized', `webhook signature rejected: ${verdict.reason}`, {
            errors: [{ field: `header.${SIGNATURE_HEADER}`, message: verdict.reason }],
          });
        }
        let json: unknown;
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new HttpProblem(400, 'Malformed JSON', 'the webhook body is not JSON');
        }
        const parsed = CarrierTrackingEvent.safeParse(json);
        if (!parsed.success) throw validationProblem(parsed.error, 'body');
        const event = parsed.data;
        if (event.carrier !== params.carrier) {
          throw new HttpProblem(422, 'Invalid request', `the event is from ${event.carrier}, posted to ${params.carrier}`, {
            errors: [{ field: 'carrier', message: `does not match the path (${params.carrier})` }],
          });
        }

        const match: SQL[] = [and(eq(shipments.carrier, event.carrier), eq(shipments.trackingNumber, event.trackingNumber))!];
        if (UUID.safeParse(event.reference).success) match.push(eq(shipments.id, event.reference));
        const [shipment] = await db.select({ orderId: shipments.orderId }).from(shipments).where(or(...match)).limit(1);
        if (!shipment) throw new HttpProblem(404, 'Not found', `no shipment ${event.carrier} ${event.trackingNumber}`);

        try {
          await commands.handle(shipment.orderId).signal(trackingEvent, event);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) {
            res.status(200).json({ accepted: false, reason: 'the order has ended', orderId: shipment.orderId });
            return;
          }
          throw err;
        }
        res.status(202).json({ accepted: true, orderId: shipment.orderId, eventId: event.eventId });
      },
    }),
  ];
}
