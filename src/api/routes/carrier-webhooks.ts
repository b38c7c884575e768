import { and, eq, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { WebhookTrackingEvent } from '../../carriers/tracking-event-schema';
import { SIGNATURE_HEADER, carrierWebhookSecret, verifyWebhook, type CarrierWebhookSecrets } from '../../carriers/webhook-signature';
import type { Db } from '../../db/client';
import { shipments } from '../../db/schema';
import { storeTrackingEvents } from '../../db/tracking-store';
import { findTextFaults } from '../../domain/safe-text';
import { trackingEvent } from '../../../workflows/order/messages';
import type { OrderCommands } from '../order-commands';
import { HttpProblem, validationProblem } from '../problem';
import { route, textProblem } from '../route';

// Carriers push tracking events here (R4.5). Only a correct HMAC signature with the
// carrier's own secret gets in, and an event only ever touches that carrier's shipments.
// The event goes to the order's workflow as a signal — durable once accepted — and the
// workflow deduplicates and orders events, so a carrier may safely send one twice. After
// the order has ended the event is kept on the shipment directly: nothing is dropped.

const UUID = z.uuid();

export function carrierWebhookRoutes(deps: { db: Db; commands: OrderCommands; webhookSecrets: CarrierWebhookSecrets }) {
  const { db, commands } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/carriers/:carrier/webhooks',
      tag: 'carriers',
      summary: `A carrier's tracking event, signed with that carrier's own secret (header ${SIGNATURE_HEADER}: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">)`,
      access: 'carrier-signature',
      responses: {
        202: 'accepted: the order will take it in',
        200: 'kept on the shipment; the order has ended, so it moves nothing',
        401: "bad or missing signature, or not this carrier's secret",
        404: "no such shipment of this carrier",
        422: 'invalid event',
      },
      async handler({ req, res, params }) {
        const carrier = params.carrier ?? '';
        const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        // Each carrier signs with its own secret: one carrier cannot speak for another.
        const secret = carrierWebhookSecret(deps.webhookSecrets, carrier);
        const verdict: ReturnType<typeof verifyWebhook> = secret
          ? verifyWebhook(secret, raw, req.get(SIGNATURE_HEADER))
          : { ok: false, reason: `no webhook secret is configured for carrier ${JSON.stringify(carrier)}` };
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
        // Text Postgres cannot store, even under a field the schema would drop, is refused
        // here rather than accepted and failing to be recorded later.
        const faults = findTextFaults(json);
        if (faults.length > 0) throw textProblem(faults.map((f) => ({ field: f.path.join('.') || 'body', message: f.message })));
        const parsed = WebhookTrackingEvent.safeParse(json);
        if (!parsed.success) throw validationProblem(parsed.error, 'body');
        const event = parsed.data;
        if (event.carrier !== carrier) {
          throw new HttpProblem(422, 'Invalid request', `the event is from ${event.carrier}, posted to ${carrier}`, {
            errors: [{ field: 'carrier', message: `does not match the path (${carrier})` }],
          });
        }

        // This carrier's shipment, by its tracking number or by our reference; a reference
        // to another carrier's shipment finds nothing.
        const match: SQL[] = [eq(shipments.trackingNumber, event.trackingNumber)];
        if (UUID.safeParse(event.reference).success) match.push(eq(shipments.id, event.reference));
        const found = await db
          .select({ id: shipments.id, orderId: shipments.orderId, trackingNumber: shipments.trackingNumber })
          .from(shipments)
          .where(and(eq(shipments.carrier, carrier), or(...match)))
          .limit(2);
        const shipment = found.find((s) => s.trackingNumber === event.trackingNumber) ?? found[0];
        if (!shipment) throw new HttpProblem(404, 'Not found', `no ${carrier} shipment ${event.trackingNumber}`);
        // The workflow matches events to shipments by reference: make it name the one found.
        const mine = { ...event, reference: shipment.id };

        try {
          await commands.handle(shipment.orderId).signal(trackingEvent, mine);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          // The order has ended (its workflow is closed or gone): keep the event on the
          // shipment through the same store as the workflow's, with no status change.
          const recorded = await db.transaction((tx) => storeTrackingEvents(tx, shipment.orderId, [mine]));
          res.status(200).json({ accepted: true, stored: recorded > 0, orderEnded: true, orderId: shipment.orderId, eventId: event.eventId });
          return;
        }
        res.status(202).json({ accepted: true, orderId: shipment.orderId, eventId: event.eventId });
      },
    }),
  ];
}
