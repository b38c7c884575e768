import { textFault } from '../domain/safe-text';
import { HttpProblem } from './problem';

// Keyset pages for the lists (orders, catalogue, stock): the cursor is the last row's sort key, opaque to
// callers, so a page never skips or repeats a row when rows are added meanwhile.

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key a cursor carries; a cursor this API did not give out is a 422 naming it. */
export function decodeCursor(cursor: string, parts: number): string[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== parts || !key.every((k) => typeof k === 'string' && k.length > 0 && k.length <= 64 && !textFault(k))) {
    throw badCursor();
  }
  return key as string[];
}

export function badCursor(): HttpProblem {
  return new HttpProblem(422, 'Invalid request', 'query.cursor: not a cursor this API gave out', {
    errors: [{ field: 'query.cursor', message: 'not a cursor this API gave out' }],
  });
}

/** One page from `limit + 1` rows read in key order, and the cursor of the next page if there is one. */
export function pageOf<T, J>(rows: readonly T[], limit: number, keyOf: (row: T) => string[], toJson: (row: T) => J) {
  const data = rows.slice(0, limit);
  return { data: data.map(toJson), nextCursor: rows.length > limit ? encodeCursor(keyOf(data.at(-1)!)) : null };
}
