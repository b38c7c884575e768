import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// A customer proves an order is theirs by the e-mail or phone on it (the public look-up).
// E-mails compare trimmed and case-insensitive; phones by their digits, written with or
// without the country code (+49 30 1234567, 0049 30 1234567 and 030 1234567 are one
// number). Every comparison is of hashes with timingSafeEqual and every pair is compared,
// so a match costs as long as a miss.

export interface OrderContacts {
  email?: string;
  phone?: string;
}

/** The shortest national number worth comparing: fewer digits would match by accident. */
const MIN_NATIONAL_DIGITS = 6;

interface Phone {
  international: boolean;
  digits: string;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function parsePhone(text: string): Phone | undefined {
  const trimmed = text.trim();
  let digits = trimmed.replace(/\D/g, '');
  let international = trimmed.startsWith('+');
  if (!international && digits.startsWith('00')) {
    international = true;
    digits = digits.slice(2);
  }
  // A national number's leading zeros are the trunk prefix, not part of the number.
  if (!international) digits = digits.replace(/^0+/, '');
  if (digits.length < MIN_NATIONAL_DIGITS) return undefined;
  return { international, digits };
}

/** The keys a phone is compared by: its own, then (if international) what it is without a 1–3 digit country code. */
function phoneKeys(p: Phone): string[] {
  if (!p.international) return [`national:${p.digits}`];
  const nationals = [1, 2, 3]
    .map((k) => p.digits.slice(k).replace(/^0+/, ''))
    .map((d) => (d.length >= MIN_NATIONAL_DIGITS ? `national:${d}` : `none:${d}`));
  return [`international:${p.digits}`, ...nationals];
}

const hash = (key: string) => createHash('sha256').update(key).digest();

/** Stands in for the contacts of an order that does not exist: never matches, costs the same. */
export const NO_CONTACTS: OrderContacts = {
  email: `${randomBytes(16).toString('hex')}@invalid`,
  phone: `+99${BigInt(`0x${randomBytes(6).toString('hex')}`).toString().padStart(12, '1')}`,
};

/** Whether `given` is the e-mail or the phone of an order with these contacts. */
export function contactMatches(stored: OrderContacts, given: string): boolean {
  const isEmail = given.includes('@');
  const storedEmail = hash(`email:${stored.email ? normaliseEmail(stored.email) : '\0none-stored'}`);
  const givenEmail = hash(`email:${isEmail ? normaliseEmail(given) : '\0none-given'}`);
  // Both compared whatever the first found: no early answer.
  const emailEqual = timingSafeEqual(storedEmail, givenEmail);
  const phoneEqual = phonesMatch(stored.phone ? parsePhone(stored.phone) : undefined, isEmail ? undefined : parsePhone(given));
  return emailEqual || phoneEqual;
}

function phonesMatch(stored: Phone | undefined, given: Phone | undefined): boolean {
  const a = phoneKeys(stored ?? { international: false, digits: '\0none-stored' });
  const b = phoneKeys(given ?? { international: false, digits: '\0none-given' });
  let matched = false;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      // Own key against own key; a national number against an international one's
      // national forms — never two international numbers by their tails (+49… vs +48…).
      const allowed = (i === 0 && j === 0) || (i === 0 && j > 0 && !stored?.international) || (j === 0 && i > 0 && !given?.international);
      const equal = timingSafeEqual(hash(a[i]!), hash(b[j]!));
      if (allowed && equal && stored && given) matched = true;
    }
  }
  return matched;
}
