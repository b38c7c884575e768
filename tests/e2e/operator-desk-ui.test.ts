import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { pickFreePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { locateTemporalCli } from '../../src/temporal/locator';
import { ENCRYPTED_ENCODING } from '../../src/temporal/payload-codec';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { createProduct, receiveStock, sampleOrder, uniqueSku, waitForStatus } from '../helpers/orders';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// The operator's desk, as an operator uses it: the embedded dev server's Temporal Web UI in
// a real (headless) Chromium. Filter `NeedsAttention = true`, open the stuck order, read
// why it is stuck, its input and its failed step's message decrypted through our codec
// endpoint, send `operatorAction` cancel from the Send Signal dialog (its input encrypted
// through the codec endpoint), and see the order move on.
// Screenshots of every step go to test-artifacts/operator-desk/ (git-ignored).
//
// The order is stuck for a real reason: it goes to Heligoland, which no carrier of the
// sandbox serves, so PLAN finds no carrier and asks an operator.

const REPO_ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'operator-desk');
// CHROMIUM_PATH, when set, is the only one tried.
const CHROMIUM = (process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => fs.existsSync(p));
const NO_CHROMIUM = 'no Chromium found (CHROMIUM_PATH, /usr/bin/chromium): install Debian\'s `chromium` (apt-get install chromium) to run the browser test of the operator\'s desk';

if (!CHROMIUM) console.warn(`[operator-desk-ui] skipped: ${NO_CHROMIUM}`);

const CUSTOMER = { name: 'Hanna Kruse-Oldenbüttel', email: 'hanna.kruse.5531@example.org', street: 'Lung Wai 27' };
const WAREHOUSE = 'BER-1';
const UI_TOKEN = randomBytes(24).toString('base64url');

let server: DevServer | undefined;
let stack: TestStack | undefined;
let browser: Browser | undefined;
let page: Page;
let runDir: string | undefined;
let step = 0;

async function shot(name: string): Promise<void> {
  step += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!CHROMIUM) return;
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  // The UI calls our API from the browser: both addresses are fixed before either starts.
  const [apiPort, uiPort] = [await pickFreePort(), await pickFreePort()];
  const uiOrigin = `http://127.0.0.1:${uiPort}`;
  const binary = inject('temporalCliPath') ?? (await locateTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, projectDir: REPO_ROOT, log: () => undefined }));
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-desk-'));
  server = await startDevServer({
    binary,
    port: 0,
    uiPort,
    searchAttributes: ORDER_SEARCH_ATTRIBUTES,
    uiCodecEndpoint: `http://127.0.0.1:${apiPort}/codec/ui/${UI_TOKEN}`,
    logFile: path.join(runDir, 'temporal.log'),
  });
  stack = await startTestStack(
    { PORT: String(apiPort), ORDERFLOW_UI_ORIGIN: uiOrigin },
    { uiCodecToken: UI_TOKEN, temporal: { address: server.address, namespace: server.namespace } },
  );
  await seedDemoCatalogue(stack.db);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.setDefaultTimeout(15_000);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
});

describe("the operator's desk in the Temporal Web UI", () => {
  it('finds the stuck order by NeedsAttention, shows why and its decrypted input, and a cancel sent from Send Signal moves it on', async (ctx) => {
    if (!CHROMIUM) return ctx.skip(NO_CHROMIUM);
    if (!stack || !server) throw new Error('the stack did not start');
    ctx.onTestFailed(() => shot('at-failure'));
    const sku = uniqueSku('LIGHTHOUSE-LAMP');
    await createProduct(stack, sku);
    await receiveStock(stack, WAREHOUSE, sku, 1);
    const created = await stack.api('POST', '/v1/orders', {
      body: sampleOrder({
        items: [{ sku, quantity: 1, unitPrice: 1000 }],
        customer: { name: CUSTOMER.name, email: CUSTOMER.email, address: { line1: CUSTOMER.street, city: 'Helgoland', region: 'SH', postalCode: '27498', country: 'DE' } },
      }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id, workflowId } = created.body as { id: string; workflowId: string };
    const stuck = await waitFor(
      async () => {
        const { body } = await stack!.api('GET', `/v1/orders/${id}`, { key: TEST_KEYS.operator });
        return body.needsAttention ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'the order to ask for an operator' },
    );
    expect(stuck.attentionReason).toMatch(/no safe carrier/);

    // 1. The saved query "Needs an operator" (visibility lags the workflow a little: wait for it first).
    await waitFor(
      async () => {
        for await (const w of stack!.running.client.workflow.list({ query: `NeedsAttention = true AND WorkflowId = '${workflowId}'` })) return w;
        return undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, message: 'visibility to list the order under NeedsAttention = true' },
    );
    await page.goto(`${server.uiUrl}/namespaces/${server.namespace}/workflows?query=${encodeURIComponent('NeedsAttention = true')}`);
    const row = page.getByRole('link', { name: workflowId, exact: true });
    await row.waitFor();
    // The filter the query set, as the operator sees it.
    await page.getByRole('button', { name: /NeedsAttention\s*=\s*true/ }).waitFor({ timeout: 5_000 });
    await shot('needs-attention-list');

    // 2. The order: its input, decrypted by the UI through our codec endpoint (the server holds ciphertext).
    await row.click();
    await page.getByText(`"${CUSTOMER.name}"`).first().waitFor({ timeout: 15_000 });
    await page.getByText(`"${CUSTOMER.street}"`).first().waitFor({ timeout: 5_000 });
    await shot('order-input-decrypted');

    // 3. Why it is stuck and what the choices are: its current details (rendered in frames of their own).
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    const details = await waitFor(
      async () => {
        const texts = await Promise.all(page.frames().map((f) => f.locator('body').innerText({ timeout: 1_000 }).catch(() => '')));
        return texts.find((t) => /Needs an operator/.test(t));
      },
      { timeoutMs: 15_000, intervalMs: 100, message: "the order's current details in the UI" },
    );
    expect(details).toMatch(/no safe carrier serves this order/);
    expect(details).toMatch(/operatorAction/);
    expect(details).toMatch(/cancel/);
    await shot('current-details');

    // 4. The failure behind it, in Event History: the server holds only "Encoded failure"; the
    // message and stack trace come back decrypted through the codec when the event is opened.
    await page.getByRole('tab', { name: 'Event History' }).click();
    await page.getByText(/Activity\s*Task\s*Failed/).first().click();
    await page.getByText('Encoded failure').first().waitFor();
    const decrypted = page.getByText(/no carrier with a good safety record serves this lane/).first();
    await decrypted.waitFor();
    await decrypted.scrollIntoViewIfNeeded();
    await shot('failure-decrypted');

    // 5. Send Signal → operatorAction, cancel. The UI encodes the input through our codec endpoint too.
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
    const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
    // The "Signal name" select: its label names the (disabled) input inside the button.
    await dialog.getByTestId('signal-select-button').click();
    await dialog.getByRole('option', { name: 'operatorAction' }).click();
    await dialog.getByRole('textbox', { name: 'Data' }).click();
    // Inserted, not typed: the editor would close every bracket and quote typed. Formatted as
    // the editor formats it on blur, and blurred before Submit, so the dialog does not move under the click.
    await page.keyboard.insertText(JSON.stringify({ action: 'cancel', reason: 'no boat to Heligoland this week', operator: 'desk@example.com' }, null, 2));
    await dialog.getByRole('heading', { name: 'Send a Signal' }).click();
    await shot('send-signal');
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // 6. The order moves on: cancelled in orderflow, and the workflow closes (as COMPLETED, with a cancelled result).
    const cancelled = await waitForStatus(stack, id, 'cancelled');
    expect(cancelled.needsAttention).toBe(false);
    expect(JSON.stringify(cancelled.timeline.at(-1))).toContain('no boat to Heligoland this week');
    // Closed in Temporal first (a cancelled order still gives its stock back), then shown so.
    const handle = stack.running.client.workflow.getHandle(workflowId);
    await handle.result();
    // The UI sealed the signal's input through /codec/…/encode: the history holds no operator's words in clear.
    const signalled = (await handle.fetchHistory()).events?.map((e) => e.workflowExecutionSignaledEventAttributes).find((a) => a?.signalName === 'operatorAction');
    const encoding = signalled?.input?.payloads?.[0]?.metadata?.[METADATA_ENCODING_KEY];
    expect(Buffer.from(encoding ?? new Uint8Array()).toString()).toBe(ENCRYPTED_ENCODING);
    await page.reload();
    await page.getByText(/^completed$/i).first().waitFor({ timeout: 20_000 });
    // The current details say so in business words, and the result (decrypted) says cancelled.
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    const closing = await waitFor(
      async () => {
        const texts = await Promise.all(page.frames().map((f) => f.locator('body').innerText({ timeout: 1_000 }).catch(() => '')));
        return texts.find((t) => /Cancelled/.test(t));
      },
      { timeoutMs: 10_000, intervalMs: 100, message: 'the current details to say the order is cancelled' },
    );
    expect(closing).toMatch(/OF-\d+ · cancelled/);
    await shot('order-cancelled-details');
    await page.getByRole('tab', { name: 'Timeline' }).click();
    await page.getByText(/"status":\s*"cancelled"/).first().waitFor();
    await shot('order-cancelled');
  });
});
