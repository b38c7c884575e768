import { z } from 'zod';
import type { Db } from '../../db/client';
import type { CounterpartyKind } from '../../db/schema';
import { parsePeriod } from '../../domain/settlement-period';
import { reportCsv, reportHtml, reportJson, type ReportHeading } from '../../finance/financial-report-formats';
import { financialReport, type ReportWindow } from '../../finance/financial-report-query';
import { HttpProblem } from '../problem';
import { route } from '../route';

// R6.10: the financial report over HTTP. What each figure means is
// src/finance/financial-report.ts; this file parses the question and picks the format.

const COUNTERPARTY = /^(customer|partner|carrier|supplier):(.{1,200})$/s;

const calendarDate = z.iso.date('a calendar date, YYYY-MM-DD');

export const FinancialReportQuery = z
  .strictObject({
    period: z
      .string()
      .max(16)
      .refine((label) => {
        try {
          parsePeriod(label);
          return true;
        } catch {
          return false;
        }
      }, 'a period label: YYYY-MM, YYYY-Qn or YYYY-Hn')
      .optional(),
    from: calendarDate.optional(),
    to: calendarDate.optional(),
    counterparty: z
      .string()
      .regex(COUNTERPARTY, 'kind:id, kind one of customer, partner, carrier, supplier')
      .transform((text) => {
        const [, kind, id] = COUNTERPARTY.exec(text)!;
        return { kind: kind as CounterpartyKind, id: id! };
      })
      .optional(),
  })
  .superRefine((q, ctx) => {
    const range = q.from !== undefined || q.to !== undefined;
    if (q.period !== undefined && range) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: 'either period or from/to, not both' });
    } else if (q.period === undefined && !range) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: 'a period label (YYYY-MM, YYYY-Qn, YYYY-Hn) or from and to dates' });
    } else if (range) {
      if (q.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from and to go together' });
      if (q.to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'from and to go together' });
      if (q.from !== undefined && q.to !== undefined && q.from > q.to) {
        ctx.addIssue({ code: 'custom', path: ['to'], message: 'to is before from' });
      }
    }
  });

const FORMATS = ['application/json', 'text/csv', 'text/html'] as const;

export function reportRoutes(deps: { db: Db }) {
  return [
    route({
      method: 'get',
      path: '/v1/reports/financial',
      tag: 'finance',
      summary:
        'Financial report per counterparty in its settlement currency (R6.10): revenue, receivables, collected, settled, adjustments, refunds, compensation, carrier charges, write-offs; JSON, CSV (Accept: text/csv) or printable HTML (Accept: text/html)',
      access: ['finance'],
      query: FinancialReportQuery,
      responses: {
        200: '{ period, counterparty, counterparties: [{ counterparty, currency, timeZone, start, end, revenue: {amount, currency}, … }], totals: [per currency] }',
        406: 'none of JSON, CSV, HTML acceptable',
        422: 'a bad period, dates or counterparty',
      },
      async handler({ req, res, query }) {
        const format = req.accepts([...FORMATS]);
        if (!format) throw new HttpProblem(406, 'Not acceptable', `the report is available as ${FORMATS.join(', ')}`);
        const window: ReportWindow = query.period !== undefined ? { label: query.period } : { from: query.from!, to: query.to! };
        const report = await financialReport(deps.db, window, query.counterparty);
        const heading: ReportHeading = {
          label: query.period ?? null,
          from: query.from ?? null,
          to: query.to ?? null,
          counterparty: query.counterparty ? `${query.counterparty.kind}:${query.counterparty.id}` : null,
        };
        res.vary('Accept');
        if (format === 'text/csv') {
          const name = `financial-report-${(heading.label ?? `${heading.from}_${heading.to}`).replace(/[^0-9A-Za-z_-]/g, '')}.csv`;
          res.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${name}"`).send(reportCsv(report));
        } else if (format === 'text/html') {
          res
            .type('text/html; charset=utf-8')
            .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
            .send(reportHtml(report, heading, new Date()));
        } else {
          res.json(reportJson(report, heading));
        }
      },
    }),
  ];
}
