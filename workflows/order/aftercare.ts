import { ApplicationFailure, condition, getExternalWorkflowHandle, isCancellation, log, patched, setHandler } from '@temporalio/workflow';
import { isCollected } from '../../src/domain/collection';
import { collectionWorkflowId, returnSettled } from '../collection/messages';
import type { OrderStatus } from '../../src/domain/order-status';
import { activeShipments, sendReplacement } from './exceptions';
import { carriedState, ORDER_RUN_ENDING, requestAftercare, returnReceived, type AftercareRequest, type AftercareStatus } from './messages';
import { describe, invalid, wrongState } from './refusals';
import type { OrderRun } from './run';
import type { OrderState } from './state';
import { track } from './track';

// SETTLEMENT AFTERCARE (R6.8): finance's `reship` or `return` on a settlement discrepancy,
// carried out by the order's own workflow once the order is done. A closed order gets a
// new run of its workflow (same id) carrying its final state with the request in its
// input; an order still running takes the request as an update and does it at the end.
// Reship: the delivered goods go again (the replacement machinery: reserve, quote, plan,
// book under new keys, TRACK until delivered), their cost journalled; the order ends
// completed again. Return: the order waits (within the return window) for the goods to
// be received, restocks them and refunds them; it ends refunded (or, when they never
// come back, completed as it was).

/** Histories from before aftercare never reach it; new runs mark where they took it. */
export const AFTERCARE_PATCH = 'settlement-aftercare';
/** A return refunds what was paid and tells the order's collection what is owed no more. */
export const RETURN_SETTLES_COLLECTION_PATCH = 'return-settles-collection';


type Aftercare = NonNullable<OrderState['aftercares']>[number];

/** The order was done: an operator retries a failing step of its aftercare, never cancels it. */
const keep = { noCancel: "the order is done; finance's reship or return is carried out to its end" } as const;

const OPEN: readonly AftercareStatus[] = ['requested', 'shipping', 'awaiting_return'];
const aftercareOf = (state: OrderState, discrepancyId: string) => state.aftercares?.find((a) => a.discrepancyId === discrepancyId);

/** A new run started for an aftercare takes its request before anything else. */
export function takeAftercareInput(state: OrderState): void {
  const request = state.input.aftercare;
  state.aftercareClosed = false;
  if (!request || aftercareOf(state, request.discrepancyId)) return;
  (state.aftercares ??= []).push({ ...copy(request), status: 'requested' });
}

const copy = (r: AftercareRequest): AftercareRequest => ({ kind: r.kind, discrepancyId: r.discrepancyId, settlementId: r.settlementId, note: r.note });

/** Runs every requested aftercare, one after the other; then the run takes no more. */
export async function runAftercares(order: OrderRun): Promise<void> {
  const { state } = order;
  for (;;) {
    const next = state.aftercares?.find((a) => a.status === 'requested');
    if (!next) break;
    patched(AFTERCARE_PATCH);
    if (state.status !== 'completed') {
      await finish(order, next, 'failed', { reason: `${describe(order)}: there is nothing kept to ${next.kind}` }, state.status);
    } else if (next.kind === 'reship') {
      await reship(order, next);
    } else {
      await takeBack(order, next);
    }
  }
  state.aftercareClosed = true;
}

/** An order that ended otherwise (cancelled) fails what it was asked to do after all. */
export async function dropAftercares(order: OrderRun): Promise<void> {
  const { state } = order;
  for (const a of state.aftercares?.filter((x) => x.status === 'requested') ?? []) {
    await finish(order, a, 'failed', { reason: `${describe(order)}` }, state.status);
  }
  state.aftercareClosed = true;
}

/** The delivered goods, sent again as a replacement keyed by the discrepancy. */
async function reship(order: OrderRun, a: Aftercare): Promise<void> {
  const { state } = order;
  const fromAftercare = new Set((state.aftercares ?? []).map((x) => x.discrepancyId));
  const delivered = activeShipments(state).filter((s) => s.status === 'delivered' && !(s.replaces && fromAftercare.has(s.replaces)));
  if (delivered.length === 0) return finish(order, a, 'failed', { reason: 'nothing delivered to send again' }, 'completed');
  a.status = 'shipping';
  await order.transition(
    'start the re-shipment',
    { status: 'dispatched', detail: { aftercare: 'reship', discrepancyId: a.discrepancyId, settlementId: a.settlementId } },
    (transitions) => order.acts.recordAftercare({ orderId: order.orderId, discrepancyId: a.discrepancyId, kind: 'reship', progress: { status: 'shipping' }, transitions }),
    keep,
  );
  const sent = await sendReplacement(order, { id: a.discrepancyId, shipmentIds: delivered.map((s) => s.shipmentId) });
  if (!sent) return finish(order, a, 'failed', { reason: 'no stock or no carrier for the re-shipment' }, 'completed');
  a.shipmentIds = sent;
  await order.run('record the re-shipment', () =>
    order.acts.recordAftercare({ orderId: order.orderId, discrepancyId: a.discrepancyId, kind: 'reship', progress: { status: 'shipping', shipmentIds: sent }, transitions: [] }),
    keep,
  );
  // TRACK follows the new parcels (and runs any incident on them) until they are delivered.
  await track(order);
  await finish(order, a, 'done', { shipmentIds: sent }, 'completed');
}

/** The customer sends the goods back: received, restocked and refunded — or never, and nothing changes. */
async function takeBack(order: OrderRun, a: Aftercare): Promise<void> {
  const { state } = order;
  const shipmentIds = activeShipments(state)
    .filter((s) => s.status === 'delivered')
    .map((s) => s.shipmentId);
  if (shipmentIds.length === 0) return finish(order, a, 'failed', { reason: 'nothing delivered to take back' }, 'completed');
  const waitMs = order.settings.returnWaitMs ?? order.settings.trackingStallAfterMs;
  a.waitUntil = Date.now() + waitMs;
  a.returnBy = new Date(a.waitUntil).toISOString();
  a.shipmentIds = shipmentIds;
  a.status = 'awaiting_return';
  await order.transition(
    'wait for the return',
    { status: 'awaiting_return', detail: { aftercare: 'return', discrepancyId: a.discrepancyId, settlementId: a.settlementId, returnBy: a.returnBy } },
    (transitions) =>
      order.acts.recordAftercare({
        orderId: order.orderId,
        discrepancyId: a.discrepancyId,
        kind: 'return',
        progress: { status: 'awaiting_return', shipmentIds, returnBy: a.returnBy },
        transitions,
      }),
    keep,
  );
  const back = await condition(() => a.received === true, Math.max(1, a.waitUntil - Date.now()), { summary: 'return window' });
  if (!back) return finish(order, a, 'lapsed', { reason: 'the goods did not come back within the return window' }, 'completed');

  const base = { orderId: order.orderId, incidentId: a.discrepancyId, shipmentIds };
  const { units } = await order.run('put the returned goods back on the shelf', () => order.acts.restockReturn(base), keep);
  // Paid after delivery (COD, instalments): cash back up to what was paid, the rest forgiven.
  const followPayments = patched(RETURN_SETTLES_COLLECTION_PATCH);
  const { forgiven, collectionForgiven, ...refund } = await order.run(
    'refund the returned goods',
    () => order.acts.refundShipments({ ...base, reason: 'returned', ...(followPayments ? { followPayments } : {}) }),
    keep,
  );
  if (followPayments && collectionForgiven && isCollected(state.draft.settlement.method)) await settleCollection(order, a, collectionForgiven, refund.currency);
  await order.run('close the returned shipments', () => order.acts.closeShipments({ orderId: order.orderId, shipmentIds, closedAs: 'returned' }), keep);
  for (const s of state.shipments) if (shipmentIds.includes(s.shipmentId)) s.closedAs = 'returned';
  await finish(order, a, 'done', { units, refund, ...(forgiven ? { forgiven: { amount: forgiven, currency: refund.currency } } : {}), ...(a.receivedNote ? { note: a.receivedNote } : {}) }, 'refunded');
}

/** The order's collection stops asking for what the return forgave; one that already ended is not told. */
async function settleCollection(order: OrderRun, a: Aftercare, forgiven: number, currency: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(collectionWorkflowId(order.orderId)).signal(returnSettled, { returnId: a.discrepancyId, forgiven, currency });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.info('collection not told of the return: it has ended', { orderId: order.orderId, error: String(err) });
  }
}

/** Writes the aftercare's end on the discrepancy, with the order's status after it. */
async function finish(order: OrderRun, a: Aftercare, status: AftercareStatus, outcome: Record<string, unknown>, end: OrderStatus): Promise<void> {
  const to = order.state.status === end ? [] : [{ status: end, detail: { aftercare: a.kind, discrepancyId: a.discrepancyId, outcome: status } }];
  await order.transition(`finish the ${a.kind}`, to, (transitions) =>
    order.acts.recordAftercare({
      orderId: order.orderId,
      discrepancyId: a.discrepancyId,
      kind: a.kind,
      progress: { status, ...(a.shipmentIds ? { shipmentIds: a.shipmentIds } : {}), outcome },
      transitions,
    }),
    keep,
  );
  a.status = status;
  a.outcome = outcome;
  a.waitUntil = undefined;
}

/** Aftercare's messages: the request (finance's starter), the return received, and the state a new run carries. */
export function aftercareMessages(order: OrderRun): void {
  const { state } = order;
  setHandler(carriedState, () => state);

  setHandler(
    requestAftercare,
    (request) => {
      const known = aftercareOf(state, request.discrepancyId);
      if (known) return { discrepancyId: known.discrepancyId, status: known.status };
      (state.aftercares ??= []).push({ ...copy(request), status: 'requested' });
      return { discrepancyId: request.discrepancyId, status: 'requested' as const };
    },
    {
      validator: (request) => {
        if ((request?.kind !== 'reship' && request?.kind !== 'return') || typeof request.discrepancyId !== 'string' || typeof request.settlementId !== 'string') {
          throw invalid('an aftercare is a reship or a return, for a discrepancy of a settlement');
        }
        // The same decision again: accepted, and it changes nothing.
        if (aftercareOf(state, request.discrepancyId)) return;
        if (state.status === 'cancelled' || state.status === 'refunded' || state.cancelRequest || state.ending) {
          throw wrongState(order, `${describe(order)}; nothing was kept to ${request.kind}`);
        }
        if (state.aftercareClosed) {
          throw ApplicationFailure.create({ type: ORDER_RUN_ENDING, message: `${describe(order)} and its run is ending: the ${request.kind} goes to a new run`, nonRetryable: true });
        }
      },
    },
  );

  setHandler(
    returnReceived,
    async ({ discrepancyId, note }) => {
      const a = awaitedReturn(state, discrepancyId)!;
      a.received = true;
      if (note) a.receivedNote = note;
      await condition(() => a.status !== 'awaiting_return');
      return { status: state.status, discrepancyId: a.discrepancyId };
    },
    {
      validator: ({ discrepancyId, note }) => {
        if (discrepancyId !== undefined && typeof discrepancyId !== 'string') throw invalid('discrepancyId is a UUID');
        if (note !== undefined && typeof note !== 'string') throw invalid('note is text');
        const a = awaitedReturn(state, discrepancyId);
        if (!a) throw wrongState(order, `${describe(order)}; no return is awaited${discrepancyId ? ` for discrepancy ${discrepancyId}` : ''}`);
        if (a.received) throw wrongState(order, `the return for discrepancy ${a.discrepancyId} was already received`);
      },
    },
  );
}

function awaitedReturn(state: OrderState, discrepancyId?: string): Aftercare | undefined {
  return state.aftercares?.find((a) => a.status === 'awaiting_return' && (discrepancyId === undefined || a.discrepancyId === discrepancyId));
}

/** Whether any aftercare is still to do or under way. */
export const aftercareOpen = (state: OrderState) => (state.aftercares ?? []).some((a) => OPEN.includes(a.status));
