import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { COUNTERPARTY_KINDS } from '../../db/schema';
import { SETTLEMENT_METHODS } from '../../domain/order-status';
import { SETTLEMENT_CYCLES } from '../../domain/settlement-cycle';
import { isValidTimeZone } from '../../domain/settlement-period';
import { agreementJson, findAgreement, listAgreements, noteSchedule, recordAgreement, settlementDayOf, type AgreementRow } from '../../finance/agreements';
import { describeSettlementSchedule, ensureSettlementSchedule, settlementScheduleId, triggerSettlementSchedule } from '../../temporal/settlement-schedules';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { MinorUnits } from '../schemas';

// R6.2: agreements, and the Schedule each one gets (src/temporal/settlement-schedules.ts).

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
/** An ISO 4217 code this runtime knows (and so knows its minor unit). */
export const KnownCurrency = z.string().refine((c) => /^[A-Z]{3}$/.test(c) && KNOWN_CURRENCIES.has(c), 'an ISO 4217 currency code we know, such as EUR');

const AgreementBody = z.strictObject({
  counterparty: z.strictObject({
    kind: z.enum(COUNTERPARTY_KINDS),
    id: z.string().trim().min(1).max(100),
  }),
  method: z.enum(SETTLEMENT_METHODS),
  cycle: z.enum(SETTLEMENT_CYCLES),
  settlementDay: z.union([z.number().int().min(1).max(28), z.literal('last')], { error: 'a day of the month from 1 to 28, or "last"' }),
  settlementCurrency: KnownCurrency,
  timeZone: z.string().refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin'),
  tolerance: MinorUnits.default(0),
});

const AgreementQuery = z.strictObject({
  counterpartyKind: z.enum(COUNTERPARTY_KINDS).optional(),
  counterpartyId: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function agreementRoutes(deps: { db: Db; client: Client; financeTaskQueue: string; decisionWaitMs: number }) {
  const { db, client } = deps;

  const schedule = async (agreement: AgreementRow) => {
    const scheduleId = await ensureSettlementSchedule(
      client,
      { id: agreement.id, cycle: agreement.cycle, settlementDay: settlementDayOf(agreement), timeZone: agreement.timeZone },
      { taskQueue: deps.financeTaskQueue, decisionWaitMs: deps.decisionWaitMs },
    );
    if (agreement.scheduleId !== scheduleId) await noteSchedule(db, agreement.id, scheduleId);
    return scheduleId;
  };

  const load = async (id: string) => {
    const agreement = UUID.test(id) ? await findAgreement(db, id) : undefined;
    if (!agreement) throw new HttpProblem(404, 'Not found', `no agreement ${id}`);
    return agreement;
  };

  return [
    route({
      method: 'post',
      path: '/v1/agreements',
      tag: 'finance',
      summary: 'Agree settlement terms with a counterparty (one agreement each); its Schedule is created with it',
      access: ['finance'],
      body: AgreementBody,
      responses: {
        201: 'the agreement, with its Schedule',
        200: 'the same terms again: the same agreement',
        409: 'the counterparty has an agreement with other terms',
        422: 'invalid terms, naming the field',
      },
      async handler({ res, body }) {
        const outcome = await recordAgreement(db, { ...body, tolerance: body.tolerance });
        if (outcome.kind === 'conflict') {
          throw new HttpProblem(409, 'Conflict', `${body.counterparty.kind} ${body.counterparty.id} already has agreement ${outcome.agreement.id} with other terms`, {
            errors: [{ field: 'counterparty', message: `already has agreement ${outcome.agreement.id}` }],
            agreementId: outcome.agreement.id,
          });
        }
        // Also on a repeat: a POST that created the row but not the Schedule is completed by its retry.
        const scheduleId = await schedule(outcome.agreement);
        res
          .status(outcome.kind === 'created' ? 201 : 200)
          .location(`/v1/agreements/${outcome.agreement.id}`)
          .json({ ...agreementJson(outcome.agreement), schedule: { id: scheduleId } });
      },
    }),

    route({
      method: 'get',
      path: '/v1/agreements',
      tag: 'finance',
      summary: 'Agreements, optionally of one counterparty',
      access: ['finance'],
      query: AgreementQuery,
      responses: { 200: '{ data: [agreement] }' },
      async handler({ res, query }) {
        const rows = await listAgreements(db, query);
        res.json({ data: rows.map((r) => ({ ...agreementJson(r), schedule: { id: r.scheduleId } })) });
      },
    }),

    route({
      method: 'get',
      path: '/v1/agreements/:id',
      tag: 'finance',
      summary: 'One agreement, with its Schedule and the next times it fires',
      access: ['finance'],
      responses: { 200: 'the agreement and its schedule { id, timeZone, overlap, nextRunTimes, recentRuns }', 404: 'no such agreement' },
      async handler({ res, params }) {
        const agreement = await load(params.id!);
        const scheduleId = agreement.scheduleId ?? settlementScheduleId(agreement.id);
        const described = await describeSettlementSchedule(client, scheduleId);
        res.json({ ...agreementJson(agreement), schedule: described ?? { id: scheduleId, missing: true } });
      },
    }),

    route({
      method: 'post',
      path: '/v1/agreements/:id/schedule/trigger',
      tag: 'finance',
      summary: "Fire the agreement's Schedule now: the run of the period just ended starts (or is found)",
      access: ['finance'],
      responses: { 202: 'fired; the launcher starts the run', 404: 'no such agreement' },
      async handler({ res, params }) {
        const agreement = await load(params.id!);
        let scheduleId = agreement.scheduleId ?? settlementScheduleId(agreement.id);
        // A Schedule lost (deleted by hand, a POST cut short) is made again first.
        if (!(await triggerSettlementSchedule(client, scheduleId))) {
          scheduleId = await schedule(agreement);
          await triggerSettlementSchedule(client, scheduleId);
        }
        res.status(202).json({ scheduleId, triggered: true });
      },
    }),
  ];
}
