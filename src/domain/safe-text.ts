// Text Postgres cannot store: it refuses U+0000 in text and jsonb, and a lone UTF-16
// surrogate is not a character at all (it cannot be encoded as UTF-8). Boundaries refuse
// such text; code that must store text it did not choose (a carrier's words, a failure
// message) cleans it instead.

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Why a string cannot be stored as text, or undefined when it can. */
export function textFault(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  LONE_SURROGATE.lastIndex = 0;
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (not a character)';
  return undefined;
}

/** The text with NULs dropped and lone surrogates replaced by U+FFFD, so Postgres takes it. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');
}

export interface TextFault {
  /** Dotted path from the root, e.g. customer.address.city; a bad key is named by its own path. */
  path: string[];
  message: string;
}

/** Every string (and object key) in a JSON-like value that cannot be stored; at most `limit` of them. */
export function findTextFaults(value: unknown, limit = 20): TextFault[] {
  const faults: TextFault[] = [];
  const visit = (v: unknown, path: string[], depth: number): void => {
    if (faults.length >= limit || depth > 64) return;
    if (typeof v === 'string') {
      const message = textFault(v);
      if (message) faults.push({ path, message });
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, index) => visit(item, [...path, String(index)], depth + 1));
      return;
    }
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      for (const [key, item] of Object.entries(v)) {
        const keyFault = textFault(key);
        // The key itself is the bad text: name it by where it stands, cleaned so the answer is printable.
        if (keyFault) faults.push({ path: [...path, storableText(key)], message: `the field name ${keyFault}` });
        else visit(item, [...path, key], depth + 1);
      }
    }
  };
  visit(value, [], 0);
  return faults;
}
