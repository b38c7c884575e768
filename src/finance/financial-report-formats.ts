import { minorDigits } from '../domain/money';
import { FIGURES, type Figure, type FinancialReport } from './financial-report';

// The financial report as JSON (minor units beside the currency, as every amount in the
// API), CSV (one row per counterparty, exact decimals in major units) and a printable
// HTML page. Rendering only: the figures are financial-report.ts's.

export interface ReportHeading {
  /** "2026-11", or null for a from/to range. */
  label: string | null;
  from: string | null;
  to: string | null;
  counterparty: string | null;
}

const CSV_NAMES: Record<Figure, string> = {
  revenue: 'revenue',
  receivables: 'receivables',
  collected: 'collected',
  settled: 'settled',
  adjustments: 'adjustments',
  refunds: 'refunds',
  compensation: 'compensation',
  carrierCharges: 'carrier_charges',
  writeOffs: 'write_offs',
  purchases: 'purchases',
};

const TITLES: Record<Figure, string> = {
  revenue: 'Revenue',
  receivables: 'Receivables',
  collected: 'Collected',
  settled: 'Settled',
  adjustments: 'Adjustments',
  refunds: 'Refunds',
  compensation: 'Compensation',
  carrierCharges: 'Carrier charges',
  writeOffs: 'Write-offs',
  purchases: 'Purchases',
};

/** 12345 EUR → "123.45"; 500 JPY → "500"; -1234 BHD → "-1.234". Exact, no float. */
export function majorUnits(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const text = Math.abs(amount).toString();
  if (digits === 0) return sign + text;
  const padded = text.padStart(digits + 1, '0');
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

export function reportJson(report: FinancialReport, heading: ReportHeading) {
  const money = (figures: Record<Figure, number>, currency: string) =>
    Object.fromEntries(FIGURES.map((f) => [f, { amount: figures[f], currency }])) as Record<Figure, { amount: number; currency: string }>;
  return {
    period: { label: heading.label, from: heading.from, to: heading.to },
    counterparty: heading.counterparty,
    counterparties: report.lines.map((l) => ({
      counterparty: l.counterparty,
      currency: l.currency,
      timeZone: l.window.timeZone,
      start: l.window.start.toISOString(),
      end: l.window.end.toISOString(),
      entries: l.entries,
      ...money(l.figures, l.currency),
    })),
    totals: report.totals.map((t) => ({ currency: t.currency, counterparties: t.counterparties, ...money(t.figures, t.currency) })),
  };
}

/** RFC 4180 field; text a spreadsheet would run as a formula is defused with a quote mark. */
function csvField(value: string, text = true): string {
  const safe = text && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(report: FinancialReport): string {
  const header = ['counterparty_kind', 'counterparty_id', 'currency', 'time_zone', 'period_start', 'period_end', ...FIGURES.map((f) => CSV_NAMES[f])];
  const rows = report.lines.map((l) => [
    csvField(l.counterparty.kind),
    csvField(l.counterparty.id),
    csvField(l.currency),
    csvField(l.window.timeZone),
    l.window.start.toISOString(),
    l.window.end.toISOString(),
    ...FIGURES.map((f) => csvField(majorUnits(l.figures[f], l.currency), false)),
  ]);
  return [header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function reportHtml(report: FinancialReport, heading: ReportHeading, generatedAt: Date): string {
  const period = heading.label ?? `${heading.from} to ${heading.to}`;
  const title = `Financial report ${period}${heading.counterparty ? ` — ${heading.counterparty}` : ''}`;
  const amountCells = (figures: Record<Figure, number>, currency: string) =>
    FIGURES.map((f) => `<td class="num">${escapeHtml(majorUnits(figures[f], currency))}</td>`).join('');
  const body = report.lines
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.counterparty.kind)}</td><td>${escapeHtml(l.counterparty.id)}</td><td>${escapeHtml(l.currency)}</td>` +
        `<td>${escapeHtml(l.window.timeZone)}</td>${amountCells(l.figures, l.currency)}</tr>`,
    )
    .join('\n');
  const totals = report.totals
    .map((t) => `<tr class="total"><th colspan="2">Total (${t.counterparties})</th><th>${escapeHtml(t.currency)}</th><td></td>${amountCells(t.figures, t.currency)}</tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 12px/1.4 system-ui, sans-serif; margin: 2em; color: #111; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid #ccc; padding: 4px 6px; text-align: left; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  tr.total th, tr.total td { border-top: 2px solid #111; font-weight: bold; }
  @media print {
    @page { size: A4 landscape; margin: 12mm; }
    body { margin: 0; font-size: 9pt; }
    thead { display: table-header-group; }
    tr { break-inside: avoid; }
  }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Amounts in each counterparty's settlement currency, major units; periods in each agreement's time zone (UTC without one). Generated ${escapeHtml(generatedAt.toISOString())}.</p>
<table>
<thead><tr><th>Kind</th><th>Counterparty</th><th>Currency</th><th>Time zone</th>${FIGURES.map((f) => `<th>${TITLES[f]}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody>
<tfoot>
${totals}
</tfoot>
</table>
</body>
</html>
`;
}
