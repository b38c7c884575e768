import { z } from 'zod';
import type { Db } from '../../db/client';
import type { OrderDraft } from '../../domain/order';
import { mapPartnerOrder, type ChannelAdapter, type PartnerFieldError } from '../../channels/adapter';
import { CHANNEL_ADAPTERS, channelAdapterFor } from '../../channels/registry';
import { listSkuAliases, loadSkuAliases, replaceSkuAliases } from '../../channels/sku-aliases';
import type { OrderIntake } from '../../intake/place-order';
import type { OrderReplies } from '../intake-reply';
import { fieldErrors, HttpProblem, PROBLEM_TYPE_BASE } from '../problem';
import { route } from '../route';
import { CreateOrderBody } from '../schemas';

// Partner channels (R1.1): a partner's own payload, through its adapter (src/channels/),
// into the same intake as `POST /v1/orders`, answered the same way. This file finds the
// adapter, loads what its mapper needs, and renders faults in the partner's words.

const KNOWN = [...CHANNEL_ADAPTERS.keys()].join(', ');

const PartnerPayload = z.unknown().meta({
  description: `The partner's own payload, in the shape its adapter reads (${KNOWN}); see "Channels and adapters" in the README.`,
});

const SkuAliasesBody = z.strictObject({
  aliases: z
    .array(
      z.strictObject({
        alias: z.string().trim().min(1).max(64),
        sku: z.string().trim().min(1).max(64),
      }),
    )
    .max(10_000)
    .refine((list) => new Set(list.map((a) => a.alias)).size === list.length, { message: 'each alias at most once' }),
});

function adapterOf(params: Record<string, string>): ChannelAdapter {
  const adapter = channelAdapterFor(params.partner ?? '');
  if (!adapter) {
    throw new HttpProblem(404, 'Not found', `no partner channel "${params.partner}"; known: ${KNOWN}`, {
      errors: [{ field: 'path.partner', message: `a partner channel: ${KNOWN}` }],
    });
  }
  return adapter;
}

function aliasingAdapterOf(params: Record<string, string>): ChannelAdapter {
  const adapter = adapterOf(params);
  if (!adapter.usesSkuAliases) {
    throw new HttpProblem(404, 'Not found', `partner ${adapter.partner} names our own SKUs: it has no SKU aliases`, {
      errors: [{ field: 'path.partner', message: 'a partner that maps SKU aliases' }],
    });
  }
  return adapter;
}

/** A payload that does not map, named in the partner's own fields. */
function unmappable(partner: string, errors: PartnerFieldError[]): HttpProblem {
  return new HttpProblem(422, 'Partner payload does not map', `${partner}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {
    type: `${PROBLEM_TYPE_BASE}validation`,
    partner,
    errors,
  });
}

export function channelRoutes(deps: { db: Db; intake: OrderIntake; replies: OrderReplies }) {
  const { db, intake, replies } = deps;

  return [
    route({
      method: 'post',
      path: '/v1/channels/:partner/orders',
      tag: 'orders',
      summary: "Create an order from a partner's own payload, through the partner's adapter (R1.1)",
      access: ['integrator'],
      body: PartnerPayload,
      responses: {
        201: 'created; `verification` says whether it passed; `partner` names the partner',
        200: 'the same partner order again: the order it made',
        202: 'accepted; verification still running',
        404: 'no such partner channel',
        409: 'the partner order id belongs to an order with different content',
        422: "the payload does not map; `errors` name the partner's own fields",
      },
      async handler({ res, body, params, caller }) {
        const adapter = adapterOf(params);
        const skuAliases = adapter.usesSkuAliases ? await loadSkuAliases(db, adapter.partner) : new Map<string, string>();
        const mapped = mapPartnerOrder(adapter, body, { skuAliases });
        if (!mapped.ok) throw unmappable(adapter.partner, mapped.errors);

        // The mapped draft meets the same checks as a draft sent to POST /v1/orders. An
        // adapter's schema should already hold its partner to them; if not, say so in ours.
        const draft = CreateOrderBody.safeParse(mapped.draft);
        if (!draft.success) {
          throw unmappable(
            adapter.partner,
            fieldErrors(draft.error, 'order').map((e) => ({ field: e.field, message: `the order it maps to: ${e.message}` })),
          );
        }
        const outcome = await intake.placeOrder(draft.data satisfies OrderDraft, { caller: caller!.keyId });
        if (outcome.kind === 'refused' && outcome.refusal.reason === 'external-id-taken') {
          throw new HttpProblem(409, 'Conflict', `${adapter.partner} order ${outcome.refusal.externalId} was placed before with different content`, {
            orderId: outcome.refusal.orderId,
            partner: adapter.partner,
            errors: [{ field: adapter.orderIdField, message: 'already placed with different content' }],
          });
        }
        if (outcome.kind === 'refused' && outcome.refusal.reason === 'external-id-held') {
          throw new HttpProblem(409, 'Conflict', `${adapter.partner} order ${outcome.refusal.externalId} is already in use`, {
            partner: adapter.partner,
            errors: [{ field: adapter.orderIdField, message: 'already in use' }],
          });
        }
        await replies.replyWithIntake(res, outcome);
      },
    }),

    route({
      method: 'get',
      path: '/v1/channels/:partner/sku-aliases',
      tag: 'orders',
      summary: "A partner's own names for our SKUs",
      access: ['operator', 'integrator'],
      responses: { 200: '{ partner, aliases: [{ alias, sku }] }', 404: 'no such partner, or it maps no SKU aliases' },
      async handler({ res, params }) {
        const adapter = aliasingAdapterOf(params);
        res.json({ partner: adapter.partner, aliases: await listSkuAliases(db, adapter.partner) });
      },
    }),

    route({
      method: 'put',
      path: '/v1/channels/:partner/sku-aliases',
      tag: 'orders',
      summary: "Replace a partner's SKU aliases (those not listed are removed)",
      access: ['operator'],
      body: SkuAliasesBody,
      responses: { 200: '{ partner, aliases }', 404: 'no such partner, or it maps no SKU aliases', 422: 'a SKU not in the catalogue' },
      async handler({ res, params, body }) {
        const adapter = aliasingAdapterOf(params);
        const replaced = await replaceSkuAliases(db, adapter.partner, body.aliases);
        if (replaced.kind === 'unknown-skus') {
          const unknown = new Set(replaced.skus);
          const errors = body.aliases.flatMap((a, i) => (unknown.has(a.sku) ? [{ field: `aliases.${i}.sku`, message: `no product with SKU ${a.sku} in the catalogue` }] : []));
          throw new HttpProblem(422, 'Invalid request', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { type: `${PROBLEM_TYPE_BASE}validation`, errors });
        }
        res.json({ partner: adapter.partner, aliases: replaced.aliases });
      },
    }),
  ];
}
