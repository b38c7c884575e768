import { patched, setHandler } from '@temporalio/workflow';
import { waitWithinWindow } from '../kit/window';
import { paymentReceived } from './messages';
import { OrderCancelled, type OrderRun } from './run';

// R6.1: a prepaid order is not dispatched on credit. Before DISPATCH it waits until the
// payments recorded for it cover its total (goods and shipping, known once PLAN priced
// it); no payment within the prepayment window cancels it and gives its stock back.

export const PREPAYMENT_PATCHES = { waitForPayment: 'prepaid-waits-for-payment' } as const;

export const PAYMENT_NOT_RECEIVED = 'payment not received';

/** Waits for a prepaid order's money; returns at once for other orders and older runs. */
export async function awaitPrepayment(order: OrderRun): Promise<void> {
  const { state } = order;
  const windowMs = order.settings.prepaymentWindowMs;
  if (!order.settings.requirePrepayment || windowMs === undefined || state.draft.settlement.method !== 'prepaid') return;
  if (!patched(PREPAYMENT_PATCHES.waitForPayment)) return;
  order.throwIfCancelled();
  // A payment may have come before we got here (even at intake): the database has it.
  const due = await order.run('read the payments received', () => order.acts.paymentsReceived({ orderId: order.orderId }));
  for (const p of due.payments) count(order, p);
  const covered = () => paid(order) >= due.total;
  if (covered()) return;
  await order.moveTo('awaiting_payment', { total: due.total, due: due.total - paid(order), currency: due.currency });
  const done = await waitWithinWindow({
    windowMs,
    done: () => covered() || state.cancelRequest !== undefined,
    summary: 'prepayment window',
  });
  order.throwIfCancelled();
  if (!done) throw new OrderCancelled(PAYMENT_NOT_RECEIVED);
}

/** The signal: each payment counts once, however often it is heard of. */
export function prepaymentMessages(order: OrderRun): void {
  setHandler(paymentReceived, (notice) => {
    if (typeof notice?.paymentId !== 'string' || !Number.isSafeInteger(notice.amount) || notice.amount <= 0) return;
    count(order, { paymentId: notice.paymentId, amount: notice.amount });
  });
}

function count(order: OrderRun, payment: { paymentId: string; amount: number }): void {
  const payments = (order.state.payments ??= []);
  if (!payments.some((p) => p.paymentId === payment.paymentId)) payments.push({ paymentId: payment.paymentId, amount: payment.amount });
}

function paid(order: OrderRun): number {
  return (order.state.payments ?? []).reduce((n, p) => n + p.amount, 0);
}
