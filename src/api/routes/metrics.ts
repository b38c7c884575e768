import { z } from 'zod';
import type { Db } from '../../db/client';
import { satisfactionFacts } from '../../metrics/satisfaction-query';
import { SATISFACTION_GROUPINGS, satisfactionMetrics, type SatisfactionGroup } from '../../metrics/satisfaction';
import { HttpProblem } from '../problem';
import { route } from '../route';

// Satisfaction metrics (R5.5) over the orders placed in a window, and the orders behind
// each figure. The arithmetic is src/metrics/satisfaction.ts; this file parses and renders.
// What is done about poor figures is recorded as improvements (R5.6, /v1/improvements).

const READERS = ['operator', 'finance'] as const;

const DateOrInstant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], 'a date (YYYY-MM-DD) or an ISO 8601 time')
  .refine((v) => !Number.isNaN(Date.parse(v)), 'a real date or time');

const windowFields = {
  from: DateOrInstant.optional(),
  to: DateOrInstant.optional(),
  groupBy: z.enum(SATISFACTION_GROUPINGS).default('carrier'),
};
const refineWindow = (q: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
};

export const SatisfactionQuery = z.strictObject(windowFields).superRefine(refineWindow);
export const SatisfactionOrdersQuery = z.strictObject({ ...windowFields, group: z.string().min(1).max(200) }).superRefine(refineWindow);

const round = (x: number | null, places: number) => (x === null ? null : Math.round(x * 10 ** places) / 10 ** places);

function groupJson(g: SatisfactionGroup, link: string) {
  return {
    ...g,
    ratings: Object.fromEntries(Object.entries(g.ratings).map(([d, r]) => [d, { mean: round(r.mean, 2), count: r.count }])),
    onTimeDelivery: { ...g.onTimeDelivery, rate: round(g.onTimeDelivery.rate, 4) },
    dispatchOnTime: { ...g.dispatchOnTime, rate: round(g.dispatchOnTime.rate, 4) },
    orderIds: link,
  };
}

export function metricsRoutes(deps: { db: Db }) {
  const { db } = deps;

  return [
    route({
      method: 'get',
      path: '/v1/metrics/satisfaction',
      tag: 'metrics',
      summary: 'Satisfaction per carrier, region, channel or warehouse over the orders placed in a window (R5.5)',
      access: READERS,
      query: SatisfactionQuery,
      responses: {
        200: '{ groupBy, from, to, groups: [{ key, orders, ratings, onTimeDelivery, dispatchOnTime, resolution, orderIds }], improvements }',
      },
      async handler({ res, query }) {
        const facts = await satisfactionFacts(db, query);
        const groups = satisfactionMetrics(facts, query.groupBy, new Date());
        const params = (group: string) =>
          new URLSearchParams({ ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}), groupBy: query.groupBy, group }).toString();
        res.json({
          groupBy: query.groupBy,
          from: query.from ?? null,
          to: query.to ?? null,
          groups: groups.map(({ group }) => groupJson(group, `/v1/metrics/satisfaction/orders?${params(group.key)}`)),
          // R5.6: the measures taken against what these figures show.
          improvements: '/v1/improvements',
        });
      },
    }),

    route({
      method: 'get',
      path: '/v1/metrics/satisfaction/orders',
      tag: 'metrics',
      summary: 'The orders behind each satisfaction figure of one group',
      access: READERS,
      query: SatisfactionOrdersQuery,
      responses: {
        200: '{ groupBy, group, orders: { ratings, onTimeDelivery: { onTime, late }, dispatchOnTime: { onTime, late }, resolution: { resolved, unresolved } } }',
        404: 'no such group among the orders of the window',
      },
      async handler({ res, query }) {
        const facts = await satisfactionFacts(db, query);
        const found = satisfactionMetrics(facts, query.groupBy, new Date()).find(({ group }) => group.key === query.group);
        if (!found) throw new HttpProblem(404, 'Not found', `no ${query.groupBy} ${query.group} among the orders placed in that window`);
        res.json({ groupBy: query.groupBy, group: query.group, from: query.from ?? null, to: query.to ?? null, orders: found.trace });
      },
    }),
  ];
}
