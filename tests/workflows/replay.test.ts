import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Worker, bundleWorkflowCode, type ReplayWorkerOptions } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { FAILURE_CONVERTER_PATH, dataConverterFor } from '../../src/temporal/payload-codec';
import { WORKFLOWS_PATH } from '../../src/temporal/workers';
import { testCodec } from '../helpers/codec';
import { FEEDBACK, SIGN_OFF, sampleOrder, waitForStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';
import { HISTORIES_DIR, SCENARIOS, historyFromJson, historyToJson } from './record-history';

// The safety net for changing workflow code: orders in flight replay their history on the
// new code, and a change they could not replay must go behind patched(). Every history in
// tests/workflows/histories/ (recorded by `npx tsx tests/workflows/record-history.ts`)
// replays on today's workflows/, and so does an order run just now. The net itself is
// tested too: copies of workflows/ with an incompatible change must fail to replay, and
// the same change behind patched() must not.

type History = ReturnType<typeof historyFromJson>;

const REPO_ROOT = path.resolve(__dirname, '../..');

const historyFiles = fs
  .readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
/** The histories record-history.ts writes (others may be in the folder too). */
const recordedFiles = SCENARIOS.map((s) => `${s.name}.json`).sort();

function loadHistory(file: string): History {
  return historyFromJson(JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

/** The workflow type a history ran (orderWorkflow, settlementWorkflow, …). */
const workflowTypeOf = (history: History) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
/** The histories of orders; the others are of the workflows beside them (settlement, collection, …). */
const orderFiles = historyFiles.filter((file) => workflowTypeOf(loadHistory(file)) === 'orderWorkflow');
/** Every workflow type the workers run, and its file: the exports of workflows/index.ts. */
const workflowSources = [...fs.readFileSync(path.join(REPO_ROOT, 'workflows', 'index.ts'), 'utf8').matchAll(/^export \{ (\w+) \} from '\.\/(.+)';$/gm)].map(
  (m) => ({ type: m[1]!, file: `${m[2]!}.ts` }),
);
const workflowTypes = workflowSources.map((w) => w.type);

function todaysCode(): ReplayWorkerOptions {
  const bundle = inject('workflowBundlePath');
  // Histories recorded before the codec are plain (they pass through it); later ones are
  // sealed with the fixtures' key.
  const dataConverter = dataConverterFor(testCodec());
  return bundle ? { workflowBundle: { codePath: bundle }, dataConverter } : { workflowsPath: WORKFLOWS_PATH, dataConverter };
}

const eventTypes = (history: History) => (history.events ?? []).map((e) => Number(e.eventType));
const activityTypes = (history: History) =>
  (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : []));

// EventType numbers of temporal.api.enums.v1.EventType.
const WORKFLOW_EXECUTION_STARTED = 1;
const WORKFLOW_EXECUTION_COMPLETED = 2;

/** Replays each history on `options`' code; one replay worker for all. Result per workflow id. */
async function replayAll(options: ReplayWorkerOptions, histories: { workflowId: string; history: History }[]) {
  const results = new Map<string, Error | undefined>();
  for await (const result of Worker.runReplayHistories(options, histories)) results.set(result.workflowId, result.error);
  return results;
}

// ---- the committed histories ---------------------------------------------------------

describe('committed histories', () => {
  it('cover every scenario of the recorder, each a whole workflow life', () => {
    // Other histories may join them (say, one exported from production for a bug).
    expect(historyFiles).toEqual(expect.arrayContaining(recordedFiles));
    for (const file of recordedFiles) {
      const types = eventTypes(loadHistory(file));
      expect(types[0], file).toBe(WORKFLOW_EXECUTION_STARTED);
      expect(types.at(-1), `${file} ends with its workflow's end`).toBe(WORKFLOW_EXECUTION_COMPLETED);
    }
  });

  it('cover every workflow type the workers run, not only orders', () => {
    // A new workflow type comes with a recorder scenario, or a change to it goes unreplayed.
    expect(workflowTypes).toEqual(expect.arrayContaining(['orderWorkflow', 'settlementWorkflow', 'collectionWorkflow']));
    const recorded = new Set(recordedFiles.map((file) => workflowTypeOf(loadHistory(file))));
    expect([...recorded].sort()).toEqual([...workflowTypes].sort());
  });

  it.each(historyFiles)('%s replays on the current workflow code', async (file) => {
    await expect(Worker.runReplayHistory(todaysCode(), loadHistory(file), `replay-${file}`)).resolves.toBeUndefined();
  });

  it('the codec reads back exactly what it wrote', () => {
    for (const file of recordedFiles) {
      const text = fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8');
      expect(historyToJson(historyFromJson(JSON.parse(text))), file).toBe(text);
    }
  });

  // Temporal's documented way (Worker.runReplayHistory with the parsed JSON file, which
  // calls @temporalio/common's historyFromJSON) must work in this repo too; see the note
  // in record-history.ts on the duplicated protobufjs that breaks it.
  it("the SDK's own JSON reader takes the committed files", async () => {
    const json = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, historyFiles[0]!), 'utf8'));
    await expect(Worker.runReplayHistory(todaysCode(), json, 'replay-sdk-json')).resolves.toBeUndefined();
  });
});

// ---- an order run now ----------------------------------------------------------------

describe('an order run now', () => {
  let stack: TestStack;
  let live: History;

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('replays its own history on the code that ran it', async () => {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const delivered = await waitForStatus(stack, id, 'delivered');
    // The database may show 'delivered' a moment before the workflow has applied it.
    await waitFor(async () => (await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(delivered.number) })).status === 200, {
      timeoutMs: 10_000,
      message: 'the sign-off to be taken',
    });
    expect((await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK })).status).toBe(200);
    await waitForStatus(stack, id, 'completed');

    const handle = stack.running.client.workflow.getHandle(created.body.workflowId);
    await handle.result();
    live = await handle.fetchHistory();
    expect(eventTypes(live).at(-1)).toBe(WORKFLOW_EXECUTION_COMPLETED);
    expect(activityTypes(live)).toEqual(expect.arrayContaining(['verifyOrder', 'reserveStock', 'planShipments', 'recordDispatch', 'recordSignOff', 'recordFeedback', 'settleOrder']));

    await expect(Worker.runReplayHistory(todaysCode(), live, created.body.workflowId)).resolves.toBeUndefined();
    // And through the JSON the committed histories are kept in.
    await expect(Worker.runReplayHistory(todaysCode(), historyFromJson(JSON.parse(historyToJson(live))), 'live-json')).resolves.toBeUndefined();
  });

  // ---- the net itself ----------------------------------------------------------------

  describe('workflow code changed', () => {
    const made: string[] = [];
    afterAll(() => {
      for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    });

    /**
     * Bundles a copy of workflows/ with one file edited. The copy lives in a temp dir
     * beside links to src/, activities/ and node_modules/, so its imports resolve as the
     * real ones do; workflows/ itself is never touched.
     */
    async function bundleVariant(file: string, edit: (source: string) => string): Promise<ReplayWorkerOptions> {
      return bundleEdited({ [file]: edit });
    }

    /** As bundleVariant, with several files of workflows/ edited at once. */
    async function bundleEdited(edits: Record<string, (source: string) => string>): Promise<ReplayWorkerOptions> {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-replay-variant-'));
      made.push(root);
      fs.cpSync(path.join(REPO_ROOT, 'workflows'), path.join(root, 'workflows'), { recursive: true });
      for (const dir of ['src', 'activities', 'node_modules']) fs.symlinkSync(path.join(REPO_ROOT, dir), path.join(root, dir), 'dir');
      for (const [file, edit] of Object.entries(edits)) {
        const target = path.join(root, 'workflows', file);
        const before = fs.readFileSync(target, 'utf8');
        const after = edit(before);
        expect(after, `the edit of workflows/${file} must change it (has the code it anchors on moved?)`).not.toBe(before);
        fs.writeFileSync(target, after);
      }
      const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows', 'index.ts'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
      return { workflowBundle: { code }, dataConverter: dataConverterFor(testCodec()) };
    }

    /** Inserts `lines` as the first statements of the exported function `name`. */
    const atStartOf = (name: string, lines: string) => (source: string) =>
      source.replace(new RegExp(`(export async function ${name}\\([^)]*\\)[^{]*\\{\\n)`), `$1${lines}\n`);
    const withImport = (what: string) => (source: string) => `import { ${what} } from '@temporalio/workflow';\n${source}`;

    const EXTRA_STEP = `  await order.acts.recordAttention({ orderId: order.orderId, needsAttention: false });`;

    const committed = () => historyFiles.map((file) => ({ workflowId: file, history: loadHistory(file) }));
    const liveHistory = () => {
      if (!live) throw new Error('the live order (the test before) did not complete, so there is no live history');
      return live;
    };

    it('one more activity in SETTLE breaks every order that got that far, and only those', async () => {
      const variant = await bundleVariant('order/settle.ts', atStartOf('settle', EXTRA_STEP));
      const histories = [...committed(), { workflowId: 'live', history: liveHistory() }];
      const results = await replayAll(variant, histories);

      for (const { workflowId, history } of histories) {
        const reachedSettle = activityTypes(history).includes('settleOrder');
        const error = results.get(workflowId);
        if (reachedSettle) {
          expect(error, `${workflowId} must not replay`).toBeInstanceOf(DeterminismViolationError);
        } else {
          expect(error, `${workflowId} never reached SETTLE`).toBeUndefined();
        }
      }
      // The stockout that was cancelled never settles; a completed order does.
      expect(results.get('stockout-cancel.json')).toBeUndefined();
      expect(results.get('happy-path.json')).toBeInstanceOf(DeterminismViolationError);
      expect(results.size).toBe(histories.length);
    });

    it('the same step behind patched() replays every order', async () => {
      const variant = await bundleVariant('order/settle.ts', (source) =>
        withImport('patched')(atStartOf('settle', `  if (patched('replay-test-extra-step')) {\n  ${EXTRA_STEP}\n  }`)(source)),
      );
      const results = await replayAll(variant, [...committed(), { workflowId: 'live', history: liveHistory() }]);
      expect([...results].filter(([, error]) => error !== undefined)).toEqual([]);
      expect(results.size).toBe(historyFiles.length + 1);
    });

    it("a correction's search-attribute upsert without its patched() guard breaks the corrected order recorded before it", async () => {
      // The guard is what lets orders corrected before the upsert existed replay: take it
      // away and the committed corrected order must fail; the others never corrected.
      const variant = await bundleVariant('order/verify.ts', (source) =>
        source.replace("customer && patched(SEARCH_FIELDS_FOLLOW_CORRECTION)", 'customer'),
      );
      const results = await replayAll(variant, committed());
      expect(results.get('verification-corrected.json')).toBeInstanceOf(DeterminismViolationError);
      for (const [file, error] of results) if (file !== 'verification-corrected.json') expect(error, file).toBeUndefined();
    });

    it('a timer before VERIFY breaks every order, with a DeterminismViolationError from runReplayHistory', async () => {
      const variant = await bundleVariant('order/verify.ts', (source) => withImport('sleep')(atStartOf('verify', `  await sleep(1);`)(source)));
      expect(orderFiles.length).toBeGreaterThan(0);
      for (const file of orderFiles) {
        // A run carried over past VERIFY (a settlement aftercare's) never meets the timer.
        const verified = activityTypes(loadHistory(file)).includes('verifyOrder');
        if (verified) await expect(Worker.runReplayHistory(variant, loadHistory(file), file), file).rejects.toBeInstanceOf(DeterminismViolationError);
        else await expect(Worker.runReplayHistory(variant, loadHistory(file), file), file).resolves.toBeUndefined();
      }
      // Only the settlement aftercares' runs (reship, return) skip VERIFY.
      expect(orderFiles.filter((file) => !activityTypes(loadHistory(file)).includes('verifyOrder'))).toEqual(orderFiles.filter((file) => file.includes('aftercare')));
      await expect(Worker.runReplayHistory(variant, liveHistory(), 'live')).rejects.toThrow(/nondetermin/i);
      // The workflows beside the orders never VERIFY: untouched.
      const others = await replayAll(variant, committed().filter(({ workflowId }) => !orderFiles.includes(workflowId)));
      expect([...others].filter(([, error]) => error !== undefined)).toEqual([]);
    });

    it('a timer at the start of every other workflow type breaks each of their histories, and no order', async () => {
      // The net holds for settlement, its launcher, collection, replenishment and complaint too.
      const others = workflowSources.filter((w) => w.type !== 'orderWorkflow');
      expect(others.length).toBeGreaterThan(0);
      const variant = await bundleEdited(
        Object.fromEntries(others.map((w) => [w.file, (source: string) => withImport('sleep')(atStartOf(w.type, `  await sleep(1);`)(source))])),
      );
      const results = await replayAll(variant, committed());
      for (const file of historyFiles) {
        if (orderFiles.includes(file)) expect(results.get(file), file).toBeUndefined();
        else expect(results.get(file), `${file} must not replay`).toBeInstanceOf(DeterminismViolationError);
      }
    });
  });
});
