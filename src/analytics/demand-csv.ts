// Past sales as CSV (R2.7): `date,sku,warehouse,quantity`, one row a day, SKU and
// warehouse. Pure parsing: every line at fault is named with its field, so a user can
// fix the file in one go; nothing is stored unless every line is good.

export const CSV_HEADER = ['date', 'sku', 'warehouse', 'quantity'] as const;
export const MAX_CSV_ROWS = 20_000;

export interface DemandRow {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  date: string;
  sku: string;
  warehouse: string;
  quantity: number;
}

export interface CsvFault {
  /** `line 7.quantity`, or `line 1` for the header. */
  field: string;
  message: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether YYYY-MM-DD names a real calendar day. */
export function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/**
 * Parses the file. Blank lines are skipped; fields are trimmed; quoting is not needed
 * (no field may hold a comma) and not supported. `today` (YYYY-MM-DD) bounds the dates:
 * history is the past, up to and including today.
 */
export function parseDemandCsv(content: string, today: string): { rows: DemandRow[]; faults: CsvFault[] } {
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  const faults: CsvFault[] = [];
  const rows: DemandRow[] = [];
  const header = (lines[0] ?? '').split(',').map((h) => h.trim().toLowerCase());
  if (header.join(',') !== CSV_HEADER.join(',')) {
    return { rows, faults: [{ field: 'line 1', message: `the header must be "${CSV_HEADER.join(',')}"` }] };
  }
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i += 1) {
    const text = lines[i]!;
    if (text.trim() === '') continue;
    const line = i + 1;
    const at = (field: string, message: string) => faults.push({ field: `line ${line}.${field}`, message: `line ${line}: ${message}` });
    const cells = text.split(',').map((c) => c.trim());
    if (cells.length !== CSV_HEADER.length) {
      faults.push({ field: `line ${line}`, message: `line ${line}: ${cells.length} fields, expected 4 (${CSV_HEADER.join(',')})` });
      continue;
    }
    const [date, sku, warehouse, quantityText] = cells as [string, string, string, string];
    const before = faults.length;
    if (!isCalendarDate(date)) at('date', `date "${date}" is not a calendar date YYYY-MM-DD`);
    else if (date > today) at('date', `date ${date} is in the future`);
    if (sku === '' || sku.length > 64) at('sku', 'sku must be 1 to 64 characters');
    if (warehouse === '' || warehouse.length > 32) at('warehouse', 'warehouse must be 1 to 32 characters');
    const quantity = /^\d{1,9}$/.test(quantityText) ? Number(quantityText) : NaN;
    if (Number.isNaN(quantity)) at('quantity', `quantity "${quantityText}" is not a whole number ≥ 0`);
    if (faults.length > before) continue;
    const key = `${date}|${sku}|${warehouse}`;
    const first = seen.get(key);
    if (first !== undefined) {
      at('date', `${sku} at ${warehouse} on ${date} is already on line ${first}`);
      continue;
    }
    seen.set(key, line);
    rows.push({ line, date, sku, warehouse, quantity });
  }
  if (faults.length === 0 && rows.length === 0) faults.push({ field: 'content', message: 'no rows after the header' });
  if (rows.length > MAX_CSV_ROWS) faults.push({ field: 'content', message: `at most ${MAX_CSV_ROWS} rows in one upload` });
  return { rows, faults };
}
