/**
 * Records the event histories that tests/workflows/replay.test.ts replays against today's
 * workflow code, so a change that in-flight orders could not replay is caught before it
 * ships (the fix for such a change is `patched()`, see the replay test).
 *
 *   npx tsx tests/workflows/record-history.ts            # every scenario
 *   npx tsx tests/workflows/record-history.ts happy-path  # only the named ones
 *
 * It needs no Postgres and no Temporal of yours: an embedded PostgreSQL, a Temporal dev server
 * of its own (found as `npm start` finds one), and the whole of orderflow in this process.
 * Each scenario drives one workflow to its end through the public HTTP API, exactly as an
 * integrator, an operator or finance would — an order, or one of the workflows beside it
 * (settlement and its Schedule's launcher, collection, replenishment, complaint) — and
 * its history is written to tests/workflows/histories/<scenario>.json.
 * Re-record (and commit the new files) only on purpose: the old histories are what
 * orders already in flight look like.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig, type Role } from '../../src/config';
import { openDatabase, type Database } from '../../src/db/client';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { seedDemoCatalogue } from '../../src/db/seed';
import { startOrderflow, type RunningOrderflow } from '../../src/service';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { locateTemporalCli } from '../../src/temporal/locator';
import { ORDER_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { periodContaining, previousPeriod } from '../../src/domain/settlement-period';
import { TEST_CODEC_KEYS } from '../helpers/codec';
import { orderWorkflowId } from '../../workflows/order/messages';

const REPO_ROOT = path.resolve(__dirname, '../..');
export const HISTORIES_DIR = path.join(__dirname, 'histories');

const KEYS: Record<Role, string> = {
  integrator: 'record-integrator-key-01',
  operator: 'record-operator-key-0001',
  finance: 'record-finance-key-00001',
  carrier: 'record-carrier-key-00001',
  admin: 'record-admin-key-0000001',
};

const say = (line: string) => console.log(`[record-history] ${line}`);

// ---- history <-> JSON ----------------------------------------------------------------
//
// The files are the proto3 JSON every Temporal tool reads and writes (`temporal workflow
// show --output json`, the Web UI's export).

/** A history (as `handle.fetchHistory()` gives it) as pretty-printed proto3 JSON. */
export function historyToJson(history: History): string {
  return `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`;
}

/** A history read back from proto3 JSON, ready for Worker.runReplayHistory. */
export function historyFromJson(json: unknown): History {
  return historyFromJSON(json);
}

// ---- the orders ----------------------------------------------------------------------

const customer = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  phone: '+49 30 1234567',
  address: { line1: 'Unter den Linden 1', city: 'Berlin', region: 'BE', postalCode: '10117', country: 'DE' },
};

function order(items: { sku: string; quantity: number; unitPrice: number }[], extra: Record<string, unknown> = {}) {
  return { channel: 'web', priority: 'normal', currency: 'EUR', customer, items, settlement: { method: 'prepaid' }, ...extra };
}

const TEA_AND_MUG = [
  { sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 },
  { sku: 'MUG-STONE-350', quantity: 1, unitPrice: 1850 },
];

const signOffBody = (number: string) => ({
  recipientName: 'Ada Lovelace',
  credential: { type: 'order_number', value: number },
  packagingIntact: true,
  quantitiesMatch: true,
});

const FEEDBACK = {
  channel: 'online',
  ratings: { productQuality: 5, serviceAttitude: 4, deliveryPunctuality: 5, resolutionEfficiency: 4 },
  comment: 'quick and careful',
};

// ---- talking to the API --------------------------------------------------------------

interface Api {
  call(method: string, url: string, body?: unknown, role?: Role): Promise<{ status: number; body: any }>;
}

function apiAt(baseUrl: string): Api {
  return {
    async call(method, url, body, role = 'integrator') {
      const res = await fetch(`${baseUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${KEYS[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function waitForStatus(api: Api, id: string, status: string): Promise<any> {
  return poll(`order ${id} to reach ${status}`, async () => {
    const { body } = await api.call('GET', `/v1/orders/${id}`);
    if (body?.status === 'cancelled' && status !== 'cancelled') throw new Error(`order ${id} was cancelled: ${JSON.stringify(body.timeline?.at(-1))}`);
    return body?.status === status ? body : undefined;
  });
}

/** How often a message was refused with 409 although the database already showed the status it needs. */
export const conflictsSeen: { scenario: string; url: string; times: number }[] = [];

/**
 * Sends a message the order takes only in a certain status. The API reads the status
 * from Postgres, which an activity writes a moment before the workflow applies it, so
 * right after the status shows the workflow may still refuse (409): send it again.
 */
async function sendWhenTaken(scenario: string, api: Api, url: string, body: unknown): Promise<any> {
  let refused = 0;
  const reply = await poll(`${url} to be taken`, async () => {
    const res = await api.call('POST', url, body);
    if (res.status === 409) {
      refused++;
      return undefined;
    }
    if (res.status >= 300) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  });
  if (refused > 0) conflictsSeen.push({ scenario, url, times: refused });
  return reply;
}

async function create(api: Api, body: unknown): Promise<{ id: string; number: string; workflowId: string; body: any }> {
  const res = await api.call('POST', '/v1/orders', body);
  if (res.status !== 201) throw new Error(`create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.id, number: res.body.number, workflowId: res.body.workflowId, body: res.body };
}

async function signAndRate(scenario: string, api: Api, id: string): Promise<void> {
  const delivered = await waitForStatus(api, id, 'delivered');
  await sendWhenTaken(scenario, api, `/v1/orders/${id}/sign-off`, signOffBody(delivered.number));
  await sendWhenTaken(scenario, api, `/v1/orders/${id}/feedback`, FEEDBACK);
  await waitForStatus(api, id, 'completed');
}

/** One parcel of tea: one shipment from one warehouse, whose fate the scenario sets. */
const ONE_PARCEL = [{ sku: 'TEA-OOLONG-100', quantity: 1, unitPrice: 1290 }];

async function view(api: Api, id: string): Promise<any> {
  const res = await api.call('GET', `/v1/orders/${id}`);
  if (res.status !== 200) throw new Error(`GET /v1/orders/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Created and dispatched (the workflow in TRACK): its one shipment, tracking number and all. */
async function dispatchedParcel(api: Api, backstage: Backstage, body: unknown) {
  const created = await create(api, body);
  const dispatched = await waitForStatus(api, created.id, 'dispatched');
  await backstage.workflowStatus(created.id, 'dispatched');
  const shipment = dispatched.shipments[0];
  if (dispatched.shipments.length !== 1 || !shipment?.trackingNumber) throw new Error(`expected one booked shipment, got ${JSON.stringify(dispatched.shipments)}`);
  return { ...created, shipment: shipment as { id: string; trackingNumber: string } };
}

async function incidentOf(api: Api, id: string, kind: string, status: string): Promise<any> {
  return poll(`order ${id} to have a ${kind} incident ${status}`, async () =>
    (await view(api, id)).incidents?.find((i: { kind: string; status: string }) => i.kind === kind && i.status === status),
  );
}

// ---- the back office -----------------------------------------------------------------

/** A call that must succeed (2xx), as `role`; answers the body. */
async function must(api: Api, role: Role, method: string, url: string, body?: unknown): Promise<any> {
  const res = await api.call(method, url, body, role);
  if (res.status >= 300) throw new Error(`${method} ${url} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}
const finance = (api: Api, method: string, url: string, body?: unknown) => must(api, 'finance', method, url, body);
const operator = (api: Api, method: string, url: string, body?: unknown) => must(api, 'operator', method, url, body);

async function pay(api: Api, body: Record<string, unknown>, role: Role = 'integrator'): Promise<void> {
  const res = await api.call('POST', '/v1/payments', body, role);
  if (res.status !== 201) throw new Error(`the payment ${JSON.stringify(body)} answered ${res.status}: ${JSON.stringify(res.body)}`);
}

const SETTLEMENT_ZONE = 'Europe/Berlin';
/** The month just ended: a period a run may settle. */
const lastMonth = () => previousPeriod(periodContaining('monthly', new Date(), SETTLEMENT_ZONE));
/** The fourth day of a period `YYYY-MM`, as a statement line's date. */
const dayIn = (period: string) => `${period}-04`;

/** A monthly agreement with a partner, settled in EUR (the recorder's database is new each time). */
async function newAgreement(api: Api, partner: string): Promise<{ id: string }> {
  return finance(api, 'POST', '/v1/agreements', {
    counterparty: { kind: 'partner', id: partner },
    method: 'prepaid',
    cycle: 'monthly',
    settlementDay: 5,
    settlementCurrency: 'EUR',
    timeZone: SETTLEMENT_ZONE,
  });
}

async function settlementIn(api: Api, id: string, status: string): Promise<any> {
  return poll(`settlement ${id} to reach ${status}`, async () => {
    const res = await api.call('GET', `/v1/settlements/${id}`, undefined, 'finance');
    return res.status === 200 && res.body.status === status ? res.body : undefined;
  });
}

/**
 * An instalment order completes, its first instalment is paid, finance resolves a
 * settlement discrepancy on it with `return` and the goods come back: the refund is the
 * instalment paid, and the order's workflow tells the collection the rest is forgiven.
 */
async function returnedInstalmentOrder(api: Api, backstage: Backstage, customerId: string): Promise<{ id: string }> {
  const counterparty = { kind: 'customer', id: customerId };
  const { id, number } = await create(api, order(ONE_PARCEL, { customer: { ...customer, id: customerId }, settlement: { method: 'instalments', instalments: 3 } }));
  const completed = await waitForStatus(api, id, 'completed');
  const waiting = await backstage.view<{ status: string; currency: string; instalments: { number: number; amount: number; status: string }[] }>(
    `collection-${id}`,
    (v) => v.status === 'awaiting_instalments',
  );
  const first = waiting.instalments[0]!;
  await pay(api, { orderId: id, amount: first.amount, currency: waiting.currency, method: 'bank_transfer', reference: `sepa-${number}-1`, instalmentNumber: 1 });
  await backstage.view<{ instalments: { status: string }[] }>(`collection-${id}`, (v) => v.instalments[0]?.status === 'paid');
  const agreement = await finance(api, 'POST', '/v1/agreements', {
    counterparty,
    method: 'instalments',
    cycle: 'monthly',
    settlementDay: 1,
    settlementCurrency: 'EUR',
    timeZone: SETTLEMENT_ZONE,
    tolerance: 0,
  });
  // Their statement says the sale was 1.00 more than ours (and lists no payment).
  const period = periodContaining('monthly', new Date(), SETTLEMENT_ZONE);
  const theirs = completed.total.amount + 100;
  const day = new Date().toISOString().slice(0, 10);
  const content = `reference,kind,amount,currency,date\n${number},sale,${Math.trunc(theirs / 100)}.${String(theirs % 100).padStart(2, '0')},EUR,${day}\n`;
  await finance(api, 'POST', '/v1/statements', { agreementId: agreement.id, period, format: 'csv', content });
  const run = await finance(api, 'POST', '/v1/settlements', { agreementId: agreement.id, period, closeEarly: true });
  const settled = await settlementIn(api, run.id, 'awaiting_decisions');
  const discrepancy = settled.discrepancies.find((d: { orderId: string; kind: string }) => d.orderId === id && d.kind === 'amount_differs');
  if (!discrepancy) throw new Error(`no amount_differs discrepancy on ${number}: ${JSON.stringify(settled.discrepancies)}`);
  await finance(api, 'POST', `/v1/settlements/${run.id}/discrepancies/${discrepancy.id}/resolution`, { action: 'return', note: 'sent back' });
  await waitForStatus(api, id, 'awaiting_return');
  await operator(api, 'POST', `/v1/orders/${id}/returns/received`, { discrepancyId: discrepancy.id });
  await waitForStatus(api, id, 'refunded');
  return { id };
}

// ---- scenarios -----------------------------------------------------------------------

type StackKind = 'long' | 'short' | 'exceptions' | 'paid' | 'back-office';

/** What a scenario may touch besides the API: the carrier sandbox and the workflows. */
interface Backstage {
  /** The sandbox's fate trigger (`POST /sandbox/shipments/:tn/fate`): what happens to that parcel. */
  fate(trackingNumber: string, body: Record<string, unknown>): Promise<void>;
  /** Waits until the workflow itself (its `view` query), not only the database, shows `status`. */
  workflowStatus(orderId: string, status: string): Promise<void>;
  /**
   * Polls the `view` query (every workflow type has one) of `workflowId` until `until`
   * holds: for what the API does not show, such as a collection's instalment schedule.
   */
  view<T>(workflowId: string, until: (view: T) => boolean): Promise<T>;
  /** The Temporal client, for what only Temporal knows (which launcher a Schedule started). */
  client: Client;
}

interface Scenario {
  name: string;
  /**
   * Which orderflow runs it: `long` windows wait for people, `short` ones close on their
   * own, `exceptions` has the sandbox collect parcels a month after booking (so the
   * scenario decides each parcel's fate) and waits long for the customer's answers,
   * `back-office` lets orders complete on their own and waits long for finance, carriers
   * remitting, instalments, operators and goods in transit (the other workflow types).
   */
  stack: StackKind;
  what: string;
  /** Drives one workflow (an order's, or one beside it) to its end; returns its workflow id. */
  run(api: Api, backstage: Backstage): Promise<string>;
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'prepaid-paid',
    stack: 'paid',
    what: 'a prepaid order waits for its payment before DISPATCH, is paid over the API, and completes on its own',
    async run(api) {
      const { id, workflowId } = await create(api, order(TEA_AND_MUG));
      const waiting = await waitForStatus(api, id, 'awaiting_payment');
      const paid = await api.call('POST', '/v1/payments', {
        orderId: id,
        amount: waiting.total.amount,
        currency: waiting.total.currency,
        method: 'card',
        reference: `psp-${waiting.number}`,
      });
      if (paid.status !== 201) throw new Error(`the payment answered ${paid.status}: ${JSON.stringify(paid.body)}`);
      await waitForStatus(api, id, 'completed');
      return workflowId;
    },
  },
  {
    name: 'cod-collected',
    stack: 'short',
    what: 'cash on delivery: the carrier collects at the door; SETTLE starts the collection of its remittance',
    async run(api) {
      const { id, workflowId } = await create(api, order(TEA_AND_MUG, { settlement: { method: 'cash_on_delivery' } }));
      await waitForStatus(api, id, 'completed');
      return workflowId;
    },
  },
  {
    name: 'happy-path',
    stack: 'long',
    what: 'created, delivered, signed off by the customer, rated, settled',
    async run(api) {
      const { id, workflowId } = await create(api, order(TEA_AND_MUG));
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'verification-corrected',
    stack: 'long',
    what: 'fails verification (wrong price, bad postal code), corrected, then completed',
    async run(api) {
      const bad = order([{ sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 999 }], {
        customer: { ...customer, address: { ...customer.address, postalCode: '1011' } },
      });
      const { id, workflowId, body } = await create(api, bad);
      if (body.verification?.passed !== false) throw new Error(`expected a failed verification, got ${JSON.stringify(body.verification)}`);
      await waitForStatus(api, id, 'needs_correction');
      const corrected = await sendWhenTaken(this.name, api, `/v1/orders/${id}/corrections`, {
        customer,
        items: [{ sku: 'TEA-OOLONG-100', quantity: 2, unitPrice: 1290 }],
      });
      if (corrected.verification?.passed !== true) throw new Error(`the correction did not pass: ${JSON.stringify(corrected.verification)}`);
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'stockout-cancel',
    stack: 'long',
    what: 'more kettles than there are; the customer answers the stockout with cancel',
    async run(api) {
      const { id, workflowId } = await create(api, order([{ sku: 'KETTLE-GLASS-1L', quantity: 5_000, unitPrice: 4900 }]));
      await waitForStatus(api, id, 'awaiting_stock_decision');
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/stockout-response`, { decision: 'cancel', reason: 'no longer needed' });
      await waitForStatus(api, id, 'cancelled');
      return workflowId;
    },
  },
  {
    name: 'backorder-restocked',
    stack: 'long',
    what: 'short of chairs; the customer waits, goods are received, the order completes',
    async run(api) {
      const inventory = await api.call('GET', '/v1/inventory?sku=CHAIR-OAK', undefined, 'operator');
      const available = (inventory.body.data as { available: number }[]).reduce((n, l) => n + l.available, 0);
      const wanted = available + 3;
      const { id, workflowId } = await create(api, order([{ sku: 'CHAIR-OAK', quantity: wanted, unitPrice: 18900 }]));
      await waitForStatus(api, id, 'awaiting_stock_decision');
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/stockout-response`, { decision: 'wait' });
      await waitForStatus(api, id, 'backordered');
      const receipt = await api.call('POST', '/v1/inventory/receipts', { sku: 'CHAIR-OAK', warehouse: 'MUC-1', quantity: wanted, reference: 'record-history restock' }, 'operator');
      if (receipt.status !== 201) throw new Error(`receipt answered ${receipt.status}: ${JSON.stringify(receipt.body)}`);
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'partial-restocked',
    stack: 'long',
    what: 'one lamp of three on the shelf: the customer takes it now (partial), the other two ship when they are received; both delivered, the order completes',
    async run(api) {
      const sku = 'LAMP-PARTIAL';
      const product = await api.call(
        'POST',
        '/v1/products',
        { sku, name: 'Partial lamp', spec: 'record-history', unitPrice: 6400, unitCost: 2800, currency: 'EUR', weightGrams: 1100, dimensionsCm: { length: 40, width: 18, height: 12 }, handling: 'standard' },
        'operator',
      );
      if (product.status !== 201) throw new Error(`product answered ${product.status}: ${JSON.stringify(product.body)}`);
      const first = await api.call('POST', '/v1/inventory/receipts', { sku, warehouse: 'BER-1', quantity: 1, reference: 'record-history partial 1' }, 'operator');
      if (first.status !== 201) throw new Error(`receipt answered ${first.status}: ${JSON.stringify(first.body)}`);
      const { id, workflowId } = await create(api, order([{ sku, quantity: 3, unitPrice: 6400 }]));
      await waitForStatus(api, id, 'awaiting_stock_decision');
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/stockout-response`, { decision: 'partial' });
      // The first part is delivered while the rest waits (the order stays in transit).
      await poll(`the first part of order ${id} to be delivered`, async () => (await view(api, id)).shipments.find((s: { status: string }) => s.status === 'delivered'));
      const rest = await api.call('POST', '/v1/inventory/receipts', { sku, warehouse: 'BER-1', quantity: 2, reference: 'record-history partial 2' }, 'operator');
      if (rest.status !== 201) throw new Error(`receipt answered ${rest.status}: ${JSON.stringify(rest.body)}`);
      await signAndRate(this.name, api, id);
      const done = await view(api, id);
      if (done.shipments.length !== 2) throw new Error(`expected two shipments, got ${done.shipments.length}`);
      return workflowId;
    },
  },
  {
    name: 'partial-rest-cancelled',
    stack: 'long',
    what: 'one lamp of three on the shelf: the customer takes it now (partial); with it on its way they cancel the other two; the order completes with the first part',
    async run(api) {
      const sku = 'LAMP-REST-CANCEL';
      const product = await api.call(
        'POST',
        '/v1/products',
        { sku, name: 'Lamp, rest cancelled', spec: 'record-history', unitPrice: 6400, unitCost: 2800, currency: 'EUR', weightGrams: 1100, dimensionsCm: { length: 40, width: 18, height: 12 }, handling: 'standard' },
        'operator',
      );
      if (product.status !== 201) throw new Error(`product answered ${product.status}: ${JSON.stringify(product.body)}`);
      const first = await api.call('POST', '/v1/inventory/receipts', { sku, warehouse: 'BER-1', quantity: 1, reference: 'record-history rest cancel' }, 'operator');
      if (first.status !== 201) throw new Error(`receipt answered ${first.status}: ${JSON.stringify(first.body)}`);
      const { id, workflowId } = await create(api, order([{ sku, quantity: 3, unitPrice: 6400 }]));
      await waitForStatus(api, id, 'awaiting_stock_decision');
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/stockout-response`, { decision: 'partial' });
      // With the first part delivered (the carrier has had it), only the rest can go.
      await poll(`the first part of order ${id} to be delivered`, async () => (await view(api, id)).shipments.find((s: { status: string }) => s.status === 'delivered'));
      const cancelled = await api.call('POST', `/v1/orders/${id}/cancel`, { reason: 'record-history: the rest is no longer needed' });
      if (cancelled.status !== 200 || cancelled.body.cancelled?.what !== 'rest') throw new Error(`cancel answered ${cancelled.status}: ${JSON.stringify(cancelled.body)}`);
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'split-shipment',
    stack: 'long',
    what: 'no warehouse holds everything: two shipments from two warehouses, tracked together',
    async run(api) {
      const { id, workflowId } = await create(
        api,
        order([
          { sku: 'CHAIR-OAK', quantity: 1, unitPrice: 18900 },
          { sku: 'HONEY-ACACIA-500', quantity: 2, unitPrice: 990 },
        ]),
      );
      const delivered = await waitForStatus(api, id, 'delivered');
      if (delivered.shipments.length !== 2) throw new Error(`expected two shipments, got ${delivered.shipments.length}`);
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'auto-sign-off-feedback-closed',
    stack: 'short',
    what: 'nobody signs: proof of delivery stands in; nobody rates: the feedback window closes; settled',
    async run(api) {
      const { id, workflowId } = await create(api, order(TEA_AND_MUG));
      const done = await waitForStatus(api, id, 'completed');
      const statuses = (done.timeline as { status: string }[]).map((t) => t.status);
      if (!statuses.includes('signed_off')) throw new Error(`no sign-off in ${statuses.join(', ')}`);
      return workflowId;
    },
  },
  {
    name: 'lost-replaced',
    stack: 'exceptions',
    what: 'the carrier loses the parcel; the customer chooses a replacement, which is delivered, signed, rated, settled',
    async run(api, backstage) {
      const { id, workflowId, shipment } = await dispatchedParcel(api, backstage, order(ONE_PARCEL));
      await backstage.fate(shipment.trackingNumber, { fate: 'lost' });
      const incident = await incidentOf(api, id, 'lost', 'awaiting_customer');
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/incidents/${incident.id}/resolution`, { choice: 'replacement' });
      const replacement = await poll(`the replacement of order ${id} to be booked`, async () =>
        (await view(api, id)).shipments.find((s: { replaces?: string; trackingNumber?: string }) => s.replaces === incident.id && s.trackingNumber),
      );
      await backstage.fate(replacement.trackingNumber, { fate: 'on_time' });
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'damaged-refunded',
    stack: 'exceptions',
    what: 'the carrier damages the parcel; the customer chooses a refund; the order ends refunded',
    async run(api, backstage) {
      const { id, workflowId, shipment } = await dispatchedParcel(api, backstage, order(ONE_PARCEL));
      await backstage.fate(shipment.trackingNumber, { fate: 'damaged' });
      const incident = await incidentOf(api, id, 'damaged', 'awaiting_customer');
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/incidents/${incident.id}/resolution`, { choice: 'refund' });
      await waitForStatus(api, id, 'refunded');
      return workflowId;
    },
  },
  {
    name: 'refused-returned',
    stack: 'exceptions',
    what: 'the customer refuses the parcel; it goes back, is restocked, the order is refunded',
    async run(api, backstage) {
      const { id, workflowId, shipment } = await dispatchedParcel(api, backstage, order(ONE_PARCEL));
      await backstage.fate(shipment.trackingNumber, { fate: 'refused' });
      const done = await waitForStatus(api, id, 'refunded');
      if (done.shipments[0]?.closedAs !== 'returned') throw new Error(`expected the parcel returned, got ${JSON.stringify(done.shipments)}`);
      return workflowId;
    },
  },
  {
    name: 'address-corrected',
    stack: 'exceptions',
    what: 'the carrier cannot deliver to the address; corrected during delivery, re-routed, delivered, signed, rated',
    async run(api, backstage) {
      const { id, workflowId, shipment } = await dispatchedParcel(api, backstage, order(ONE_PARCEL));
      await backstage.fate(shipment.trackingNumber, { fate: 'address_problem' });
      await incidentOf(api, id, 'address_problem', 'open');
      await backstage.workflowStatus(id, 'delivery_exception');
      const corrected = await sendWhenTaken(this.name, api, `/v1/orders/${id}/corrections`, {
        customer: { ...customer, address: { ...customer.address, line1: 'Friedrichstraße 43' } },
      });
      if (corrected.verification?.passed !== true) throw new Error(`the corrected address did not pass: ${JSON.stringify(corrected.verification)}`);
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'delay-compensated',
    stack: 'exceptions',
    what: 'the parcel is five days late, past the promise: the customer is told and compensated; signed, rated, settled',
    async run(api, backstage) {
      const { id, workflowId, shipment } = await dispatchedParcel(api, backstage, order(ONE_PARCEL));
      await backstage.fate(shipment.trackingNumber, { fate: 'delayed', days: 5 });
      const delay = await incidentOf(api, id, 'delay', 'resolved');
      if (delay.resolution?.action !== 'compensated') throw new Error(`expected compensation, got ${JSON.stringify(delay.resolution)}`);
      await signAndRate(this.name, api, id);
      return workflowId;
    },
  },
  {
    name: 'cancel-voided',
    stack: 'exceptions',
    what: 'dispatched, cancelled before the carrier collects it: the booking is voided, the order cancelled',
    async run(api, backstage) {
      const { id, workflowId } = await dispatchedParcel(api, backstage, order(ONE_PARCEL));
      await sendWhenTaken(this.name, api, `/v1/orders/${id}/cancel`, { reason: 'found it cheaper' });
      const done = await waitForStatus(api, id, 'cancelled');
      if (done.shipments[0]?.closedAs !== 'voided') throw new Error(`expected the booking voided, got ${JSON.stringify(done.shipments)}`);
      return workflowId;
    },
  },
  // ---- the workflows beside the orders ------------------------------------------------
  {
    name: 'settlement-adjusted',
    stack: 'back-office',
    what: "a partner's statement shows a sale we never recorded; the run waits for finance, who adjusts it, and settles",
    async run(api, backstage) {
      const agreement = await newAgreement(api, 'partner-record-adjusted');
      const period = lastMonth();
      await finance(api, 'POST', '/v1/statements', {
        agreementId: agreement.id,
        period,
        format: 'csv',
        content: `reference,kind,amount,currency,date\nOF-9999999,sale,12.30,EUR,${dayIn(period)}\n`,
      });
      const started = await finance(api, 'POST', '/v1/settlements', { agreementId: agreement.id, period });
      const id: string = started.id;
      const waiting = await settlementIn(api, id, 'awaiting_decisions');
      // The run's own wait, not only the row: the update is judged by the workflow.
      await backstage.view<{ openDiscrepancies: string[] }>(id, (v) => v.openDiscrepancies.length === 1);
      if (waiting.discrepancies.length !== 1) throw new Error(`expected one discrepancy, got ${JSON.stringify(waiting.discrepancies)}`);
      const [d] = waiting.discrepancies;
      const decided = await finance(api, 'POST', `/v1/settlements/${id}/discrepancies/${d.id}/resolution`, {
        action: 'adjust',
        note: 'their sale stands; we book it',
      });
      if (decided.status !== 'resolved') throw new Error(`the decision answered ${JSON.stringify(decided)}`);
      await settlementIn(api, id, 'settled');
      return id;
    },
  },
  {
    name: 'settlement-launched',
    stack: 'back-office',
    what: "an agreement's Schedule fires: its launcher names the period just ended and starts that run once",
    async run(api, backstage) {
      const agreement = await newAgreement(api, 'partner-record-launched');
      const fired = await api.call('POST', `/v1/agreements/${agreement.id}/schedule/trigger`, {}, 'finance');
      if (fired.status !== 202) throw new Error(`the trigger answered ${fired.status}: ${JSON.stringify(fired.body)}`);
      const launcherId = await poll(`the Schedule of ${agreement.id} to start its launcher`, async () => {
        const described = await backstage.client.schedule.getHandle(fired.body.scheduleId).describe();
        return described.info.recentActions[0]?.action.workflow.workflowId;
      });
      // The run it started settles too (nothing to reconcile), so nothing is left running.
      await settlementIn(api, `settlement-${agreement.id}-${lastMonth()}`, 'settled');
      return launcherId;
    },
  },
  {
    name: 'collection-cod-remitted',
    stack: 'back-office',
    what: 'a cash-on-delivery order completes; its collection waits for the carrier, which remits the cash (POST /v1/payments)',
    async run(api, backstage) {
      const { id } = await create(api, order(TEA_AND_MUG, { settlement: { method: 'cash_on_delivery' } }));
      const done = await waitForStatus(api, id, 'completed');
      const workflowId = `collection-${id}`;
      const waiting = await backstage.view<{ status: string; expected: number; currency: string; carrier: string }>(workflowId, (v) => v.status === 'awaiting_remittance');
      await pay(api, { orderId: id, amount: waiting.expected, currency: waiting.currency, method: 'cod_remittance', reference: `remit-${done.number}`, carrier: waiting.carrier }, 'carrier');
      return workflowId;
    },
  },
  {
    name: 'collection-instalments-paid',
    stack: 'back-office',
    what: 'an order paid in three instalments completes; each instalment is paid by its number before it falls due',
    async run(api, backstage) {
      const { id } = await create(api, order(TEA_AND_MUG, { settlement: { method: 'instalments', instalments: 3 } }));
      const done = await waitForStatus(api, id, 'completed');
      const workflowId = `collection-${id}`;
      const waiting = await backstage.view<{ status: string; currency: string; instalments: { number: number; amount: number }[] }>(
        workflowId,
        (v) => v.status === 'awaiting_instalments',
      );
      if (waiting.instalments.length !== 3) throw new Error(`expected three instalments, got ${JSON.stringify(waiting.instalments)}`);
      for (const i of waiting.instalments) {
        await pay(api, { orderId: id, amount: i.amount, currency: waiting.currency, method: 'bank_transfer', reference: `sepa-${done.number}-${i.number}`, instalmentNumber: i.number });
      }
      return workflowId;
    },
  },
  {
    name: 'replenishment-transferred',
    stack: 'back-office',
    what: 'a safety stock set above what Berlin holds: the replenishment sends a transfer from Munich, which is received; restocked',
    async run(api) {
      const sku = 'RECORD-REPL-1';
      await operator(api, 'POST', '/v1/products', {
        sku,
        name: 'Recorded replenishment',
        spec: 'test item',
        unitPrice: 1000,
        unitCost: 400,
        currency: 'EUR',
        weightGrams: 300,
        dimensionsCm: { length: 10, width: 10, height: 10 },
        handling: 'standard',
      });
      await operator(api, 'POST', '/v1/inventory/receipts', { warehouse: 'MUC-1', sku, quantity: 20 });
      await operator(api, 'PUT', `/v1/inventory/${sku}/thresholds`, { warehouse: 'BER-1', safetyStock: 2, reorderQuantity: 2 });
      const transfer = await poll('the replenishment to send a transfer', async () => (await api.call('GET', `/v1/inventory/transfers?sku=${sku}`, undefined, 'operator')).body?.data?.[0]);
      if (transfer.from !== 'MUC-1' || transfer.to !== 'BER-1') throw new Error(`expected a transfer from MUC-1 to BER-1, got ${JSON.stringify(transfer)}`);
      await operator(api, 'POST', `/v1/inventory/transfers/${transfer.id}/receipt`);
      return `replenishment-${sku}-BER-1`;
    },
  },
  {
    name: 'complaint-resolved',
    stack: 'back-office',
    what: 'a complaint about an order is answered by an operator, then resolved, within its deadlines',
    async run(api, backstage) {
      const { id } = await create(api, order(TEA_AND_MUG));
      const filed = await api.call('POST', `/v1/orders/${id}/complaints`, { category: 'delivery', message: 'The box arrived dented', channel: 'phone' });
      if (filed.status !== 201) throw new Error(`the complaint answered ${filed.status}: ${JSON.stringify(filed.body)}`);
      const workflowId: string = filed.body.workflowId;
      await operator(api, 'POST', `/v1/complaints/${filed.body.id}/responses`, { message: 'Sorry: we are looking into it', by: 'Olga' });
      // Each answer its own signal in the history.
      await backstage.view<{ status: string }>(workflowId, (v) => v.status === 'responded');
      await operator(api, 'POST', `/v1/complaints/${filed.body.id}/responses`, { message: 'A new box is on its way', by: 'Olga', resolve: true });
      return workflowId;
    },
  },
  {
    name: 'return-aftercare-instalments',
    stack: 'back-office',
    what: "an instalment order, first instalment paid, completed; finance resolves a discrepancy with `return`: a new run takes the goods back, refunds the instalment paid and tells the collection the rest is forgiven",
    async run(api, backstage) {
      const { id } = await returnedInstalmentOrder(api, backstage, 'cust-record-return-order');
      return orderWorkflowId(id);
    },
  },
  {
    name: 'collection-instalments-returned',
    stack: 'back-office',
    what: 'the collection of an instalment order returned after its first instalment: the return forgives the rest, instalments 2 and 3 are cancelled and the collection ends closed_by_return',
    async run(api, backstage) {
      const { id } = await returnedInstalmentOrder(api, backstage, 'cust-record-return-collection');
      return `collection-${id}`;
    },
  },
  {
    name: 'reship-aftercare',
    stack: 'short',
    what: "completed, then finance resolves a settlement discrepancy on it with `reship`: a new run of the order's workflow ships the goods again, tracks them to the door, and completes again",
    async run(api) {
      const counterparty = { kind: 'customer', id: 'cust-record-aftercare' };
      const { id, number, workflowId } = await create(api, order(ONE_PARCEL, { customer: { ...customer, id: counterparty.id } }));
      const completed = await waitForStatus(api, id, 'completed');
      const agreement = await api.call(
        'POST',
        '/v1/agreements',
        { counterparty, method: 'prepaid', cycle: 'monthly', settlementDay: 1, settlementCurrency: 'EUR', timeZone: 'Europe/Berlin', tolerance: 0 },
        'finance',
      );
      if (agreement.status !== 201) throw new Error(`the agreement answered ${agreement.status}: ${JSON.stringify(agreement.body)}`);
      // Their statement says the sale was 1.00 more than ours: a discrepancy on the order.
      const period = periodContaining('monthly', new Date(), 'Europe/Berlin');
      const theirs = completed.total.amount + 100;
      const day = new Date().toISOString().slice(0, 10);
      const content = `reference,kind,amount,currency,date\n${number},sale,${Math.trunc(theirs / 100)}.${String(theirs % 100).padStart(2, '0')},EUR,${day}\n`;
      const statement = await api.call('POST', '/v1/statements', { agreementId: agreement.body.id, period, format: 'csv', content }, 'finance');
      if (statement.status !== 201) throw new Error(`the statement answered ${statement.status}: ${JSON.stringify(statement.body)}`);
      const run = await api.call('POST', '/v1/settlements', { agreementId: agreement.body.id, period, closeEarly: true }, 'finance');
      const settlementId = run.body.id as string;
      const discrepancy = await poll('the discrepancy on the order', async () => {
        const res = await api.call('GET', `/v1/settlements/${settlementId}`, undefined, 'finance');
        return res.body?.status === 'awaiting_decisions' ? res.body.discrepancies.find((d: { orderId: string }) => d.orderId === id) : undefined;
      });
      const decided = await api.call('POST', `/v1/settlements/${settlementId}/discrepancies/${discrepancy.id}/resolution`, { action: 'reship', note: 'never arrived' }, 'finance');
      if (decided.status !== 200) throw new Error(`the reship answered ${decided.status}: ${JSON.stringify(decided.body)}`);
      await poll('the reship to be carried out', async () => {
        const res = await api.call('GET', `/v1/settlements/${settlementId}`, undefined, 'finance');
        const d = res.body.discrepancies.find((x: { id: string }) => x.id === discrepancy.id);
        return d?.resolution?.carriedOut?.status === 'done' ? true : undefined;
      });
      return workflowId;
    },
  },
];

// ---- the stack -----------------------------------------------------------------------

const COMMON_ENV = {
  // Histories are sealed with the fixtures' key, which the replay test holds too.
  ORDERFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
  PORT: '0',
  CARRIER_SANDBOX_PORT: '0',
  ORDERFLOW_TIME_SCALE: '0.00001',
  ORDERFLOW_CORRECTION_WINDOW: '1000d',
  ORDERFLOW_STOCK_DECISION_WINDOW: '1000d',
  // Back-ordered orders wait for the receipt's signal, not for a recheck every 36 ms.
  ORDERFLOW_STOCK_RECHECK_INTERVAL: '1000d',
  // The scenarios recorded so far pay nothing: their orders dispatch unpaid, as recorded.
  ORDERFLOW_REQUIRE_PREPAYMENT: 'off',
  // The recorder polls every 50 ms with one key: not a client the per-key rate limit is for.
  ORDERFLOW_RATE_LIMIT_PER_MINUTE: '100000000',
};
const WINDOWS = {
  long: { ORDERFLOW_SIGN_OFF_WINDOW: '1000d', ORDERFLOW_FEEDBACK_WINDOW: '1000d' },
  // A day each: under a second at this time scale.
  short: { ORDERFLOW_SIGN_OFF_WINDOW: '1d', ORDERFLOW_FEEDBACK_WINDOW: '1d' },
  // As tests/e2e/delivery-exceptions.test.ts: parcels are collected a month after booking
  // (26 s here), so nothing happens to one before its scenario sets its fate, and every
  // question to the customer waits for the scenario's answer.
  exceptions: {
    ORDERFLOW_SIGN_OFF_WINDOW: '1000d',
    ORDERFLOW_FEEDBACK_WINDOW: '1000d',
    CARRIER_SANDBOX_PICKUP_AFTER: '30d',
    ORDERFLOW_INCIDENT_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_SHIP_DATE_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_DELIVERY_CONFIRMATION_WINDOW: '1000d',
    ORDERFLOW_RETURN_WAIT: '1000d',
  },
  // Short windows, and a prepaid order waits for its payment as it does in production.
  paid: { ORDERFLOW_SIGN_OFF_WINDOW: '1d', ORDERFLOW_FEEDBACK_WINDOW: '1d', ORDERFLOW_REQUIRE_PREPAYMENT: 'on', ORDERFLOW_PREPAYMENT_WINDOW: '1000d' },
  // Orders complete on their own; every wait of the other workflows outlasts its scenario,
  // so each history shows the path its scenario drove, never a reminder or a flag.
  'back-office': {
    ORDERFLOW_SIGN_OFF_WINDOW: '1d',
    ORDERFLOW_FEEDBACK_WINDOW: '1d',
    ORDERFLOW_SETTLEMENT_DECISION_WAIT: '1000d',
    ORDERFLOW_COD_REMITTANCE_WINDOW: '1000d',
    ORDERFLOW_COD_REMITTANCE_GRACE: '1000d',
    ORDERFLOW_INSTALMENT_INTERVAL: '1000d',
    ORDERFLOW_DUNNING_INTERVAL: '1000d',
    ORDERFLOW_COMPLAINT_RESPONSE_WINDOW: '1000d',
    ORDERFLOW_COMPLAINT_ESCALATION_WINDOW: '1000d',
    ORDERFLOW_TRANSFER_LEAD_TIME: '1000d',
    ORDERFLOW_REPLENISHMENT_GRACE: '1000d',
  },
} satisfies Record<StackKind, Record<string, string>>;

function backstageOf(running: RunningOrderflow): Backstage {
  return {
    async fate(trackingNumber, body) {
      const res = await fetch(`${running.sandboxUrl}/sandbox/shipments/${encodeURIComponent(trackingNumber)}/fate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`the fate ${JSON.stringify(body)} of ${trackingNumber} answered ${res.status}: ${await res.text()}`);
    },
    async workflowStatus(orderId, status) {
      const handle = running.client.workflow.getHandle(orderWorkflowId(orderId));
      await poll(`the workflow of order ${orderId} to reach ${status}`, async () =>
        (await handle.query<{ status: string }>('view')).status === status ? true : undefined,
      );
    },
    async view<T>(workflowId: string, until: (view: T) => boolean) {
      const handle = running.client.workflow.getHandle(workflowId);
      return poll(`the view of ${workflowId}`, async () => {
        // Not started yet (a collection starts as its order completes): ask again.
        const seen = await handle.query<T>('view').catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
        return seen !== undefined && until(seen) ? seen : undefined;
      });
    },
    client: running.client,
  };
}

async function withOrderflow<T>(
  kind: StackKind,
  deps: { db: Database; temporal: DevServer; dataDir: string },
  work: (running: RunningOrderflow, api: Api) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ ...COMMON_ENV, ...WINDOWS[kind], ORDERFLOW_DATA_DIR: path.join(deps.dataDir, kind) });
  const running = await startOrderflow({
    config,
    db: deps.db.db,
    temporal: { address: deps.temporal.address, namespace: deps.temporal.namespace },
    apiKeys: Object.entries(KEYS).map(([role, key]) => ({ role: role as Role, key })),
    log: () => undefined,
  });
  try {
    return await work(running, apiAt(running.apiUrl!));
  } finally {
    await running.stop();
  }
}

async function main(only: string[]): Promise<void> {
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`no scenario ${unknown.join(', ')}; there are: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const chosen = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));

  // The workers log business failures (a stockout, a failed verification) as warnings: expected here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-record-'));
  const stops: (() => Promise<void>)[] = [async () => fs.rmSync(dataDir, { recursive: true, force: true })];
  const started = Date.now();
  try {
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), ephemeral: true, log: say });
    stops.push(() => postgres.stop());
    const db = await openDatabase({ kind: 'postgres', url: postgres.adminUrl });
    stops.push(() => db.close());
    await db.migrate();
    await seedDemoCatalogue(db.db);

    const binary = await locateTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, projectDir: REPO_ROOT, log: say });
    const temporal = await startDevServer({
      binary,
      port: 0,
      uiPort: false,
      searchAttributes: ORDER_SEARCH_ATTRIBUTES,
      logFile: path.join(dataDir, 'temporal.log'),
      log: say,
    });
    stops.push(() => temporal.stop());

    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const kind of Object.keys(WINDOWS) as StackKind[]) {
      const mine = chosen.filter((s) => s.stack === kind);
      if (mine.length === 0) continue;
      await withOrderflow(kind, { db, temporal, dataDir }, async (running, api) => {
        // One after another: each history then shows one order's life, undisturbed.
        for (const scenario of mine) {
          const t0 = Date.now();
          const workflowId = await scenario.run(api, backstageOf(running));
          const handle = running.client.workflow.getHandle(workflowId);
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(HISTORIES_DIR, `${scenario.name}.json`);
          fs.writeFileSync(file, historyToJson(history));
          say(`${scenario.name}: ${history.events?.length ?? 0} events, ${fs.statSync(file).size} bytes, ${Date.now() - t0} ms — ${scenario.what}`);
        }
      });
    }
    for (const c of conflictsSeen) say(`note: ${c.scenario}: ${c.url} was refused with 409 ${c.times} time(s) before the workflow took it`);
    say(`done in ${Date.now() - started} ms; histories in ${path.relative(process.cwd(), HISTORIES_DIR)}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => say(`while stopping: ${String(err)}`));
  }
}

// Run as a script (tsx), not when the replay test imports the codec above.
if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
