import { createHash, randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { statements } from '../db/schema';
import { minorDigits } from '../domain/money';
import { compareLines } from '../domain/reconciliation';
import { LINE_KINDS, type LineKind, type StatementLine } from '../domain/reconciliation-lines';

// R6.4, R6.5: a counterparty's statement, parsed from CSV or JSON lines into the common
// line format and stored once per (agreement, period, digest of the normalised lines).
// Amounts arrive as decimal strings in major units and become integer minor units by
// string arithmetic alone ("12.30" EUR → 1230, "1500" JPY → 1500); no float touches them.

export const STATEMENT_FORMATS = ['csv', 'jsonl'] as const;
export type StatementFormat = (typeof STATEMENT_FORMATS)[number];

/** One fault: the content's line number (1-based, the CSV header is line 1) and the field. */
export interface LineFault {
  line: number;
  field: string;
  message: string;
}

export type ParsedStatement = { ok: true; lines: StatementLine[] } | { ok: false; faults: LineFault[] };

const CSV_REQUIRED = ['reference', 'kind', 'amount', 'currency', 'date'] as const;
const CSV_COLUMNS = [...CSV_REQUIRED, 'description'] as const;
const MAX_FAULTS = 50;
const MAX_REFERENCE = 200;
const MAX_DESCRIPTION = 500;

/** A decimal in major units → integer minor units, exactly; undefined with the reason when it is not one. */
export function parseAmount(text: string, currency: string): { amount: number } | { error: string } {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return { error: `"${text}" is not a decimal amount like 12.30 (positive, a dot for decimals, no thousands separators)` };
  const digits = minorDigits(currency);
  const fraction = m[2] ?? '';
  if (fraction.length > digits) {
    return { error: digits === 0 ? `"${text}": ${currency} has no decimals` : `"${text}": ${currency} has ${digits} decimals at most` };
  }
  const minor = BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { error: `"${text}" is too large` };
  return { amount: Number(minor) };
}

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** The fields of one line, as text, checked and normalised; faults name the field. */
function normaliseLine(raw: Record<string, unknown>, lineNo: number, faults: LineFault[]): StatementLine | undefined {
  const before = faults.length;
  const fault = (field: string, message: string) => faults.push({ line: lineNo, field, message });
  // undefined: absent; null: present but not text (already a fault).
  const text = (field: string): string | null | undefined => {
    const v = raw[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      fault(field, 'must be a string');
      return null;
    }
    return v.trim() === '' ? undefined : v.trim();
  };
  const reference = text('reference');
  const kind = text('kind');
  const amountText = text('amount');
  const currency = text('currency');
  const date = text('date');
  const description = text('description');
  if (reference === undefined) fault('reference', 'required');
  else if (reference && reference.length > MAX_REFERENCE) fault('reference', `at most ${MAX_REFERENCE} characters`);
  if (kind === undefined) fault('kind', 'required');
  else if (kind && !(LINE_KINDS as readonly string[]).includes(kind)) fault('kind', `"${kind}" is not one of ${LINE_KINDS.join(', ')}`);
  const currencyOk = !!currency && /^[A-Z]{3}$/.test(currency);
  if (currency === undefined) fault('currency', 'required');
  else if (currency && !currencyOk) fault('currency', `"${currency}" is not an ISO 4217 code like EUR`);
  let amount: number | undefined;
  if (amountText === undefined) fault('amount', 'required');
  else if (amountText && currencyOk) {
    const parsed = parseAmount(amountText, currency);
    if ('error' in parsed) fault('amount', parsed.error);
    else amount = parsed.amount;
  }
  if (date === undefined) fault('date', 'required');
  else if (date && !isCalendarDate(date)) fault('date', `"${date}" is not a date YYYY-MM-DD`);
  if (description && description.length > MAX_DESCRIPTION) fault('description', `at most ${MAX_DESCRIPTION} characters`);
  if (faults.length > before || amount === undefined) return undefined;
  return { reference: reference!, kind: kind as LineKind, amount, currency: currency!, date: date!, ...(description ? { description } : {}) };
}

/** Splits one CSV record (RFC 4180 quoting, on one physical line). */
function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return undefined;
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line[i] !== ',') return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

const physicalLines = (content: string) => content.split(/\r?\n/);

function parseCsv(content: string): ParsedStatement {
  const rows = physicalLines(content);
  const faults: LineFault[] = [];
  const header = csvFields(rows[0]?.replace(/^\uFEFF/, '') ?? '')?.map((h) => h.trim().toLowerCase());
  const missing = CSV_REQUIRED.filter((c) => !header?.includes(c));
  const unknown = (header ?? []).filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  const repeated = (header ?? []).filter((c, i, all) => all.indexOf(c) !== i);
  if (!header || missing.length || unknown.length || repeated.length) {
    const why = [
      missing.length ? `missing ${missing.join(', ')}` : '',
      unknown.length ? `unknown ${unknown.join(', ')}` : '',
      repeated.length ? `repeated ${repeated.join(', ')}` : '',
    ].filter(Boolean);
    return { ok: false, faults: [{ line: 1, field: 'header', message: `the header must be ${CSV_COLUMNS.join(',')} (description optional): ${why.join('; ') || 'unreadable'}` }] };
  }
  const lines: StatementLine[] = [];
  rows.slice(1).forEach((row, i) => {
    const lineNo = i + 2;
    if (row.trim() === '' || faults.length >= MAX_FAULTS) return;
    const fields = csvFields(row);
    if (!fields) return void faults.push({ line: lineNo, field: 'line', message: 'unbalanced quotes' });
    if (fields.length !== header.length) return void faults.push({ line: lineNo, field: 'line', message: `${fields.length} fields where the header has ${header.length}` });
    const line = normaliseLine(Object.fromEntries(header.map((h, k) => [h, fields[k]])), lineNo, faults);
    if (line) lines.push(line);
  });
  return faults.length ? { ok: false, faults } : { ok: true, lines };
}

function parseJsonLines(content: string): ParsedStatement {
  const faults: LineFault[] = [];
  const lines: StatementLine[] = [];
  physicalLines(content).forEach((row, i) => {
    const lineNo = i + 1;
    if (row.trim() === '' || faults.length >= MAX_FAULTS) return;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch {
      return void faults.push({ line: lineNo, field: 'line', message: 'not a JSON object' });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return void faults.push({ line: lineNo, field: 'line', message: 'not a JSON object' });
    const unknown = Object.keys(value).filter((k) => !(CSV_COLUMNS as readonly string[]).includes(k));
    for (const k of unknown) faults.push({ line: lineNo, field: k, message: 'unknown field' });
    const line = normaliseLine(value as Record<string, unknown>, lineNo, faults);
    if (line && unknown.length === 0) lines.push(line);
  });
  return faults.length ? { ok: false, faults } : { ok: true, lines };
}

export function parseStatement(format: StatementFormat, content: string): ParsedStatement {
  return format === 'csv' ? parseCsv(content) : parseJsonLines(content);
}

/** sha-256 of the lines in canonical order: the same lines in any order or format are one statement. */
export function statementDigest(lines: readonly StatementLine[]): string {
  const canonical = [...lines].sort(compareLines).map((l) => [l.reference, l.kind, l.amount, l.currency, l.date, l.description ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export type StatementRow = typeof statements.$inferSelect;

/** Stores the statement once: `created` false when the same lines were posted before for the period. */
export async function storeStatement(
  db: Db,
  input: { agreementId: string; period: string; format: StatementFormat; lines: StatementLine[]; submittedBy: string },
): Promise<{ statement: StatementRow; created: boolean }> {
  const digest = statementDigest(input.lines);
  const [inserted] = await db
    .insert(statements)
    .values({ id: randomUUID(), agreementId: input.agreementId, period: input.period, digest, format: input.format, lines: input.lines, submittedBy: input.submittedBy })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { statement: inserted, created: true };
  const [existing] = await db
    .select()
    .from(statements)
    .where(and(eq(statements.agreementId, input.agreementId), eq(statements.period, input.period), eq(statements.digest, digest)));
  return { statement: existing!, created: false };
}

export async function listStatements(db: Db, filter: { agreementId: string; period?: string }): Promise<StatementRow[]> {
  return db
    .select()
    .from(statements)
    .where(and(eq(statements.agreementId, filter.agreementId), filter.period ? eq(statements.period, filter.period) : undefined))
    .orderBy(desc(statements.createdAt), desc(statements.id));
}
