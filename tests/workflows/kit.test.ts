import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Transition } from '../../src/domain/transition';
import { waitFor } from '../helpers/wait-for';
import type { ReturnActivities, ReturnState, ReturnStatus } from './kit-sample/returns';

// workflows/kit/ is for every workflow, not only orders: a test-only "return" workflow
// (tests/workflows/kit-sample/) built from nothing but the kit runs on the real Temporal
// dev server — status changes numbered and written, the operator's retry / skip / cancel,
// a malformed operator signal refused, undo steps, a waiting window. Its activities are
// plain functions here: what is under test is the workflow side.

const returnWorkflowPath = path.join(__dirname, 'kit-sample', 'returns.ts');

interface Journal {
  writes: { step: string; transitions: Transition<ReturnStatus>[] }[];
  notes: { on: boolean; reason?: string }[];
  calls: string[];
}

describe('the workflow kit, used by a workflow that is not an order', () => {
  let connection: NativeConnection;
  let clientConnection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const journals = new Map<string, Journal>();
  /** Steps that fail (once each call) for a return until the test lets them pass. */
  const failing = new Map<string, Set<string>>();
  const journal = (id: string) => journals.get(id) ?? journals.set(id, { writes: [], notes: [], calls: [] }).get(id)!;
  const fail = (id: string, step: string) => {
    if (failing.get(id)?.has(step)) throw ApplicationFailure.nonRetryable(`${step} is down`, 'StepDown');
  };
  const taskQueue = `kit-${Math.random().toString(36).slice(2)}`;
  /** What the worker's logger was given by the workflows (the SDK's logger sink). */
  const logLines: { level: string; message: string; attrs?: Record<string, unknown> }[] = [];
  const capture = (level: string) => ({ fn: (_info: unknown, message: string, attrs?: Record<string, unknown>) => void logLines.push({ level, message, attrs }) });

  const activities: ReturnActivities = {
    async writeStatus({ returnId, step, transitions }) {
      fail(returnId, step);
      journal(returnId).writes.push({ step, transitions });
    },
    async holdRefund({ returnId }) {
      journal(returnId).calls.push('holdRefund');
    },
    async releaseRefundHold({ returnId }) {
      journal(returnId).calls.push('releaseRefundHold');
    },
    async inspectGoods({ returnId }) {
      fail(returnId, 'inspect');
      journal(returnId).calls.push('inspectGoods');
      return { ok: true };
    },
    async noteAttention({ returnId, on, reason }) {
      journal(returnId).notes.push(reason === undefined ? { on } : { on, reason });
    },
  };

  beforeAll(async () => {
    const address = inject('temporalAddress');
    const namespace = inject('temporalNamespace');
    connection = await NativeConnection.connect({ address });
    worker = await Worker.create({
      connection,
      namespace,
      taskQueue,
      workflowsPath: returnWorkflowPath,
      activities,
      sinks: { defaultWorkerLogger: { trace: capture('trace'), debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') } },
    });
    running = worker.run();
    clientConnection = await Connection.connect({ address });
    client = new Client({ connection: clientConnection, namespace });
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await clientConnection?.close();
  });

  const start = (returnId: string, windowMs = 60_000) =>
    client.workflow.start('returnWorkflow', { taskQueue, workflowId: `return-${returnId}`, args: [{ returnId, windowMs }] });
  const look = (handle: { query: (q: string) => Promise<unknown> }) => handle.query('look') as Promise<ReturnState>;
  const waitingForOperator = (handle: { query: (q: string) => Promise<unknown> }, what: string) =>
    waitFor(async () => {
      const s = await look(handle);
      return s.needsAttention && s.openQuestions.some((q) => q.kind === 'operator') ? s : undefined;
    }, { timeoutMs: 20_000, message: what });

  it('numbers and writes status changes; a skippable step is skipped on request; a malformed answer is refused and answers nothing', async () => {
    const id = 'skip';
    failing.set(id, new Set(['inspect']));
    const handle = await start(id);
    await waitFor(async () => (await look(handle)).status === 'label_sent', { timeoutMs: 20_000, message: 'the label' });
    await handle.signal('goodsArrived');
    const stuck = await waitingForOperator(handle, 'the inspection to ask an operator');
    expect(stuck.attentionReason).toMatch(/inspect the goods failed: inspect is down/);

    await handle.signal('operatorAction', { action: 'retyr' });
    const refused = await waitFor(async () => journal(id).notes.find((n) => /refused/.test(n.reason ?? '')), {
      timeoutMs: 20_000,
      message: 'the refusal to be noted',
    });
    expect(refused).toEqual({ on: true, reason: expect.stringMatching(/inspect is down; refused an operator action \{"action":"retyr"\}: action must be one of retry, skip, cancel/) });
    const still = await look(handle);
    expect(still.status).toBe('label_sent');
    expect(still.openQuestions.map((q) => q.kind)).toEqual(['operator']);
    expect(still.operatorInbox).toEqual([]);

    await handle.signal('operatorAction', { action: 'skip', operator: 'kim' });
    const done = (await handle.result()) as ReturnState;
    expect(done.status).toBe('refunded');
    expect(done.inspection).toEqual({ ok: true });
    expect(journal(id).calls).toEqual(['holdRefund']);
    expect(journal(id).writes.map((w) => [w.step, w.transitions.map((t) => [t.version, t.status])])).toEqual([
      ['send the label', [[1, 'label_sent']]],
      ['refund', [[2, 'received'], [3, 'refunded']]],
    ]);
    expect(journal(id).notes.at(-1)).toEqual({ on: false });
    // The worker's log says so too: a line when it raised the flag, one for the refusal.
    const warnings = logLines.filter((l) => l.level === 'warn' && l.attrs?.returnId === id);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'needs attention', attrs: expect.objectContaining({ reason: expect.stringMatching(/inspect the goods failed/) }) }),
        expect.objectContaining({ message: 'operator action refused', attrs: expect.objectContaining({ problem: expect.stringMatching(/action must be one of/) }) }),
      ]),
    );
    // What continue-as-new would carry.
    expect(JSON.parse(JSON.stringify(done))).toEqual(done);
  });

  it('refuses a skip where the step allows none; a cancel runs the undo steps, last registered first', async () => {
    const id = 'cancel';
    failing.set(id, new Set(['refund']));
    const handle = await start(id);
    await handle.signal('goodsArrived');
    await waitingForOperator(handle, 'the refund to ask an operator');

    await handle.signal('operatorAction', { action: 'skip' });
    await waitFor(async () => /cannot be skipped/.test((await look(handle)).attentionReason ?? ''), {
      timeoutMs: 20_000,
      message: 'the skip to be refused',
    });
    await handle.signal('operatorAction', { action: 'cancel', reason: 'customer kept it' });
    const done = (await handle.result()) as ReturnState;
    expect(done.status).toBe('cancelled');
    expect(journal(id).calls).toEqual(['holdRefund', 'inspectGoods', 'releaseRefundHold']);
    expect(journal(id).writes.at(-1)?.transitions).toEqual([{ version: 4, status: 'cancelled', detail: { reason: 'customer kept it' } }]);
    // The failed refund used versions 2 and 3; they were never applied.
    expect(done.appliedVersion).toBe(4);
  });

  it('a window that closes with nothing done cancels, and the undo still runs', async () => {
    const id = 'window';
    const handle = await start(id, 300);
    const done = (await handle.result()) as ReturnState;
    expect(done.status).toBe('cancelled');
    expect(journal(id).calls).toEqual(['holdRefund', 'releaseRefundHold']);
    expect(journal(id).writes.map((w) => w.step)).toEqual(['send the label', 'cancel']);
  });
});
