import { z } from 'zod';
import type { OrderLine } from '../domain/order';
import { channelAdapter, type PartnerFieldError } from './adapter';
import { netFromGross, parseAmount, parseTaxRate } from './gross-to-net';

// A marketplace feed: one flat record per order, ship-to fields side by side, lines that
// name the marketplace's own SKUs (mapped to ours through channel_sku_aliases) and
// prices as the buyer saw them, tax in, as decimal strings beside the tax rate.

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v === '' ? undefined : v));

export const MarketplaceLine = z.object({
  marketplace_sku: text(64),
  quantity: z.number().int().positive().max(100_000),
  /** Per unit, tax included, as a decimal string in the order's currency: "15.35". */
  item_price_gross: z.string().max(32),
  /** Per cent: "19", "7.5" or 19. */
  tax_rate: z.union([z.string().max(8), z.number()]),
});

export const MarketplaceOrder = z.object({
  order_id: text(100),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as EUR'),
  buyer_id: optionalText(100),
  buyer_email: optionalText(254),
  buyer_phone: optionalText(32),
  ship_to_name: text(200),
  ship_to_street1: text(200),
  ship_to_street2: optionalText(200),
  ship_to_city: text(100),
  ship_to_state: text(100),
  ship_to_zip: text(20),
  ship_to_country: z.string().regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as DE'),
  /** The shipping the buyer chose on the marketplace: expedited orders are served first. */
  shipping_service: z.enum(['standard', 'expedited']).default('standard'),
  /** Paid through the marketplace, or paid to the courier on delivery. */
  payment_method: z.enum(['marketplace_paid', 'cash_on_delivery']).default('marketplace_paid'),
  items: z.array(MarketplaceLine).min(1).max(500),
});
export type MarketplaceOrder = z.output<typeof MarketplaceOrder>;

export const marketplace = channelAdapter({
  partner: 'marketplace',
  channel: 'marketplace',
  summary: 'A marketplace feed: flat ship-to fields, its own SKU aliases, gross prices with a tax rate',
  orderIdField: 'order_id',
  usesSkuAliases: true,
  payload: MarketplaceOrder,
  map(order, { skuAliases }) {
    const errors: PartnerFieldError[] = [];
    const items: OrderLine[] = [];
    order.items.forEach((line, i) => {
      const at = `items[${i}]`;
      const sku = skuAliases.get(line.marketplace_sku);
      if (sku === undefined) errors.push({ field: `${at}.marketplace_sku`, message: `unknown SKU alias "${line.marketplace_sku}"` });
      const gross = parseAmount(line.item_price_gross, order.currency);
      if (!gross.ok) errors.push({ field: `${at}.item_price_gross`, message: gross.message });
      const rate = parseTaxRate(line.tax_rate);
      if (!rate.ok) errors.push({ field: `${at}.tax_rate`, message: rate.message });
      if (sku !== undefined && gross.ok && rate.ok) items.push({ sku, quantity: line.quantity, unitPrice: netFromGross(gross.value, rate.value) });
    });
    if (errors.length > 0) return { ok: false, errors };
    return {
      ok: true,
      draft: {
        externalId: order.order_id,
        channel: 'marketplace',
        partner: 'marketplace',
        priority: order.shipping_service === 'expedited' ? 'high' : 'normal',
        currency: order.currency,
        customer: {
          ...(order.buyer_id !== undefined ? { id: order.buyer_id } : {}),
          name: order.ship_to_name,
          ...(order.buyer_email !== undefined ? { email: order.buyer_email } : {}),
          ...(order.buyer_phone !== undefined ? { phone: order.buyer_phone } : {}),
          address: {
            line1: order.ship_to_street1,
            ...(order.ship_to_street2 !== undefined ? { line2: order.ship_to_street2 } : {}),
            city: order.ship_to_city,
            region: order.ship_to_state,
            postalCode: order.ship_to_zip,
            country: order.ship_to_country.toUpperCase(),
          },
        },
        items,
        settlement: { method: order.payment_method === 'cash_on_delivery' ? 'cash_on_delivery' : 'prepaid' },
      },
    };
  },
});
