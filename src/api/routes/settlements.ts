import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { discrepancies, settlements } from '../../db/schema';
import { RESOLUTION_ACTIONS } from '../../domain/reconciliation-lines';
import { PeriodError, parsePeriod, periodBounds } from '../../domain/settlement-period';
import { findAgreement } from '../../finance/agreements';
import { LATE, withinTime } from '../../temporal/within-time';
import { SETTLEMENT_WORKFLOW_TYPE, resolveDiscrepancy, settlementWorkflowId, type SettlementWorkflowInput } from '../../../workflows/settlement/messages';
import { ResolutionRejection } from '../../../workflows/settlement/rejections';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { MinorUnits } from '../schemas';

// R6.6–R6.9 over HTTP: finance runs (or re-runs) a settlement now, follows it, and
// decides its discrepancies. The run is the workflow settlement-{agreementId}-{period};
// its figures are the settlements and discrepancies rows its activities write.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuid = z.string().regex(UUID, 'a UUID');

const SettlementBody = z.strictObject({
  agreementId: uuid,
  period: z.string().min(1).max(20),
  /**
   * Settle a period that has begun but not ended: for a counterparty whose business in
   * the period is done (an agreement ending, an audit rehearsal). What is posted for the
   * period after the run is not in it: the run, like any other, happens once.
   */
  closeEarly: z.boolean().optional(),
});

const SettlementQuery = z.strictObject({
  agreementId: uuid.optional(),
  status: z.enum(['running', 'awaiting_decisions', 'settled']).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const ResolutionBody = z.strictObject({
  action: z.enum(RESOLUTION_ACTIONS),
  amount: MinorUnits.optional(),
  note: z.string().trim().min(1).max(1000),
});

type SettlementRow = typeof settlements.$inferSelect;
type DiscrepancyRow = typeof discrepancies.$inferSelect;

const url = (id: string) => `/v1/settlements/${encodeURIComponent(id)}`;

const discrepancyJson = (d: DiscrepancyRow) => ({
  id: d.id,
  kind: d.kind,
  reference: d.reference,
  orderId: d.orderId,
  ours: d.ours ?? null,
  theirs: d.theirs ?? null,
  difference: d.difference,
  currency: d.currency,
  likelyCause: d.likelyCause,
  status: d.status,
  resolution: d.resolution ?? null,
});

const settlementJson = (s: SettlementRow) => ({
  id: s.id,
  url: url(s.id),
  agreementId: s.agreementId,
  period: s.period,
  periodStart: s.periodStart.toISOString(),
  periodEnd: s.periodEnd.toISOString(),
  status: s.status,
  summary: s.summary,
  startedAt: s.startedAt.toISOString(),
  settledAt: s.settledAt?.toISOString() ?? null,
});

const periodProblem = (message: string) => new HttpProblem(422, 'Invalid request', `period: ${message}`, { errors: [{ field: 'period', message }] });

export function settlementRoutes(deps: { db: Db; client: Client; financeTaskQueue: string; decisionWaitMs: number; answerTimeoutMs?: number }) {
  const { db, client } = deps;

  const discrepanciesOf = (settlementId: string) =>
    db.select().from(discrepancies).where(eq(discrepancies.settlementId, settlementId)).orderBy(asc(discrepancies.createdAt), asc(discrepancies.id));

  return [
    route({
      method: 'post',
      path: '/v1/settlements',
      tag: 'finance',
      summary: "Run an agreement's settlement for an ended period now, or find the run already made (one run per agreement and period)",
      access: ['finance'],
      body: SettlementBody,
      responses: { 202: '{ id, url, started }: started now, or found running or settled', 422: 'unknown agreement, or a period that is not one of its cycle or has not ended' },
      async handler({ res, body }) {
        const agreement = await findAgreement(db, body.agreementId);
        if (!agreement) throw new HttpProblem(422, 'Invalid request', `agreementId: no agreement ${body.agreementId}`, { errors: [{ field: 'agreementId', message: 'no such agreement' }] });
        let period;
        try {
          period = parsePeriod(body.period);
        } catch (err) {
          if (err instanceof PeriodError) throw periodProblem(err.message);
          throw err;
        }
        if (period.cycle !== agreement.cycle) throw periodProblem(`the agreement settles ${agreement.cycle}: a ${period.cycle} period does not fit`);
        const { start, end } = periodBounds(period.label, agreement.timeZone);
        if (start.getTime() > Date.now()) throw periodProblem(`${period.label} has not begun yet (it begins ${start.toISOString()})`);
        if (end.getTime() > Date.now() && !body.closeEarly) {
          throw periodProblem(`${period.label} has not ended yet (it ends ${end.toISOString()}); send "closeEarly": true to settle it as it stands`);
        }

        const id = settlementWorkflowId(agreement.id, period.label);
        const input: SettlementWorkflowInput = { agreementId: agreement.id, period: period.label, decisionWaitMs: deps.decisionWaitMs };
        let started = true;
        try {
          await client.workflow.start(SETTLEMENT_WORKFLOW_TYPE, {
            workflowId: id,
            taskQueue: deps.financeTaskQueue,
            args: [input],
            // Running or settled: that run is the answer. A failed or terminated run starts again.
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          started = false;
        }
        res.status(202).location(url(id)).json({ id, url: url(id), agreementId: agreement.id, period: period.label, started });
      },
    }),

    route({
      method: 'get',
      path: '/v1/settlements',
      tag: 'finance',
      summary: 'Settlement runs, newest first, by agreement and status',
      access: ['finance'],
      query: SettlementQuery,
      responses: { 200: '{ data: [settlement] }' },
      async handler({ res, query }) {
        const where: SQL[] = [];
        if (query.agreementId) where.push(eq(settlements.agreementId, query.agreementId));
        if (query.status) where.push(eq(settlements.status, query.status));
        const rows = await db
          .select()
          .from(settlements)
          .where(and(...where))
          .orderBy(desc(settlements.startedAt), desc(settlements.id))
          .limit(query.limit);
        res.json({ data: rows.map(settlementJson) });
      },
    }),

    route({
      method: 'get',
      path: '/v1/settlements/:id',
      tag: 'finance',
      summary: 'One settlement run: status, period and bounds, figures, discrepancies and their resolutions',
      access: ['finance'],
      responses: { 200: 'the run', 404: 'no such run' },
      async handler({ res, params }) {
        const id = params.id!;
        const [row] = await db.select().from(settlements).where(eq(settlements.id, id));
        if (row) return void res.json({ ...settlementJson(row), discrepancies: (await discrepanciesOf(id)).map(discrepancyJson) });
        // Started a moment ago, its row not yet written: the workflow vouches for it.
        const match = /^settlement-([0-9a-f-]{36})-(.+)$/i.exec(id);
        const agreement = match && UUID.test(match[1]!) ? await findAgreement(db, match[1]!) : undefined;
        if (agreement && (await client.workflow.getHandle(id).describe().then(() => true, () => false))) {
          const { start, end } = periodBounds(match![2]!, agreement.timeZone);
          return void res.json({
            id,
            url: url(id),
            agreementId: agreement.id,
            period: match![2],
            periodStart: start.toISOString(),
            periodEnd: end.toISOString(),
            status: 'running',
            summary: {},
            discrepancies: [],
          });
        }
        throw new HttpProblem(404, 'Not found', `no settlement ${id}`);
      },
    }),

    route({
      method: 'post',
      path: '/v1/settlements/:id/discrepancies/:did/resolution',
      tag: 'finance',
      summary: "Finance's decision on one discrepancy (adjust, reship, return, write_off), carried out by the run",
      access: ['finance'],
      body: ResolutionBody,
      responses: {
        200: 'the discrepancy, resolved; a reship or return shows `resolution.carriedOut` (the order workflow run doing it, and how it stands)',
        404: 'no such run or discrepancy',
        409: 'already resolved, the run has ended, or the order cannot take a reship / return (cancelled, refunded)',
        422: 'invalid decision, naming the field (a reship or return on a discrepancy with no order)',
      },
      async handler({ res, params, body, caller }) {
        const id = params.id!;
        const did = params.did!;
        const find = async () => (UUID.test(did) ? (await db.select().from(discrepancies).where(and(eq(discrepancies.id, did), eq(discrepancies.settlementId, id))))[0] : undefined);
        const before = await find();
        if (!before) throw new HttpProblem(404, 'Not found', `no discrepancy ${did} in settlement ${id}`);
        if (before.status !== 'open') throw new HttpProblem(409, 'Conflict', `discrepancy ${did} is already ${before.status}`, { discrepancy: discrepancyJson(before) });
        // A reship or a return runs through the order's workflow: a line we could not match to an order has none.
        if ((body.action === 'reship' || body.action === 'return') && !before.orderId) throw needsOrder(body.action, before);

        const resolution = { action: body.action, ...(body.amount !== undefined ? { amount: body.amount } : {}), note: body.note, decidedBy: `${caller!.role}:${caller!.keyId}` };
        let answer;
        try {
          answer = await withinTime(
            client.workflow.getHandle(id).executeUpdate(resolveDiscrepancy, { args: [{ discrepancyId: did, resolution }] }),
            deps.answerTimeoutMs ?? 15_000,
          );
        } catch (err) {
          throw resolutionProblem(err, id, did);
        }
        if (answer === LATE) {
          throw new HttpProblem(503, 'Settlement busy', 'the run did not answer in time; the decision may still be carried out, send it again to find out', { retryAfterSeconds: 5 });
        }
        res.json(discrepancyJson((await find())!));
      },
    }),
  ];
}

function needsOrder(action: string, d: DiscrepancyRow): HttpProblem {
  const message = `${action} is carried out through the order's own workflow, and discrepancy ${d.id} (${d.reference}) names no order (orderId is null): adjust or write it off instead`;
  return new HttpProblem(422, 'Not acceptable for this discrepancy', message, { errors: [{ field: 'action', message }], discrepancy: discrepancyJson(d) });
}

function resolutionProblem(err: unknown, id: string, did: string): unknown {
  if (err instanceof WorkflowUpdateFailedError) {
    // Refused by the validator (an ApplicationFailure), or the activity carrying it out failed for good.
    const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === ResolutionRejection.Unknown || cause.type === 'DiscrepancyMissing') return new HttpProblem(404, 'Not found', cause.message);
      if (cause.type === ResolutionRejection.AlreadyResolved) return new HttpProblem(409, 'Conflict', cause.message);
      if (cause.type === 'ResolutionNeedsOrder') return new HttpProblem(422, 'Not acceptable for this discrepancy', cause.message, { errors: [{ field: 'action', message: cause.message }] });
      if (cause.type === 'AftercareRefused') return new HttpProblem(409, 'Conflict', cause.message, { errors: [{ field: 'action', message: cause.message }] });
      if (cause.type === 'InvalidResolution') return new HttpProblem(422, 'Not acceptable for this discrepancy', cause.message, { errors: [{ field: 'amount', message: cause.message }] });
    }
    return new HttpProblem(503, 'Not recorded', cause?.message ?? err.message, { retryAfterSeconds: 5 });
  }
  if (err instanceof WorkflowNotFoundError || (err instanceof Error && /workflow execution already completed/i.test(err.message))) {
    return new HttpProblem(409, 'Conflict', `settlement ${id} has ended and takes no more decisions (discrepancy ${did})`);
  }
  return err;
}
