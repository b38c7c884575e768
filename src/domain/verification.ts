import type { OrderDraft } from './order';

// VERIFY (R1.2, R1.3): can this order be delivered to this customer, and does every line
// name goods we sell at the price we sell them? Pure: the caller loads the catalogue.

export interface CatalogueEntry {
  sku: string;
  name: string;
  spec: string;
  unitPrice: number;
  currency: string;
  active: boolean;
}

export type VerificationCode =
  | 'customer_name_missing'
  | 'address_incomplete'
  | 'postal_code_invalid'
  | 'contact_missing'
  | 'email_invalid'
  | 'phone_invalid'
  | 'unknown_sku'
  | 'inactive_sku'
  | 'price_mismatch'
  | 'currency_mismatch'
  | 'name_mismatch'
  | 'spec_mismatch'
  | 'delivery_date_past';

export interface VerificationReason {
  code: VerificationCode;
  /** The order field at fault, as a dotted path: items.2.unitPrice */
  field: string;
  message: string;
}

export interface VerificationResult {
  ok: boolean;
  reasons: VerificationReason[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
// Up to 15 digits (E.164), spaces, dashes, dots and brackets allowed between them.
const PHONE = /^\+?[\d\s().-]{7,24}$/;

/** Postal code shapes for the countries we know; elsewhere: something plausible. */
const POSTAL_CODES: Record<string, RegExp> = {
  US: /^\d{5}(-\d{4})?$/,
  DE: /^\d{5}$/,
  FR: /^\d{5}$/,
  NL: /^\d{4}\s?[A-Z]{2}$/i,
  GB: /^[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$/i,
  CN: /^\d{6}$/,
  TW: /^\d{3}(\d{2,3})?$/,
  HK: /^.*$/,
  JP: /^\d{3}-?\d{4}$/,
};

const GENERIC_POSTAL_CODE = /^[A-Z\d][A-Z\d\s-]{1,9}$/i;

const blank = (text: string | undefined) => text === undefined || text.trim() === '';
const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export function postalCodeFits(country: string, postalCode: string): boolean {
  const pattern = POSTAL_CODES[country.toUpperCase()] ?? GENERIC_POSTAL_CODE;
  return pattern.test(postalCode.trim());
}

export function verifyCustomer(customer: OrderDraft['customer']): VerificationReason[] {
  const reasons: VerificationReason[] = [];
  const name = customer.name.trim();
  if (name.length < 2 || !/\p{L}/u.test(name)) {
    reasons.push({ code: 'customer_name_missing', field: 'customer.name', message: 'a recipient name is needed to deliver the order' });
  }
  const { address } = customer;
  for (const field of ['line1', 'city', 'region', 'postalCode', 'country'] as const) {
    if (blank(address[field])) {
      reasons.push({ code: 'address_incomplete', field: `customer.address.${field}`, message: `the address has no ${field}` });
    }
  }
  if (!blank(address.postalCode) && !blank(address.country) && !postalCodeFits(address.country, address.postalCode)) {
    reasons.push({
      code: 'postal_code_invalid',
      field: 'customer.address.postalCode',
      // Name the field, never quote it: failure messages end up in logs, histories and the UI.
      message: `the postal code does not fit ${address.country.toUpperCase()}`,
    });
  }
  if (blank(customer.email) && blank(customer.phone)) {
    reasons.push({ code: 'contact_missing', field: 'customer', message: 'an e-mail address or a phone number is needed' });
  }
  if (!blank(customer.email) && !EMAIL.test(customer.email!.trim())) {
    reasons.push({ code: 'email_invalid', field: 'customer.email', message: 'the e-mail address is not valid' });
  }
  if (!blank(customer.phone)) {
    const digits = customer.phone!.replace(/\D/g, '');
    if (!PHONE.test(customer.phone!.trim()) || digits.length < 7 || digits.length > 15) {
      reasons.push({ code: 'phone_invalid', field: 'customer.phone', message: 'the phone number is not valid' });
    }
  }
  return reasons;
}

export function verifyItems(
  order: Pick<OrderDraft, 'items' | 'currency'>,
  catalogue: ReadonlyMap<string, CatalogueEntry>,
): VerificationReason[] {
  const reasons: VerificationReason[] = [];
  order.items.forEach((item, index) => {
    const at = `items.${index}`;
    const product = catalogue.get(item.sku);
    if (!product) {
      reasons.push({ code: 'unknown_sku', field: `${at}.sku`, message: `no product with SKU ${item.sku} in the catalogue` });
      return;
    }
    if (!product.active) {
      reasons.push({ code: 'inactive_sku', field: `${at}.sku`, message: `${item.sku} is no longer sold` });
    }
    if (product.currency !== order.currency) {
      reasons.push({
        code: 'currency_mismatch',
        field: 'currency',
        message: `${item.sku} is sold in ${product.currency}, the order is in ${order.currency}`,
      });
    } else if (product.unitPrice !== item.unitPrice) {
      reasons.push({
        code: 'price_mismatch',
        field: `${at}.unitPrice`,
        message: `${item.sku} costs ${product.unitPrice} minor units, the order says ${item.unitPrice}`,
      });
    }
    if (item.name !== undefined && !same(item.name, product.name)) {
      reasons.push({ code: 'name_mismatch', field: `${at}.name`, message: `${item.sku} is "${product.name}", not "${item.name}"` });
    }
    if (item.spec !== undefined && !same(item.spec, product.spec)) {
      reasons.push({ code: 'spec_mismatch', field: `${at}.spec`, message: `${item.sku} is "${product.spec}", not "${item.spec}"` });
    }
  });
  return reasons;
}

export function verifyOrder(
  order: OrderDraft,
  catalogue: ReadonlyMap<string, CatalogueEntry>,
  now: Date,
): VerificationResult {
  const reasons = [...verifyCustomer(order.customer), ...verifyItems(order, catalogue)];
  if (order.requestedDeliveryBy !== undefined && new Date(order.requestedDeliveryBy).getTime() < now.getTime()) {
    reasons.push({ code: 'delivery_date_past', field: 'requestedDeliveryBy', message: 'the requested delivery date has passed' });
  }
  // A price mismatch on many lines with one wrong currency says the same thing each time.
  const unique = reasons.filter((r, i) => reasons.findIndex((o) => o.code === r.code && o.field === r.field) === i);
  return { ok: unique.length === 0, reasons: unique };
}
