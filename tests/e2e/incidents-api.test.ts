import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { deliveryConfirmations, incidents, ledgerEntries, shipDateProposals, shipments } from '../../src/db/schema';
import { startCarrierGate } from '../helpers/carrier-gate';
import { sampleOrder, waitForStatus } from '../helpers/orders';
import { expectProblem, fields } from '../helpers/problem';
import { TEST_KEYS, startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// The API of delivery exceptions (R3.10, R4.8–R4.10, R3.3, R5.1): what it accepts and
// refuses, who may call it, and what it reads back. The workflow's handling of the new
// messages is not this file's business: a report is asserted to reach the order as a
// signal, nothing more; incidents to list and summarise are written here as fixtures.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);

describe('delivery exception, incident and improvement API', () => {
  let stack: TestStack;
  let gate: Awaited<ReturnType<typeof startCarrierGate>>;
  /** One order that has reached `delivered`, shared by the tests that only read it or are refused. */
  let delivered: { id: string; number: string; total: number };

  beforeAll(async () => {
    gate = await startCarrierGate();
    stack = await startTestStack({ CARRIER_API_URL: gate.url });
    gate.target = stack.sandboxUrl;
    await seedDemoCatalogue(stack.db);
    delivered = await deliveredOrder();
  });
  afterEach(() => gate?.open());
  afterAll(async () => {
    await stack?.stop();
    await gate?.stop();
  });

  async function deliveredOrder() {
    const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
    expect(created.status).toBe(201);
    const order = await waitForStatus(stack, created.body.id, 'delivered');
    return { id: order.id as string, number: order.number as string, total: order.total.amount as number };
  }

  const signalsOf = async (orderId: string, name: string) => {
    const history = await stack.running.client.workflow.getHandle(`order-${orderId}`).fetchHistory();
    const sealed = (history.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes)
      .filter((a) => a?.signalName === name)
      .map((a) => a!.input!.payloads![0]!);
    // The history holds them encrypted: opened with the stack's payload codec.
    return (await stack.running.codec.decode(sealed)).map((p) => JSON.parse(Buffer.from(p.data!).toString('utf8')));
  };
  const incidentRows = (orderId: string) => stack.db.select().from(incidents).where(eq(incidents.orderId, orderId));

  /** An incident row as the workflow would write it, for an order that exists. */
  async function insertIncident(orderId: string, values: Partial<typeof incidents.$inferInsert> = {}) {
    const [row] = await stack.db
      .insert(incidents)
      .values({ id: randomUUID(), orderId, kind: 'delay', status: 'open', reportedBy: 'carrier', shipmentIds: [], ...values })
      .returning();
    return row!;
  }

  describe('POST /v1/orders/{id}/delivery-exceptions', () => {
    /**
     * The order reports are accepted for. Once the workflow acts on them its status,
     * incidents and money change: the other tests read `delivered`, which gets none.
     */
    let reported: { id: string; number: string };
    beforeAll(async () => {
      reported = await deliveredOrder();
    });

    const report = (id: string, body: unknown, key: string = TEST_KEYS.integrator) =>
      stack.api('POST', `/v1/orders/${id}/delivery-exceptions`, { body, key });

    it('refuses a bad report naming the field, and nothing reaches the order', async () => {
      const [shipment] = await stack.db.select().from(shipments).where(eq(shipments.orderId, delivered.id));
      const cases: [unknown, string][] = [
        [{ reportedBy: 'customer' }, 'kind'],
        [{ kind: 'stolen', reportedBy: 'customer' }, 'kind'],
        [{ kind: 'lost' }, 'reportedBy'],
        [{ kind: 'lost', reportedBy: 'neighbour' }, 'reportedBy'],
        [{ kind: 'delay', reportedBy: 'carrier' }, 'newEta'],
        [{ kind: 'delay', reportedBy: 'carrier', newEta: '12/24/2026' }, 'newEta'],
        [{ kind: 'delay', reportedBy: 'carrier', newEta: '2026-02-30' }, 'newEta'],
        [{ kind: 'lost', reportedBy: 'carrier', shipmentId: 'parcel-1' }, 'shipmentId'],
        [{ kind: 'lost', reportedBy: 'carrier', shipmentId: randomUUID() }, 'shipmentId'],
        [{ kind: 'lost', reportedBy: 'carrier', detail: '' }, 'detail'],
        [{ kind: 'lost', reportedBy: 'carrier', severity: 'high' }, 'severity'],
      ];
      for (const [body, field] of cases) {
        const res = await report(delivered.id, body);
        expectProblem(res, 422);
        expect(fields(res), JSON.stringify(body)).toContain(field);
      }
      expect(shipment).toBeDefined();
      expect(await incidentRows(delivered.id)).toEqual([]);
      expect(await signalsOf(delivered.id, 'deliveryException')).toEqual([]);
    });

    it('accepts a report on a delivered order: 202 with a new incident id, signalled to the order', async () => {
      const [shipment] = await stack.db.select().from(shipments).where(eq(shipments.orderId, reported.id));
      const res = await report(reported.id, { kind: 'damaged', reportedBy: 'customer', shipmentId: shipment!.id, detail: 'box crushed' });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.incidentId).toMatch(UUID);
      expect(res.headers.get('location')).toBe(`/v1/orders/${reported.id}`);
      const signals = await signalsOf(reported.id, 'deliveryException');
      expect(signals).toContainEqual({ kind: 'damaged', reportedBy: 'customer', shipmentId: shipment!.id, detail: 'box crushed', incidentId: res.body.incidentId });

      // By number too, and a delay carries its new date.
      const byNumber = await report(reported.number.toLowerCase(), { kind: 'delay', reportedBy: 'operator', newEta: '2030-01-15' }, TEST_KEYS.operator);
      expect(byNumber.status, JSON.stringify(byNumber.body)).toBe(202);
      expect(byNumber.body.incidentId).toMatch(UUID);
      expect(byNumber.body.incidentId).not.toBe(res.body.incidentId);
    });

    it('lets a carrier report but not resolve; finance may do neither', async () => {
      const carrier = await report(reported.id, { kind: 'lost', reportedBy: 'carrier' }, TEST_KEYS.carrier);
      expect(carrier.status, JSON.stringify(carrier.body)).toBe(202);
      expect(carrier.body.incidentId).toMatch(UUID);

      const resolve = await stack.api('POST', `/v1/orders/${reported.id}/incidents/${carrier.body.incidentId}/resolution`, {
        body: { choice: 'refund' },
        key: TEST_KEYS.carrier,
      });
      expectProblem(resolve, 403);
      expectProblem(await report(reported.id, { kind: 'lost', reportedBy: 'carrier' }, TEST_KEYS.finance), 403);
      expectProblem(await report(reported.id, { kind: 'lost', reportedBy: 'carrier' }, null as unknown as string), 401);
    });

    it('is a 404 for an order that does not exist', async () => {
      expectProblem(await report(randomUUID(), { kind: 'lost', reportedBy: 'carrier' }), 404);
      expectProblem(await report('OF-999999999', { kind: 'lost', reportedBy: 'carrier' }), 404);
      expectProblem(await report('not-an-order', { kind: 'lost', reportedBy: 'carrier' }), 404);
    });

    it('is a 409 before the order is dispatched, and after it has ended', async () => {
      gate.close();
      const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
      expect(created.status).toBe(201);
      const id: string = created.body.id;
      await waitForStatus(stack, id, 'reserved');
      // Held asking the carriers for rates: reserved, not yet planned or dispatched.
      await waitFor(() => gate.heldCount() > 0, { timeoutMs: 10_000, message: 'the order to ask for rates' });

      const early = await report(id, { kind: 'lost', reportedBy: 'customer' });
      expectProblem(early, 409);
      expect(early.body.detail).toMatch(/not been dispatched/);
      expect(await incidentRows(id)).toEqual([]);
      expect(await signalsOf(id, 'deliveryException')).toEqual([]);

      const handle = stack.running.client.workflow.getHandle(`order-${id}`);
      const cancelling = stack.api('POST', `/v1/orders/${id}/cancel`, { body: { reason: 'changed my mind' } });
      await waitFor(
        async () => {
          const history = await handle.fetchHistory();
          return history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'cancel');
        },
        { timeoutMs: 10_000, message: 'the order to accept the cancellation' },
      );
      gate.open();
      expect((await cancelling).status).toBe(200);
      await waitForStatus(stack, id, 'cancelled');

      const late = await report(id, { kind: 'lost', reportedBy: 'customer' });
      expectProblem(late, 409);
      expect(late.body.detail).toMatch(/ended/);
    });
  });

  describe('the order messages', () => {
    it('refuses bad bodies naming the field, and changes nothing', async () => {
      const { id } = delivered;
      const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
      const post = (path: string, body: unknown, key: string) => stack.api('POST', `/v1/orders/${id}${path}`, { body, key });
      const incidentId = randomUUID();
      const cases: [string, unknown, string, string][] = [
        [`/incidents/${incidentId}/resolution`, {}, TEST_KEYS.integrator, 'choice'],
        [`/incidents/${incidentId}/resolution`, { choice: 'exchange' }, TEST_KEYS.integrator, 'choice'],
        ['/ship-date', { reason: 'warehouse closed' }, TEST_KEYS.operator, 'proposedShipDate'],
        ['/ship-date', { proposedShipDate: '2020-01-02', reason: 'warehouse closed' }, TEST_KEYS.operator, 'proposedShipDate'],
        ['/ship-date', { proposedShipDate: 'next monday', reason: 'warehouse closed' }, TEST_KEYS.operator, 'proposedShipDate'],
        ['/ship-date', { proposedShipDate: '2099-01-02' }, TEST_KEYS.operator, 'reason'],
        ['/ship-date/response', { accept: 'yes' }, TEST_KEYS.integrator, 'accept'],
        ['/ship-date/response', {}, TEST_KEYS.integrator, 'accept'],
        ['/delivery-confirmation', { window: { from: inFuture(HOUR), to: inFuture(2 * HOUR) } }, TEST_KEYS.integrator, 'addressConfirmed'],
        ['/delivery-confirmation', { addressConfirmed: true, window: { from: inFuture(2 * HOUR), to: inFuture(HOUR) } }, TEST_KEYS.integrator, 'window.to'],
        ['/delivery-confirmation', { addressConfirmed: true, window: { from: inFuture(HOUR), to: inFuture(61 * DAY) } }, TEST_KEYS.integrator, 'window.to'],
        ['/delivery-confirmation', { addressConfirmed: true, window: { from: inFuture(-HOUR), to: inFuture(HOUR) } }, TEST_KEYS.integrator, 'window.from'],
        ['/delivery-confirmation', { addressConfirmed: true, window: { from: 'tomorrow', to: inFuture(HOUR) } }, TEST_KEYS.integrator, 'window.from'],
        ['/delivery-confirmation', { addressConfirmed: true, window: { from: inFuture(HOUR) } }, TEST_KEYS.integrator, 'window.to'],
      ];
      for (const [path, body, key, field] of cases) {
        const res = await post(path, body, key);
        expectProblem(res, 422);
        expect(fields(res), `${path} ${JSON.stringify(body)}`).toContain(field);
      }
      expect(await stack.db.select().from(shipDateProposals).where(eq(shipDateProposals.orderId, id))).toEqual([]);
      expect(await stack.db.select().from(deliveryConfirmations).where(eq(deliveryConfirmations.orderId, id))).toEqual([]);
      const history = await stack.running.client.workflow.getHandle(`order-${id}`).fetchHistory();
      const updates = (history.events ?? []).map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name).filter(Boolean);
      expect(updates.filter((u) => ['chooseResolution', 'proposeShipDate', 'respondToShipDate', 'confirmDelivery', 'expedite'].includes(u!))).toEqual([]);
      const order = await stack.api('GET', `/v1/orders/${id}`);
      expect(order.body.status).toBe('delivered');
      expect(order.body.shipDateProposals).toEqual([]);
      expect(order.body.deliveryConfirmation).toBeNull();
    });

    it('lets only the right role send each message', async () => {
      const { id } = delivered;
      const incidentId = randomUUID();
      const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
      const denied: [string, unknown, string][] = [
        [`/incidents/${incidentId}/resolution`, { choice: 'refund' }, TEST_KEYS.operator],
        [`/incidents/${incidentId}/expedite`, undefined, TEST_KEYS.integrator],
        ['/ship-date', { proposedShipDate: tomorrow, reason: 'late stock' }, TEST_KEYS.integrator],
        ['/ship-date/response', { accept: true }, TEST_KEYS.operator],
        ['/delivery-confirmation', { addressConfirmed: true, window: { from: new Date().toISOString(), to: new Date(Date.now() + HOUR).toISOString() } }, TEST_KEYS.carrier],
      ];
      for (const [path, body, key] of denied) expectProblem(await stack.api('POST', `/v1/orders/${id}${path}`, { body, key }), 403);
    });

    it('is a 404 for an unknown order, an unknown incident, or another order’s incident', async () => {
      const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
      const window = { from: new Date().toISOString(), to: new Date(Date.now() + HOUR).toISOString() };
      const unknown = randomUUID();
      const calls: [string, unknown, string][] = [
        [`/v1/orders/${unknown}/incidents/${randomUUID()}/resolution`, { choice: 'refund' }, TEST_KEYS.integrator],
        [`/v1/orders/${unknown}/incidents/${randomUUID()}/expedite`, undefined, TEST_KEYS.operator],
        [`/v1/orders/${unknown}/ship-date`, { proposedShipDate: tomorrow, reason: 'late stock' }, TEST_KEYS.operator],
        [`/v1/orders/${unknown}/ship-date/response`, { accept: true }, TEST_KEYS.integrator],
        [`/v1/orders/${unknown}/delivery-confirmation`, { addressConfirmed: true, window }, TEST_KEYS.integrator],
        ['/v1/orders/OF-999999999/ship-date/response', { accept: false }, TEST_KEYS.integrator],
        [`/v1/orders/${delivered.id}/incidents/not-an-incident/resolution`, { choice: 'refund' }, TEST_KEYS.integrator],
        [`/v1/orders/${delivered.id}/incidents/not-an-incident/expedite`, undefined, TEST_KEYS.operator],
      ];
      for (const [url, body, key] of calls) expectProblem(await stack.api('POST', url, { body, key }), 404);

      // An incident that belongs to another order is not this order's to resolve.
      const other = await deliveredOrder();
      const theirs = await insertIncident(other.id, { kind: 'lost', status: 'awaiting_customer', options: ['replacement', 'refund'] });
      const res = await stack.api('POST', `/v1/orders/${delivered.id}/incidents/${theirs.id}/resolution`, { body: { choice: 'refund' } });
      expectProblem(res, 404);
      expect(res.body.detail).toMatch(/no incident/);
      expectProblem(await stack.api('POST', `/v1/orders/${delivered.id}/incidents/${theirs.id}/expedite`, { key: TEST_KEYS.operator }), 404);
    });
  });

  describe('improvements (R4.10)', () => {
    const finding = { carrier: 'sandbox-parcel', from: '2026-01-01', to: '2026-03-31', note: 'lost parcels on the Berlin lane' };
    const body = { title: 'Seal fragile parcels', finding, action: 'double-wall boxes for the lane', owner: 'ops-lead', dueDate: '2026-12-31' };

    it('creates, reads, lists, filters and follows up an improvement', async () => {
      const created = await stack.api('POST', '/v1/improvements', { body, key: TEST_KEYS.operator });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ ...body, status: 'planned', id: expect.stringMatching(UUID) });
      expect(Date.now() - Date.parse(created.body.startedAt)).toBeLessThan(60_000);
      expect(created.headers.get('location')).toBe(`/v1/improvements/${created.body.id}`);

      const read = await stack.api('GET', created.headers.get('location')!, { key: TEST_KEYS.finance });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(created.body);

      const second = await stack.api('POST', '/v1/improvements', {
        body: { ...body, title: 'Check addresses', finding: { kind: 'address_problem', from: '2026-02-01T00:00:00Z', to: '2026-02-28T00:00:00Z' }, owner: 'cs-lead', status: 'in_progress', startedAt: '2026-03-01T00:00:00Z' },
        key: TEST_KEYS.operator,
      });
      expect(second.status, JSON.stringify(second.body)).toBe(201);
      expect(second.body).toMatchObject({ status: 'in_progress', owner: 'cs-lead', startedAt: '2026-03-01T00:00:00.000Z' });

      const all = await stack.api('GET', '/v1/improvements');
      expect(all.status).toBe(200);
      const ids = all.body.data.map((i: { id: string }) => i.id);
      expect(ids.indexOf(second.body.id)).toBeLessThan(ids.indexOf(created.body.id));
      const byOwner = await stack.api('GET', '/v1/improvements?owner=cs-lead');
      expect(byOwner.body.data.map((i: { id: string }) => i.id)).toEqual([second.body.id]);
      const byStatus = await stack.api('GET', '/v1/improvements?status=planned,done');
      expect(byStatus.body.data.map((i: { id: string }) => i.id)).toContain(created.body.id);
      expect(byStatus.body.data.map((i: { id: string }) => i.id)).not.toContain(second.body.id);
      expectProblem(await stack.api('GET', '/v1/improvements?status=forgotten'), 422);

      const patched = await stack.api('PATCH', `/v1/improvements/${created.body.id}`, { body: { status: 'done', dueDate: '2026-11-30' }, key: TEST_KEYS.operator });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({ id: created.body.id, status: 'done', dueDate: '2026-11-30', owner: 'ops-lead', title: body.title });
      expect((await stack.api('GET', `/v1/improvements/${created.body.id}`)).body).toMatchObject({ status: 'done', dueDate: '2026-11-30' });
      const done = await stack.api('GET', '/v1/improvements?status=done&owner=ops-lead');
      expect(done.body.data.map((i: { id: string }) => i.id)).toContain(created.body.id);
    });

    it('refuses bad improvements naming the field, and stores nothing', async () => {
      const before = (await stack.api('GET', '/v1/improvements')).body.data.length;
      const cases: [unknown, string][] = [
        [{ ...body, title: undefined }, 'title'],
        [{ ...body, finding: { from: '2026-01-01', to: '2026-02-01' } }, 'finding'],
        [{ ...body, finding: { ...finding, kind: 'stolen' } }, 'finding.kind'],
        [{ ...body, finding: { ...finding, from: undefined } }, 'finding.from'],
        [{ ...body, finding: { ...finding, from: '2026-04-01' } }, 'finding.to'],
        [{ ...body, action: '' }, 'action'],
        [{ ...body, owner: undefined }, 'owner'],
        [{ ...body, dueDate: '31.12.2026' }, 'dueDate'],
        [{ ...body, status: 'someday' }, 'status'],
        [{ ...body, startedAt: 'yesterday' }, 'startedAt'],
        [{ ...body, budget: 100 }, 'budget'],
      ];
      for (const [bad, field] of cases) {
        const res = await stack.api('POST', '/v1/improvements', { body: bad, key: TEST_KEYS.operator });
        expectProblem(res, 422);
        expect(fields(res), JSON.stringify(bad)).toContain(field);
      }
      expect((await stack.api('GET', '/v1/improvements')).body.data.length).toBe(before);

      const created = await stack.api('POST', '/v1/improvements', { body, key: TEST_KEYS.operator });
      const url = `/v1/improvements/${created.body.id}`;
      const empty = await stack.api('PATCH', url, { body: {}, key: TEST_KEYS.operator });
      expectProblem(empty, 422);
      const badStatus = await stack.api('PATCH', url, { body: { status: 'someday' }, key: TEST_KEYS.operator });
      expectProblem(badStatus, 422);
      expect(fields(badStatus)).toContain('status');
      const badTitle = await stack.api('PATCH', url, { body: { title: 'renamed' }, key: TEST_KEYS.operator });
      expect(fields(badTitle)).toContain('title');
      expect((await stack.api('GET', url)).body).toEqual(created.body);
    });

    it('is operator-written, reader-read, and a 404 when unknown', async () => {
      expectProblem(await stack.api('POST', '/v1/improvements', { body, key: TEST_KEYS.integrator }), 403);
      expectProblem(await stack.api('POST', '/v1/improvements', { body, key: TEST_KEYS.carrier }), 403);
      expectProblem(await stack.api('GET', '/v1/improvements', { key: TEST_KEYS.carrier }), 403);
      expectProblem(await stack.api('GET', `/v1/improvements/${randomUUID()}`), 404);
      expectProblem(await stack.api('GET', '/v1/improvements/nope'), 404);
      expectProblem(await stack.api('PATCH', `/v1/improvements/${randomUUID()}`, { body: { status: 'done' }, key: TEST_KEYS.operator }), 404);
      const created = await stack.api('POST', '/v1/improvements', { body, key: TEST_KEYS.operator });
      expectProblem(await stack.api('PATCH', `/v1/improvements/${created.body.id}`, { body: { status: 'done' }, key: TEST_KEYS.finance }), 403);
    });
  });

  describe('incident list and summary', () => {
    const LANE_A = 'DE-BE>DE-HH';
    const LANE_B = 'DE-BE>AT-W';
    let fixture: Awaited<ReturnType<typeof insertIncident>>[];
    let orderOf: Record<string, { id: string; number: string }>;

    beforeAll(async () => {
      const other = await deliveredOrder();
      orderOf = { one: delivered, two: other };
      const march = (day: number, hour = 10) => at(`2020-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`);
      fixture = [
        await insertIncident(delivered.id, { carrier: 'alpha', lane: LANE_A, kind: 'delay', status: 'resolved', openedAt: march(1), resolvedAt: new Date(march(1).getTime() + 2 * HOUR) }),
        await insertIncident(delivered.id, { carrier: 'alpha', lane: LANE_A, kind: 'lost', status: 'resolved', openedAt: march(2), resolvedAt: new Date(march(2).getTime() + 4 * HOUR) }),
        await insertIncident(other.id, { carrier: 'alpha', lane: LANE_B, kind: 'damaged', status: 'awaiting_customer', options: ['replacement', 'refund'], openedAt: march(3) }),
        await insertIncident(other.id, { carrier: 'beta', lane: LANE_B, kind: 'delay', status: 'open', openedAt: march(4) }),
        await insertIncident(delivered.id, { carrier: 'beta', lane: LANE_A, kind: 'delay', status: 'resolved', openedAt: march(5), resolvedAt: new Date(march(5).getTime() + HOUR) }),
        // After the period the tests ask about.
        await insertIncident(other.id, { carrier: 'gamma', lane: LANE_A, kind: 'refused', status: 'open', openedAt: at('2020-04-10T10:00:00Z') }),
      ];
    });

    const ids = (body: { data: { id: string }[] }) => body.data.map((i) => i.id);
    const MARCH = 'from=2020-03-01&to=2020-03-31';

    it('lists incidents newest first with their order, carrier and lane, and filters them', async () => {
      const [i1, i2, i3, i4, i5, i6] = fixture;
      const all = await stack.api('GET', `/v1/incidents?${MARCH}`, { key: TEST_KEYS.finance });
      expect(all.status, JSON.stringify(all.body)).toBe(200);
      expect(ids(all.body)).toEqual([i5!.id, i4!.id, i3!.id, i2!.id, i1!.id]);
      expect(all.body.nextCursor).toBeNull();
      expect(all.body.data[2]).toMatchObject({
        id: i3!.id,
        kind: 'damaged',
        status: 'awaiting_customer',
        reportedBy: 'carrier',
        options: ['replacement', 'refund'],
        orderId: orderOf.two!.id,
        orderNumber: orderOf.two!.number,
        carrier: 'alpha',
        lane: LANE_B,
        openedAt: '2020-03-03T10:00:00.000Z',
        resolvedAt: null,
      });

      const alpha = await stack.api('GET', `/v1/incidents?${MARCH}&carrier=alpha`);
      expect(ids(alpha.body)).toEqual([i3!.id, i2!.id, i1!.id]);
      const kinds = await stack.api('GET', `/v1/incidents?${MARCH}&kind=delay,lost`);
      expect(ids(kinds.body)).toEqual([i5!.id, i4!.id, i2!.id, i1!.id]);
      const open = await stack.api('GET', `/v1/incidents?${MARCH}&status=open`);
      expect(ids(open.body)).toEqual([i4!.id]);
      const instants = await stack.api('GET', `/v1/incidents?from=2020-03-02T10:00:00Z&to=2020-03-04T10:00:00Z`);
      expect(ids(instants.body)).toEqual([i4!.id, i3!.id, i2!.id]);
      const april = await stack.api('GET', '/v1/incidents?from=2020-04-01&to=2020-04-30');
      expect(ids(april.body)).toEqual([i6!.id]);

      // A list filter names the value at fault within it.
      expect(fields(await stack.api('GET', '/v1/incidents?kind=delay,stolen'))).toEqual(['query.kind.1']);
      expect(fields(await stack.api('GET', '/v1/incidents?status=closed'))).toEqual(['query.status.0']);
      expect(fields(await stack.api('GET', '/v1/incidents?from=last-week'))).toContain('query.from');
      expect(fields(await stack.api('GET', '/v1/incidents?limit=0'))).toContain('query.limit');
      expect(fields(await stack.api('GET', '/v1/incidents?cursor=bm9wZQ'))).toContain('query.cursor');
      expectProblem(await stack.api('GET', '/v1/incidents', { key: TEST_KEYS.carrier }), 403);
    });

    it('pages with a keyset cursor, never skipping or repeating', async () => {
      const [i1, i2, i3, i4, i5] = fixture;
      const seen: string[] = [];
      let url = `/v1/incidents?${MARCH}&limit=2`;
      const pages: string[][] = [];
      for (;;) {
        const page = await stack.api('GET', url);
        expect(page.status).toBe(200);
        pages.push(ids(page.body));
        seen.push(...ids(page.body));
        if (!page.body.nextCursor) break;
        url = `/v1/incidents?${MARCH}&limit=2&cursor=${page.body.nextCursor}`;
      }
      expect(pages).toEqual([[i5!.id, i4!.id], [i3!.id, i2!.id], [i1!.id]]);
      expect(seen).toEqual([i5!.id, i4!.id, i3!.id, i2!.id, i1!.id]);
    });

    it('summarises by carrier, lane and kind: counts, states, resolution times', async () => {
      const byCarrier = await stack.api('GET', `/v1/incidents/summary?groupBy=carrier&${MARCH}`, { key: TEST_KEYS.finance });
      expect(byCarrier.status, JSON.stringify(byCarrier.body)).toBe(200);
      expect(byCarrier.body).toMatchObject({ groupBy: 'carrier', from: '2020-03-01', to: '2020-03-31' });
      expect(byCarrier.body.groups).toEqual([
        {
          key: 'alpha',
          count: 3,
          open: 0,
          awaitingCustomer: 1,
          resolved: 2,
          meanResolutionMs: 3 * HOUR,
          maxResolutionMs: 4 * HOUR,
          byKind: { delay: 1, lost: 1, damaged: 1 },
        },
        { key: 'beta', count: 2, open: 1, awaitingCustomer: 0, resolved: 1, meanResolutionMs: HOUR, maxResolutionMs: HOUR, byKind: { delay: 2 } },
      ]);

      const byLane = await stack.api('GET', `/v1/incidents/summary?groupBy=lane&${MARCH}`);
      expect(byLane.body.groups.map((g: { key: string; count: number }) => [g.key, g.count])).toEqual([
        [LANE_A, 3],
        [LANE_B, 2],
      ]);
      const laneA = byLane.body.groups.find((g: { key: string }) => g.key === LANE_A);
      expect(laneA).toMatchObject({ resolved: 3, meanResolutionMs: (7 * HOUR) / 3, byKind: { delay: 2, lost: 1 } });

      const byKind = await stack.api('GET', `/v1/incidents/summary?groupBy=kind&${MARCH}`);
      expect(byKind.body.groups.map((g: { key: string; count: number }) => [g.key, g.count])).toEqual([
        ['delay', 3],
        ['damaged', 1],
        ['lost', 1],
      ]);
      expect(byKind.body.groups[0]).toMatchObject({ open: 1, resolved: 2, meanResolutionMs: 1.5 * HOUR, maxResolutionMs: 2 * HOUR });

      expect(fields(await stack.api('GET', '/v1/incidents/summary?groupBy=warehouse'))).toContain('query.groupBy');
      expectProblem(await stack.api('GET', '/v1/incidents/summary', { key: TEST_KEYS.carrier }), 403);
    });

    it('measures each improvement: matching incidents in equal periods before and after it started', async () => {
      const carrier = `delta-${randomUUID().slice(0, 8)}`;
      const now = Date.now();
      const ago = (days: number) => new Date(now - days * DAY);
      const started = ago(10);
      // Before (10 days before the start): three of this carrier's; one too old; one of another carrier.
      for (const days of [15, 12, 11]) await insertIncident(delivered.id, { carrier, kind: days === 12 ? 'lost' : 'delay', openedAt: ago(days) });
      await insertIncident(delivered.id, { carrier, kind: 'delay', openedAt: ago(25) });
      await insertIncident(delivered.id, { carrier: 'epsilon', kind: 'delay', openedAt: ago(14) });
      // After: one.
      await insertIncident(delivered.id, { carrier, kind: 'lost', openedAt: ago(5) });

      const create = (finding: Record<string, unknown>) =>
        stack.api('POST', '/v1/improvements', {
          body: { title: `Fewer delays with ${carrier}`, finding: { ...finding, from: '2026-01-01', to: '2026-01-31' }, action: 'earlier pick-ups', owner: 'ops', dueDate: '2027-01-31', startedAt: started.toISOString() },
          key: TEST_KEYS.operator,
        });
      const byCarrier = await create({ carrier });
      const byCarrierAndKind = await create({ carrier, kind: 'lost' });
      const future = await stack.api('POST', '/v1/improvements', {
        body: { title: 'Not yet', finding: { carrier, from: '2026-01-01', to: '2026-01-31' }, action: 'later', owner: 'ops', dueDate: '2027-01-31', startedAt: new Date(now + DAY).toISOString() },
        key: TEST_KEYS.operator,
      });
      expect([byCarrier.status, byCarrierAndKind.status, future.status]).toEqual([201, 201, 201]);

      const summary = await stack.api('GET', '/v1/incidents/summary?groupBy=carrier');
      expect(summary.status).toBe(200);
      const measured = (id: string) => summary.body.improvements.find((i: { id: string }) => i.id === id);

      const first = measured(byCarrier.body.id);
      expect(first).toMatchObject({ title: `Fewer delays with ${carrier}`, finding: { carrier }, startedAt: started.toISOString() });
      expect(first.before.count).toBe(3);
      expect(first.after.count).toBe(1);
      expect(first.before.days).toBeCloseTo(10, 2);
      expect(first.after.days).toBeCloseTo(10, 2);
      expect(first.before.perDay).toBeCloseTo(0.3, 3);
      expect(first.after.perDay).toBeCloseTo(0.1, 3);

      const second = measured(byCarrierAndKind.body.id);
      expect([second.before.count, second.after.count]).toEqual([1, 1]);

      // Not started yet: no time after it, so none before it either.
      expect(measured(future.body.id)).toMatchObject({ before: { count: 0, days: 0, perDay: 0 }, after: { count: 0, days: 0, perDay: 0 } });

      // The carrier's group counts all of its incidents, as any other.
      expect(summary.body.groups.find((g: { key: string }) => g.key === carrier)).toMatchObject({ count: 5, open: 5, byKind: { delay: 3, lost: 2 } });
    });
  });

  describe('GET /v1/orders/{id}', () => {
    it('shows incidents oldest first, shipments as they closed or replaced, proposals, confirmation and money', async () => {
      const order = await deliveredOrder();
      const [shipment] = await stack.db.select().from(shipments).where(eq(shipments.orderId, order.id));
      const older = await insertIncident(order.id, {
        kind: 'lost',
        status: 'resolved',
        reportedBy: 'carrier',
        shipmentIds: [shipment!.id],
        carrier: shipment!.carrier,
        options: [],
        claim: { carrier: shipment!.carrier, trackingNumbers: ['TN-1'], amount: 1000, currency: 'EUR', filedAt: '2026-01-02T00:00:00.000Z' },
        resolution: { action: 'refund', amount: 1000 },
        openedAt: at('2026-01-01T00:00:00Z'),
        resolvedAt: at('2026-01-03T00:00:00Z'),
      });
      const newer = await insertIncident(order.id, { kind: 'delay', newEta: '2026-01-20', reportedBy: 'operator', openedAt: at('2026-01-10T00:00:00Z') });
      await stack.db.update(shipments).set({ closedAs: 'lost', promisedDeliveryDate: '2026-01-05' }).where(eq(shipments.id, shipment!.id));

      const journal = (suffix: string) => `test-${order.id}-${suffix}`;
      await stack.db.insert(ledgerEntries).values([
        { journalId: journal('refund'), orderId: order.id, account: 'revenue', side: 'debit', amount: 1000, currency: 'EUR', settlementAmount: 1000, settlementCurrency: 'EUR', memo: 'refund', kind: 'refund', incidentId: older.id },
        { journalId: journal('refund'), orderId: order.id, account: 'customer', side: 'credit', amount: 1000, currency: 'EUR', settlementAmount: 1000, settlementCurrency: 'EUR', memo: 'refund', kind: 'refund', incidentId: older.id },
        { journalId: journal('comp'), orderId: order.id, account: 'delay_compensation', side: 'debit', amount: 250, currency: 'EUR', settlementAmount: 250, settlementCurrency: 'EUR', memo: 'late', kind: 'compensation', incidentId: newer.id },
        { journalId: journal('comp'), orderId: order.id, account: 'customer', side: 'credit', amount: 250, currency: 'EUR', settlementAmount: 250, settlementCurrency: 'EUR', memo: 'late', kind: 'compensation', incidentId: newer.id },
      ]);
      const proposalId = randomUUID();
      await stack.db.insert(shipDateProposals).values({ id: proposalId, orderId: order.id, proposedShipDate: '2026-01-08', previousShipDate: '2026-01-06', reason: 'late stock' });
      await stack.db.insert(deliveryConfirmations).values({
        orderId: order.id,
        addressConfirmed: true,
        contactPhone: '+49 30 1234567',
        windowFrom: at('2026-01-09T08:00:00Z'),
        windowTo: at('2026-01-09T12:00:00Z'),
      });

      const res = await stack.api('GET', `/v1/orders/${order.number}`);
      expect(res.status).toBe(200);
      const body = res.body;
      // What was there before is still there.
      expect(body).toMatchObject({ id: order.id, number: order.number, status: 'delivered', signOff: null, feedback: null });
      expect(body.timeline.length).toBeGreaterThan(0);

      expect(body.incidents.map((i: { id: string }) => i.id)).toEqual([older.id, newer.id]);
      expect(body.incidents[0]).toMatchObject({
        id: older.id,
        kind: 'lost',
        status: 'resolved',
        reportedBy: 'carrier',
        shipmentIds: [shipment!.id],
        openedAt: '2026-01-01T00:00:00.000Z',
        resolvedAt: '2026-01-03T00:00:00.000Z',
        options: [],
        claim: { trackingNumbers: ['TN-1'], amount: 1000 },
        resolution: { action: 'refund', amount: 1000 },
      });
      expect(body.incidents[1]).toMatchObject({ kind: 'delay', status: 'open', resolvedAt: null, claim: null, resolution: null });

      expect(body.shipments[0]).toMatchObject({ id: shipment!.id, closedAs: 'lost', replaces: null, fulfilment: 0, promisedDeliveryDate: '2026-01-05' });
      expect(body.shipDateProposals).toEqual([
        { id: proposalId, proposedShipDate: '2026-01-08', previousShipDate: '2026-01-06', reason: 'late stock', status: 'proposed', proposedAt: expect.any(String), answeredAt: null },
      ]);
      expect(body.deliveryConfirmation).toMatchObject({
        addressConfirmed: true,
        contactPhone: '+49 30 1234567',
        window: { from: '2026-01-09T08:00:00.000Z', to: '2026-01-09T12:00:00.000Z' },
        rescheduled: false,
      });

      expect(body.money).toMatchObject({ currency: 'EUR', paid: order.total, refunded: 1000, compensated: 250 });
      const mine = body.money.ledger.filter((e: { journalId: string }) => e.journalId.startsWith(`test-${order.id}`));
      expect(mine).toEqual([
        { journalId: journal('refund'), kind: 'refund', account: 'revenue', side: 'debit', amount: 1000, incidentId: older.id },
        { journalId: journal('refund'), kind: 'refund', account: 'customer', side: 'credit', amount: 1000, incidentId: older.id },
        { journalId: journal('comp'), kind: 'compensation', account: 'delay_compensation', side: 'debit', amount: 250, incidentId: newer.id },
        { journalId: journal('comp'), kind: 'compensation', account: 'customer', side: 'credit', amount: 250, incidentId: newer.id },
      ]);

      // An order with none of it shows empty lists, not absent fields.
      const plain = await stack.api('GET', `/v1/orders/${delivered.id}`);
      expect(plain.body.shipDateProposals).toEqual([]);
      expect(plain.body.deliveryConfirmation).toBeNull();
      expect(plain.body.money).toMatchObject({ currency: 'EUR', paid: delivered.total, refunded: 0, compensated: 0 });
    });
  });

  it('documents every new route in the OpenAPI document', async () => {
    const doc = await stack.api('GET', '/openapi.json', { key: null });
    expect(doc.status).toBe(200);
    const paths = doc.body.paths;
    expect(Object.keys(paths['/v1/orders/{id}/delivery-exceptions'])).toEqual(['post']);
    expect(paths['/v1/orders/{id}/delivery-exceptions'].post['x-roles']).toEqual(['integrator', 'operator', 'carrier', 'admin']);
    expect(paths['/v1/orders/{id}/incidents/{incidentId}/resolution'].post.requestBody).toBeDefined();
    expect(paths['/v1/orders/{id}/incidents/{incidentId}/expedite'].post).toBeDefined();
    expect(paths['/v1/orders/{id}/ship-date'].post).toBeDefined();
    expect(paths['/v1/orders/{id}/ship-date/response'].post).toBeDefined();
    expect(paths['/v1/orders/{id}/delivery-confirmation'].post).toBeDefined();
    expect(paths['/v1/incidents'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['kind', 'carrier', 'status', 'from', 'to', 'limit', 'cursor']),
    );
    expect(paths['/v1/incidents/summary'].get).toBeDefined();
    expect(Object.keys(paths['/v1/improvements']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/v1/improvements/{id}']).sort()).toEqual(['get', 'patch']);
    expect(paths['/v1/orders/{id}/sign-off'].post.responses['202']).toBeDefined();
  });
});
