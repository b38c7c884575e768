import { allHandlersFinished, condition, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { allocatePayments, forgiveInstalments } from '../../src/domain/instalments';
import { formatMoney } from '../../src/domain/money';
import type { PaymentNotice } from '../../src/domain/payments';
import { NeedsAttentionKey } from '../../src/temporal/search-attributes';
import type { CollectionActivities, OpenedInstalment } from './activities';
import {
  operatorAction,
  paymentReceived,
  returnSettled,
  view,
  type CollectionOutcome,
  type CollectionView,
  type CollectionWorkflowInput,
  type InstalmentView,
} from './messages';

// R6.1, after SETTLE: the money a cash-on-delivery or instalment order is still owed.
// COD: the carrier remits what it collected by a deadline; a reminder at the deadline,
// an operator flag after a grace. Instalments: each due date is a durable timer; an
// overdue instalment is dunned, dunned again, then flagged. A payment clears the flag.
// Nothing waits for ever without an operator path: the flag, and `operatorAction`
// `{action: "cancel", reason}`, which closes the collection (finance writes off the rest).

const acts = proxyActivities<CollectionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** A zero or negative timer is no wait at all: condition() is asked to wait at least this. */
const MIN_WAIT_MS = 1;

export async function collectionWorkflow(input: CollectionWorkflowInput): Promise<CollectionOutcome> {
  const { orderId, settings } = input;
  const startedAt = Date.now();
  const payments = new Map<string, PaymentNotice>();
  const state: CollectionView = { orderId, method: input.method, status: 'opening', received: 0, instalments: [], payments: [], needsAttention: false };
  let closedReason: string | undefined;
  let schedule: (OpenedInstalment & { flagged: boolean })[] = [];
  let finished = false;
  // Returns (settlement aftercare): what each forgave, and the instalments they cancelled.
  const returns = new Map<string, number>();
  const cancelled = new Set<number>();
  /** A cancelled instalment shows what it was (as its row keeps it); it counts as nothing owed. */
  const scheduled = new Map<number, number>();
  let forgivenPending = 0;

  const hear = (p: PaymentNotice) => {
    // The dialog in the Temporal UI takes any JSON: only a usable payment counts.
    if (!p || typeof p.paymentId !== 'string' || !Number.isSafeInteger(p.amount) || p.amount <= 0 || typeof p.currency !== 'string') {
      log.warn('payment ignored: malformed', { orderId });
      return;
    }
    payments.set(p.paymentId, p);
  };
  setHandler(paymentReceived, hear);
  /** Takes a return's forgiven amount off what is owed (once the schedule is known). */
  const forgive = () => {
    if (forgivenPending <= 0 || state.status === 'opening') return;
    if (input.method === 'cash_on_delivery') {
      state.expected = Math.max(0, (state.expected ?? 0) - forgivenPending);
    } else {
      const { amounts, cancelled: gone } = forgiveInstalments(
        schedule.filter((i) => !cancelled.has(i.number)),
        allocation().received,
        forgivenPending,
      );
      for (const i of schedule) {
        if (!scheduled.has(i.number)) scheduled.set(i.number, i.amount);
        i.amount = amounts.get(i.number) ?? i.amount;
      }
      for (const n of gone) cancelled.add(n);
    }
    forgivenPending = 0;
  };
  setHandler(returnSettled, (r) => {
    // Only the order's own workflow sends it; the UI's dialog takes any JSON.
    if (!r || typeof r.returnId !== 'string' || !Number.isSafeInteger(r.forgiven) || r.forgiven <= 0 || returns.has(r.returnId)) return;
    if (state.currency !== undefined && r.currency !== state.currency) {
      log.warn('return ignored: another currency', { orderId, returnId: r.returnId });
      return;
    }
    returns.set(r.returnId, r.forgiven);
    forgivenPending += r.forgiven;
    forgive();
  });
  setHandler(operatorAction, (payload) => {
    const action = payload as { action?: unknown; reason?: unknown } | null;
    if (action?.action === 'cancel') closedReason = typeof action.reason === 'string' && action.reason ? action.reason : 'closed by an operator';
    else log.warn('operator action ignored: a collection only takes {"action":"cancel","reason":…}', { orderId });
  });

  /** What counts towards this collection: remittances for COD, any payment for instalments, in the owed currency. */
  const counted = () =>
    [...payments.values()].filter((p) => p.currency === state.currency && (input.method !== 'cash_on_delivery' || p.method === 'cod_remittance' || p.payerKind === 'carrier'));
  const allocation = () =>
    allocatePayments(
      schedule,
      counted().map((p) => ({ paymentId: p.paymentId, amount: p.amount, instalmentNumber: p.instalmentNumber })),
    );
  const received = () => counted().reduce((n, p) => n + p.amount, 0);

  // The flag: raised while something is late past its last reminder, cleared when paid.
  let wantFlag: () => string | undefined = () => undefined;
  const flagger = (async () => {
    for (;;) {
      await condition(() => !!wantFlag() !== state.needsAttention || (finished && !state.needsAttention));
      const reason = wantFlag();
      if (!!reason === state.needsAttention) return;
      state.needsAttention = !!reason;
      state.attentionReason = reason;
      upsertSearchAttributes([{ key: NeedsAttentionKey, value: !!reason }]);
      await acts.recordCollectionAttention(reason ? { orderId, needsAttention: true, reason } : { orderId, needsAttention: false });
    }
  })();

  setHandler(view, (): CollectionView => {
    const { received: byInstalment, paid } = allocation();
    const instalments: InstalmentView[] = schedule.map((i) => ({
      number: i.number,
      amount: cancelled.has(i.number) ? (scheduled.get(i.number) ?? i.amount) : i.amount,
      dueAt: i.dueAt,
      status: cancelled.has(i.number) ? 'cancelled' : paid.has(i.number) ? 'paid' : i.status,
      received: byInstalment.get(i.number) ?? 0,
      dunningNotices: i.dunningNotices,
      flagged: i.flagged && !paid.has(i.number),
    }));
    const forgiven = [...returns.values()].reduce((n, a) => n + a, 0);
    return { ...state, received: received(), instalments, payments: [...payments.keys()], ...(closedReason ? { closedReason } : {}), ...(forgiven > 0 ? { forgiven } : {}) };
  });

  const opened = await acts.openCollection({
    orderId,
    method: input.method,
    instalmentCount: input.instalmentCount ?? settings.instalmentCount,
    instalmentIntervalMs: settings.instalmentIntervalMs,
    startedAt: new Date(startedAt).toISOString(),
  });
  for (const p of opened.payments) hear(p);
  state.currency = opened.currency;
  state.expected = opened.expected;
  if (opened.carrier) state.carrier = opened.carrier;
  const closed = () => closedReason !== undefined;

  if (input.method === 'cash_on_delivery') {
    state.status = 'awaiting_remittance';
    forgive();
    const dueAt = startedAt + settings.codRemittanceWindowMs;
    state.remittanceDueAt = new Date(dueAt).toISOString();
    const remitted = () => received() >= (state.expected ?? opened.expected) || closed();
    if (!(await condition(remitted, Math.max(MIN_WAIT_MS, dueAt - Date.now())))) {
      await acts.remindCodRemittance({ orderId, carrier: opened.carrier, amount: (state.expected ?? opened.expected) - received(), currency: opened.currency, dueAt: state.remittanceDueAt });
      state.remindedAt = new Date().toISOString();
      if (!(await condition(remitted, Math.max(MIN_WAIT_MS, settings.codRemittanceGraceMs)))) {
        const text = `${money((state.expected ?? opened.expected) - received(), opened.currency)} of cash on delivery not remitted by ${opened.carrier ?? 'the carrier'} (due ${state.remittanceDueAt}, reminded ${state.remindedAt})`;
        wantFlag = () => (remitted() ? undefined : `${text}: record the remittance (POST /v1/payments, method cod_remittance) or close the collection (operatorAction cancel)`);
        await condition(remitted);
      }
    }
  } else {
    state.status = 'awaiting_instalments';
    schedule = opened.instalments.map((i) => ({ ...i, flagged: false }));
    // Cancelled by a return before this run (as recorded): nothing owed on them.
    for (const i of schedule) {
      if (i.status !== 'cancelled') continue;
      cancelled.add(i.number);
      scheduled.set(i.number, i.amount);
      i.amount = 0;
    }
    forgive();
    const isPaid = (n: number) => cancelled.has(n) || allocation().paid.has(n) || closed();
    wantFlag = () => {
      const late = schedule.filter((i) => i.flagged && !isPaid(i.number));
      return late.length === 0
        ? undefined
        : `instalment${late.length > 1 ? 's' : ''} ${late.map((i) => `${i.number} (${money(i.amount, opened.currency)}, due ${i.dueAt})`).join(', ')} of ${schedule.length} unpaid after two dunning notices: record the payment (POST /v1/payments) or close the collection (operatorAction cancel)`;
    };
    await Promise.all(
      schedule.map(async (instalment) => {
        const paid = () => isPaid(instalment.number);
        const untilDue = Date.parse(instalment.dueAt) - Date.now();
        if (instalment.status !== 'paid' && instalment.status !== 'cancelled' && !(untilDue > 0 && (await condition(paid, untilDue))) && !paid()) {
          instalment.status = 'overdue';
          let settled = false;
          for (const notice of [1, 2]) {
            if (instalment.dunningNotices < notice) {
              await acts.dunInstalment({ orderId, number: instalment.number, notice });
              instalment.dunningNotices = notice;
            }
            if (await condition(paid, Math.max(MIN_WAIT_MS, settings.dunningIntervalMs))) {
              settled = true;
              break;
            }
          }
          if (!settled) {
            instalment.flagged = true;
            await condition(paid);
          }
        }
        // Closed by an operator, an unpaid instalment stays as it is (finance writes it off).
        if (cancelled.has(instalment.number)) instalment.status = 'cancelled';
        else if (instalment.status !== 'paid' && allocation().paid.has(instalment.number)) {
          await acts.recordInstalmentsPaid({ orderId, numbers: [instalment.number] });
          instalment.status = 'paid';
        }
      }),
    );
  }

  finished = true;
  await flagger;
  state.status = closed() ? 'closed_by_operator' : returns.size > 0 ? 'closed_by_return' : 'collected';
  if (closedReason) state.closedReason = closedReason;
  await condition(allHandlersFinished);
  return { orderId, status: state.status, received: received() };
}

function money(amount: number, currency: string): string {
  return formatMoney({ amount, currency });
}
