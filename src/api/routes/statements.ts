import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { agreements, statements } from '../../db/schema';
import { parsePeriod } from '../../domain/settlement-period';
import { listStatements, parseStatement, STATEMENT_FORMATS, storeStatement, type StatementRow } from '../../finance/statements';
import { settlementWorkflowId, statementReceived } from '../../../workflows/settlement/messages';
import { HttpProblem, PROBLEM_TYPE_BASE } from '../problem';
import { route } from '../route';

// R6.4, R6.5: counterparties' statements. Parsing and storing is src/finance/statements.ts;
// here the request is checked, the statement stored once, and the period's settlement
// run (if one is running) told to reconcile again.

const Uuid = z.uuid().transform((id) => id.toLowerCase());
const PeriodLabel = z.string().refine((p) => {
  try {
    parsePeriod(p);
    return true;
  } catch {
    return false;
  }
}, 'a period: YYYY-MM, YYYY-Qn or YYYY-Hn');

const StatementBody = z.strictObject({
  agreementId: Uuid,
  period: PeriodLabel,
  format: z.enum(STATEMENT_FORMATS),
  /** CSV with a header line, or one JSON object per line; see the README's line format. */
  content: z.string().max(900_000),
});

const StatementsQuery = z.strictObject({ agreementId: Uuid, period: PeriodLabel.optional() });

const statementJson = (s: StatementRow, withLines = true) => ({
  id: s.id,
  agreementId: s.agreementId,
  period: s.period,
  format: s.format,
  digest: s.digest,
  lineCount: s.lines.length,
  ...(withLines ? { lines: s.lines } : {}),
  submittedBy: s.submittedBy,
  createdAt: s.createdAt.toISOString(),
});

export function statementRoutes(deps: { db: Db; client: Client }) {
  const { db, client } = deps;

  /** The run for the period reconciles again; no run (or a finished one) is nothing to tell. */
  async function tellSettlement(agreementId: string, period: string, statementId: string) {
    try {
      await client.workflow.getHandle(settlementWorkflowId(agreementId, period)).signal(statementReceived, { statementId });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }

  return [
    route({
      method: 'post',
      path: '/v1/statements',
      tag: 'finance',
      summary: "A counterparty's statement for a period, CSV or JSON lines, in the common line format (R6.4, R6.5)",
      access: ['finance', 'carrier'],
      body: StatementBody,
      responses: {
        201: 'stored; the statement with its normalised lines',
        200: 'the same lines were posted before for the period: that statement',
        403: 'a carrier posting for an agreement that is not a carrier’s',
        422: 'unknown agreement, a period of another cycle, or bad lines (each named: content line N, field)',
      },
      async handler({ res, body, caller }) {
        const [agreement] = await db.select().from(agreements).where(eq(agreements.id, body.agreementId));
        if (!agreement) {
          throw new HttpProblem(422, 'Invalid request', `agreementId: no agreement ${body.agreementId}`, { errors: [{ field: 'agreementId', message: 'no such agreement' }] });
        }
        if (caller?.role === 'carrier' && agreement.counterpartyKind !== 'carrier') {
          throw new HttpProblem(403, 'Forbidden', 'carriers post statements for carrier agreements only');
        }
        if (parsePeriod(body.period).cycle !== agreement.cycle) {
          throw new HttpProblem(422, 'Invalid request', `period: the agreement settles ${agreement.cycle}`, {
            errors: [{ field: 'period', message: `not a ${agreement.cycle} period` }],
          });
        }
        const parsed = parseStatement(body.format, body.content);
        if (!parsed.ok) {
          const errors = parsed.faults.map((f) => ({ field: 'content', line: f.line, lineField: f.field, message: `line ${f.line}, ${f.field}: ${f.message}` }));
          throw new HttpProblem(422, 'Invalid statement', errors.map((e) => `content ${e.message}`).join('; '), { type: `${PROBLEM_TYPE_BASE}validation`, errors });
        }
        const { statement, created } = await storeStatement(db, {
          agreementId: agreement.id,
          period: body.period,
          format: body.format,
          lines: parsed.lines,
          submittedBy: `${caller!.role}:${caller!.keyId}`,
        });
        // Told on a repost too: harmless (reconciling is idempotent), and a way to nudge a run.
        await tellSettlement(agreement.id, body.period, statement.id);
        res.status(created ? 201 : 200).json(statementJson(statement));
      },
    }),

    route({
      method: 'get',
      path: '/v1/statements',
      tag: 'finance',
      summary: "An agreement's statements, newest first (lines left out: GET one for them)",
      access: ['finance'],
      query: StatementsQuery,
      responses: { 200: '{ data: [statement without lines] }' },
      async handler({ res, query }) {
        const rows = await listStatements(db, query);
        res.json({ data: rows.map((s) => statementJson(s, false)) });
      },
    }),

    route({
      method: 'get',
      path: '/v1/statements/:id',
      tag: 'finance',
      summary: 'One statement with its normalised lines',
      access: ['finance'],
      responses: { 200: 'the statement', 404: 'no such statement' },
      async handler({ res, params }) {
        const id = Uuid.safeParse(params.id);
        const [row] = id.success ? await db.select().from(statements).where(eq(statements.id, id.data)) : [];
        if (!row) throw new HttpProblem(404, 'Not found', `no statement ${params.id}`);
        res.json(statementJson(row));
      },
    }),
  ];
}
