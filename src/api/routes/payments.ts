import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { and, asc, eq, gt, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { payments } from '../../db/schema';
import { PAYMENT_METHODS } from '../../domain/payments';
import { paymentNotice, recordPayment, type PaymentRefusal, type PaymentRow } from '../../finance/payments';
import { orderWorkflowId, paymentReceived } from '../../../workflows/order/messages';
import { decodeCursor, pageOf } from '../keyset';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { maySeeOrder, ownedOrders } from '../tenancy';
import { CurrencyCode, MinorUnits } from '../schemas';

// R6.1: payments received (prepaid, instalments, a carrier's COD remittance), recorded
// once per reference (src/finance/payments.ts), then told to the order's workflow and to
// its collection workflow. This file parses and renders.

/** The collection workflow (COD remittance, instalments) listens for the same signal. */
export const collectionWorkflowId = (orderId: string) => `collection-${orderId}`;

const PaymentBody = z.strictObject({
  orderId: z.uuid().transform((id) => id.toLowerCase()),
  amount: MinorUnits.refine((n) => n > 0, 'more than zero'),
  currency: CurrencyCode,
  method: z.enum(PAYMENT_METHODS),
  reference: z.string().trim().min(1).max(200),
  instalmentNumber: z.number().int().min(1).max(120).optional(),
  carrier: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a carrier code').optional(),
});

const PaymentsQuery = z.strictObject({
  orderId: z.uuid().transform((id) => id.toLowerCase()).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(400).optional(),
});

const paymentJson = (p: PaymentRow) => ({
  id: p.id,
  orderId: p.orderId,
  amount: p.amount,
  currency: p.currency,
  method: p.method,
  reference: p.reference,
  payer: { kind: p.payerKind, id: p.payerId },
  instalmentNumber: p.instalmentNumber,
  receivedAt: p.receivedAt.toISOString(),
  createdAt: p.createdAt.toISOString(),
});

export function paymentRoutes(deps: { db: Db; client: Client; log: (message: string, error?: unknown) => void }) {
  const { db, client } = deps;

  /** Tells both workflows; one that does not exist (or has ended) has nothing to wait for. */
  async function announce(row: PaymentRow): Promise<void> {
    const notice = paymentNotice(row);
    await Promise.all(
      [orderWorkflowId(row.orderId), collectionWorkflowId(row.orderId)].map(async (workflowId) => {
        try {
          await client.workflow.getHandle(workflowId).signal(paymentReceived, notice);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError || (err instanceof Error && /already completed/i.test(err.message))) return;
          throw err;
        }
      }),
    );
  }

  return [
    route({
      method: 'post',
      path: '/v1/payments',
      tag: 'finance',
      summary: 'Money received for an order, once per reference (R6.1)',
      access: ['integrator', 'finance', 'carrier'],
      body: PaymentBody,
      responses: {
        201: 'recorded, with its ledger journal; the order is told',
        200: 'the same payment again (same reference, same content)',
        403: 'a carrier key may only post cod_remittance',
        409: 'the reference was used for another payment',
        422: 'unknown order (orderId), another currency than the order, a method the order does not take',
      },
      async handler({ res, body, caller }) {
        // Another integrator's order is as unknown as a missing one.
        if (!(await maySeeOrder(db, caller, body.orderId))) throw refusalProblem({ status: 422, field: 'orderId', message: `no order ${body.orderId}` });
        const outcome = await recordPayment(db, body, { role: caller!.role });
        if (outcome.kind === 'refused') throw refusalProblem(outcome.refusal);
        // Told again on a repeat: the first telling may have been lost after the commit.
        await announce(outcome.payment);
        res.status(outcome.kind === 'recorded' ? 201 : 200).json(paymentJson(outcome.payment));
      },
    }),

    route({
      method: 'get',
      path: '/v1/payments',
      tag: 'finance',
      summary: 'Payments received, oldest first; of one order with ?orderId=',
      access: ['integrator', 'finance', 'operator'],
      query: PaymentsQuery,
      responses: { 200: '{ data: [payment], nextCursor }' },
      async handler({ res, query, caller }) {
        const where: SQL[] = [];
        const owned = ownedOrders(db, caller, payments.orderId);
        if (owned) where.push(owned);
        if (query.orderId) where.push(eq(payments.orderId, query.orderId));
        if (query.cursor) {
          const [at, id] = decodeCursor(query.cursor, 2) as [string, string];
          const after = new Date(at);
          where.push(or(gt(payments.createdAt, after), and(eq(payments.createdAt, after), gt(payments.id, id)))!);
        }
        const rows = await db
          .select()
          .from(payments)
          .where(and(...where))
          .orderBy(asc(payments.createdAt), asc(payments.id))
          .limit(query.limit + 1);
        res.json(pageOf(rows, query.limit, (p) => [p.createdAt.toISOString(), p.id], paymentJson));
      },
    }),

    route({
      method: 'get',
      path: '/v1/payments/:id',
      tag: 'finance',
      summary: 'One payment',
      access: ['integrator', 'finance', 'operator'],
      responses: { 200: 'the payment', 404: 'no such payment' },
      async handler({ res, params, caller }) {
        const id = z.uuid().safeParse(params.id);
        const [row] = id.success ? await db.select().from(payments).where(eq(payments.id, id.data.toLowerCase())) : [];
        if (!row || !(await maySeeOrder(db, caller, row.orderId))) throw new HttpProblem(404, 'Not found', `no payment ${params.id}`);
        res.json(paymentJson(row));
      },
    }),
  ];
}

function refusalProblem(refusal: PaymentRefusal): HttpProblem {
  const title = refusal.status === 409 ? 'Conflict' : refusal.status === 403 ? 'Forbidden' : 'Invalid request';
  return new HttpProblem(refusal.status, title, `${refusal.field}: ${refusal.message}`, {
    errors: [{ field: refusal.field, message: refusal.message }],
  });
}
