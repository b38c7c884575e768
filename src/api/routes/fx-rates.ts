import { and, desc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { fxRates } from '../../db/schema';
import { formatRate, FxError, parseRate } from '../../domain/fx';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { KnownCurrency } from './agreements';

// R6.3: exchange rates finance records; postJournal converts at the one in force at each
// entry (src/finance/settlement-terms.ts). A rate is an exact decimal string, kept in its
// shortest exact form ("1.50" is stored as "1.5"): no float ever holds it.

const FxRateBody = z
  .strictObject({
    base: KnownCurrency,
    quote: KnownCurrency,
    rate: z.string().transform((text, ctx) => {
      try {
        return formatRate(parseRate(text.trim()));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: err instanceof FxError ? err.message : 'not a decimal rate' });
        return z.NEVER;
      }
    }),
    source: z.string().trim().min(1).max(200),
    asOf: z.iso.datetime({ offset: true }).transform((t) => new Date(t)),
  })
  .refine((b) => b.base !== b.quote, { path: ['quote'], message: 'must differ from base' });

const FxRateQuery = z.strictObject({
  base: z.string().regex(/^[A-Z]{3}$/).optional(),
  quote: z.string().regex(/^[A-Z]{3}$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const rateJson = (r: typeof fxRates.$inferSelect) => ({
  id: r.id,
  base: r.base,
  quote: r.quote,
  rate: r.rate,
  source: r.source,
  asOf: r.asOf.toISOString(),
  createdAt: r.createdAt.toISOString(),
});

export function fxRateRoutes(deps: { db: Db }) {
  const { db } = deps;
  return [
    route({
      method: 'post',
      path: '/v1/fx-rates',
      tag: 'finance',
      summary: 'Record an exchange rate: 1 base = rate quote, in force from asOf (R6.3)',
      access: ['finance'],
      body: FxRateBody,
      responses: {
        201: 'recorded',
        200: 'the same rate for the same pair and moment again',
        409: 'the pair already has another rate at that moment',
        422: 'invalid, naming the field (rate: an exact decimal)',
      },
      async handler({ res, body }) {
        const [inserted] = await db.insert(fxRates).values(body).onConflictDoNothing().returning();
        if (inserted) return void res.status(201).json(rateJson(inserted));
        const [existing] = await db
          .select()
          .from(fxRates)
          .where(and(eq(fxRates.base, body.base), eq(fxRates.quote, body.quote), eq(fxRates.asOf, body.asOf)));
        if (!existing) throw new Error('fx rate neither inserted nor found');
        // Compared exactly, as rationals: "1.5" and "1.50" are the same rate.
        const a = parseRate(existing.rate);
        const b = parseRate(body.rate);
        const same = a.units * 10n ** BigInt(b.scale) === b.units * 10n ** BigInt(a.scale);
        if (!same) {
          throw new HttpProblem(409, 'Conflict', `${body.base}/${body.quote} at ${body.asOf.toISOString()} is already ${existing.rate}`, {
            errors: [{ field: 'rate', message: `already ${existing.rate} for this pair and asOf` }],
          });
        }
        res.status(200).json(rateJson(existing));
      },
    }),

    route({
      method: 'get',
      path: '/v1/fx-rates',
      tag: 'finance',
      summary: 'Recorded exchange rates, newest first',
      access: ['finance'],
      query: FxRateQuery,
      responses: { 200: '{ data: [rate] }' },
      async handler({ res, query }) {
        const where: SQL[] = [];
        if (query.base) where.push(eq(fxRates.base, query.base));
        if (query.quote) where.push(eq(fxRates.quote, query.quote));
        const rows = await db
          .select()
          .from(fxRates)
          .where(and(...where))
          .orderBy(desc(fxRates.asOf), desc(fxRates.id))
          .limit(query.limit);
        res.json({ data: rows.map(rateJson) });
      },
    }),
  ];
}
