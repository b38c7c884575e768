import type { z } from 'zod';
import type { OrderDraft } from '../domain/order';
import type { Channel } from '../domain/order-status';

// A channel adapter takes one partner's own payload to our order draft: a zod schema of
// what the partner sends, and a pure mapper. Everything a mapper needs beyond the payload
// (the partner's SKU aliases) is loaded first and handed in, so mapping does no I/O and
// is tested without a database. Faults are named in the partner's own words and paths
// (items[2].marketplace_sku), never in ours: the partner fixes its payload, not our draft.

/** A field of the partner's payload, as a path the partner recognises: booking.passengers[1].deliver_to. */
export interface PartnerFieldError {
  field: string;
  message: string;
}

/** What the route loads for a mapper before it runs. */
export interface ChannelContext {
  /** The partner's own SKU names → our SKUs (channel_sku_aliases). */
  skuAliases: ReadonlyMap<string, string>;
}

export type Mapping = { ok: true; draft: OrderDraft } | { ok: false; errors: PartnerFieldError[] };

export interface ChannelAdapter<S extends z.ZodType = z.ZodType> {
  /** The partner's name, in the URL (`/v1/channels/{partner}/orders`) and on its orders (`orders.partner`). */
  partner: string;
  /** The kind of channel its orders come through: the channel they are counted and searched under. */
  channel: Channel;
  summary: string;
  /** The payload field holding the partner's order id (our externalId): named when an id is reused. */
  orderIdField: string;
  /** Whether the mapper reads the partner's SKU aliases (the route loads them only then). */
  usesSkuAliases: boolean;
  payload: S;
  map(payload: z.output<S>, context: ChannelContext): Mapping;
}

/** Declares an adapter with its mapper typed by its schema. */
export function channelAdapter<S extends z.ZodType>(adapter: ChannelAdapter<S>): ChannelAdapter {
  return adapter as unknown as ChannelAdapter;
}

/** A path into a JSON payload as people write it: items[2].marketplace_sku. */
export function partnerPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? String(part) : `.${String(part)}`;
  return out || 'body';
}

/** The partner's payload checked against its adapter's schema; faults at the partner's own paths. */
export function readPartnerPayload(adapter: ChannelAdapter, raw: unknown): { ok: true; payload: unknown } | { ok: false; errors: PartnerFieldError[] } {
  const parsed = adapter.payload.safeParse(raw);
  if (parsed.success) return { ok: true, payload: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({ field: partnerPath(issue.path), message: issue.message })),
  };
}

/** Maps a payload and reads it in one go: the whole adapter, still pure. */
export function mapPartnerOrder(adapter: ChannelAdapter, raw: unknown, context: ChannelContext): Mapping {
  const read = readPartnerPayload(adapter, raw);
  return read.ok ? adapter.map(read.payload, context) : read;
}
