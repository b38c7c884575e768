import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreements, type CounterpartyKind } from '../../src/db/schema';
import { SETTLEMENT_WORKFLOW_TYPE, settlementWorkflowId } from '../../workflows/settlement/messages';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// R6.4, R6.5 through the HTTP API: counterparties' statements in CSV or JSON lines,
// normalised into the common line format exactly, stored once, refused line by line,
// and announced to the period's settlement run.

const PERIOD = '2026-11';
const finance = { key: TEST_KEYS.finance };

const CSV = [
  'reference,kind,amount,currency,date,description',
  'OF-1000001,sale,12.30,EUR,2026-11-03,"Tea, oolong ""first flush"""',
  'OF-1000001,refund,5,EUR,2026-11-04,',
  'PAY-77,payment,1500,JPY,2026-11-05,',
  ' OF-1000002 , cod_collected , 0.07 , EUR , 2026-11-30 , door ',
  '',
].join('\r\n');

const NORMALISED = [
  { reference: 'OF-1000001', kind: 'sale', amount: 1230, currency: 'EUR', date: '2026-11-03', description: 'Tea, oolong "first flush"' },
  { reference: 'OF-1000001', kind: 'refund', amount: 500, currency: 'EUR', date: '2026-11-04' },
  { reference: 'PAY-77', kind: 'payment', amount: 1500, currency: 'JPY', date: '2026-11-05' },
  { reference: 'OF-1000002', kind: 'cod_collected', amount: 7, currency: 'EUR', date: '2026-11-30', description: 'door' },
];

/** The same lines as JSON lines, in another order. */
const JSONL = [
  '{"reference":"PAY-77","kind":"payment","amount":"1500","currency":"JPY","date":"2026-11-05"}',
  '{"reference":"OF-1000002","kind":"cod_collected","amount":"0.07","currency":"EUR","date":"2026-11-30","description":"door"}',
  '{"reference":"OF-1000001","kind":"sale","amount":"12.3","currency":"EUR","date":"2026-11-03","description":"Tea, oolong \\"first flush\\""}',
  '{"reference":"OF-1000001","kind":"refund","amount":"5.00","currency":"EUR","date":"2026-11-04"}',
].join('\n');

describe('statements API', () => {
  let stack: TestStack;
  let partner: string;
  let carrier: string;

  async function agreement(kind: CounterpartyKind, cycle: 'monthly' | 'quarterly' = 'monthly') {
    const id = randomUUID();
    await stack.db.insert(agreements).values({
      id,
      counterpartyKind: kind,
      counterpartyId: `${kind}-${id.slice(0, 8)}`,
      method: 'prepaid',
      cycle,
      settlementDay: 'last',
      settlementCurrency: 'EUR',
      timeZone: 'Europe/Berlin',
    });
    return id;
  }

  beforeAll(async () => {
    stack = await startTestStack();
    partner = await agreement('partner');
    carrier = await agreement('carrier');
  });
  afterAll(() => stack?.stop());

  const post = (body: Record<string, unknown>, key = TEST_KEYS.finance) => stack.api('POST', '/v1/statements', { body, key });

  it('takes CSV and JSON lines into the same normalised lines; the same lines again are the same statement', async () => {
    const csv = await post({ agreementId: partner, period: PERIOD, format: 'csv', content: CSV });
    expect(csv.status, JSON.stringify(csv.body)).toBe(201);
    expect(csv.body).toMatchObject({ agreementId: partner, period: PERIOD, format: 'csv', lineCount: 4, lines: NORMALISED, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(csv.body.submittedBy).toMatch(/^finance:/);

    const again = await post({ agreementId: partner, period: PERIOD, format: 'csv', content: CSV });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(csv.body);

    const jsonl = await post({ agreementId: partner, period: PERIOD, format: 'jsonl', content: JSONL });
    expect(jsonl.status).toBe(200);
    expect(jsonl.body.id).toBe(csv.body.id);

    const other = await post({ agreementId: partner, period: PERIOD, format: 'jsonl', content: JSONL.split('\n').slice(1).join('\n') });
    expect(other.status).toBe(201);
    expect(other.body.lines).toEqual([NORMALISED[3], NORMALISED[0], NORMALISED[1]]);

    const list = await stack.api('GET', `/v1/statements?agreementId=${partner}&period=${PERIOD}`, finance);
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: { id: string; lineCount: number }) => [s.id, s.lineCount])).toEqual([
      [other.body.id, 3],
      [csv.body.id, 4],
    ]);
    expect(list.body.data[0].lines).toBeUndefined();
    const one = await stack.api('GET', `/v1/statements/${csv.body.id}`, finance);
    expect(one.body).toEqual(csv.body);
    expectProblem(await stack.api('GET', `/v1/statements/${randomUUID()}`, finance), 404);
  });

  it('refuses bad lines, each named by its line of content and its field', async () => {
    const bad = [
      'reference,kind,amount,currency,date',
      'OF-1,sale,12.30,EUR,2026-11-03',
      'OF-2,sale,12.345,EUR,2026-11-03',
      'OF-3,gift,1.00,EUR,2026-11-03',
      'OF-4,sale,15.5,JPY,2026-11-31',
      'OF-5,sale,"1,000.00",EUR,2026-11-03',
      'OF-6,sale,-1.00,eur,2026-11-03',
      ',sale,1.00,EUR,2026-11-03,extra',
    ].join('\n');
    const res = await post({ agreementId: partner, period: PERIOD, format: 'csv', content: bad });
    expectProblem(res, 422);
    expect(fields(res).every((f) => f === 'content')).toBe(true);
    expect(res.body.errors.map((e: { line: number; lineField: string }) => [e.line, e.lineField])).toEqual([
      [3, 'amount'],
      [4, 'kind'],
      [5, 'amount'],
      [5, 'date'],
      [6, 'amount'],
      [7, 'currency'],
      [8, 'line'],
    ]);
    expect(res.body.errors[0].message).toMatch(/^line 3, amount: "12\.345": EUR has 2 decimals at most/);
    expect(res.body.errors[2].message).toMatch(/JPY has no decimals/);
    expect(res.body.detail).toContain('content line 4, kind');

    const header = await post({ agreementId: partner, period: PERIOD, format: 'csv', content: 'ref,kind,amount,currency,date\nOF-1,sale,1,EUR,2026-11-01' });
    expectProblem(header, 422);
    expect(header.body.errors).toMatchObject([{ field: 'content', line: 1, lineField: 'header' }]);

    const jsonl = await post({
      agreementId: partner,
      period: PERIOD,
      format: 'jsonl',
      content: '{"reference":"OF-1","kind":"sale","amount":"1.00","currency":"EUR","date":"2026-11-01"}\n\n{"reference":"OF-2","kind":"sale","amount":12.3,"currency":"EUR","date":"2026-11-01"}\nnot json\n{"reference":"OF-3","kind":"sale","amount":"1","currency":"EUR","date":"2026-11-01","vat":"0.19"}',
    });
    expectProblem(jsonl, 422);
    expect(jsonl.body.errors.map((e: { line: number; lineField: string }) => [e.line, e.lineField])).toEqual([
      [3, 'amount'],
      [4, 'line'],
      [5, 'vat'],
    ]);

    const list = await stack.api('GET', `/v1/statements?agreementId=${partner}&period=2026-10`, finance);
    expect(list.body.data).toEqual([]);
  });

  it('refuses an unknown agreement, a period of another cycle and a malformed body', async () => {
    const unknown = await post({ agreementId: randomUUID(), period: PERIOD, format: 'csv', content: CSV });
    expectProblem(unknown, 422);
    expect(fields(unknown)).toEqual(['agreementId']);
    const quarter = await post({ agreementId: partner, period: '2026-Q4', format: 'csv', content: CSV });
    expectProblem(quarter, 422);
    expect(fields(quarter)).toEqual(['period']);
    const malformed = await post({ agreementId: partner, period: 'November', format: 'xml', content: 1 });
    expectProblem(malformed, 422);
    expect(fields(malformed).sort()).toEqual(['content', 'format', 'period']);
  });

  it('lets a carrier post its own statement, never a partner’s; refuses integrators', async () => {
    const content = 'reference,kind,amount,currency,date\nOF-1000001,cod_remitted,40.80,EUR,2026-11-20\n';
    const own = await post({ agreementId: carrier, period: PERIOD, format: 'csv', content }, TEST_KEYS.carrier);
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect(own.body.lines).toEqual([{ reference: 'OF-1000001', kind: 'cod_remitted', amount: 4080, currency: 'EUR', date: '2026-11-20' }]);
    expect(own.body.submittedBy).toMatch(/^carrier:/);
    expectProblem(await post({ agreementId: partner, period: PERIOD, format: 'csv', content }, TEST_KEYS.carrier), 403);
    expectProblem(await post({ agreementId: carrier, period: PERIOD, format: 'csv', content }, TEST_KEYS.integrator), 403);
    expectProblem(await stack.api('GET', `/v1/statements?agreementId=${carrier}`, { key: TEST_KEYS.integrator }), 403);
  });

  it("tells the period's running settlement that a statement arrived", async () => {
    const agreementId = await agreement('partner');
    // A run that no worker picks up: it stays open and keeps what it is sent.
    const handle = await stack.running.client.workflow.start(SETTLEMENT_WORKFLOW_TYPE, {
      workflowId: settlementWorkflowId(agreementId, PERIOD),
      taskQueue: `nobody-${randomUUID()}`,
      args: [{ agreementId, period: PERIOD, decisionWaitMs: 1_000 }],
    });
    try {
      const res = await post({ agreementId, period: PERIOD, format: 'jsonl', content: JSONL });
      expect(res.status).toBe(201);
      const signalled = await waitFor(
        async () => {
          const history = await handle.fetchHistory();
          return history.events?.find((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'statementReceived');
        },
        { timeoutMs: 10_000, intervalMs: 50, message: 'the statementReceived signal' },
      );
      expect(signalled).toBeDefined();
    } finally {
      await handle.terminate('test over');
    }
  });
});
