import type { Response } from 'express';
import type { Db } from '../db/client';
import type { IntakeOutcome, IntakeRefusal } from '../intake/place-order';
import { view, type IntakeReply } from '../../workflows/order/messages';
import type { OrderCommands } from './order-commands';
import { findOrderDetail } from './order-read-model';
import { HttpProblem } from './problem';

// How an order is answered over HTTP, and how intake's outcomes are: one rendering for
// `POST /v1/orders` and every partner channel (`POST /v1/channels/{partner}/orders`), so
// a repeat, a pending verdict or a refusal reads the same whichever door it came in by.

export type OrderReplies = ReturnType<typeof orderReplies>;

export function orderReplies(deps: { db: Db; commands: OrderCommands }) {
  const { db, commands } = deps;

  /** The order as the database has it; the workflow's own view while the row is not written yet. */
  async function readOrder(id: string) {
    const detail = await findOrderDetail(db, id);
    if (detail) return detail;
    if (id.startsWith('OF-')) return undefined;
    try {
      const v = await commands.handle(id).query(view);
      return { id: v.orderId, number: v.number ?? null, status: v.status, stage: v.stage, needsAttention: v.needsAttention, timeline: v.timeline, shipments: [], notifications: [] };
    } catch {
      return undefined;
    }
  }

  async function replyWithOrder(res: Response, status: number, id: string, extra: Record<string, unknown> = {}) {
    const order = await readOrder(id);
    res.status(status).location(`/v1/orders/${id}`).json({ ...order, ...extra });
  }

  /** 201 for the request that created the order, 200 for a repeat, 202 while VERIFY runs; a refusal as a problem. */
  async function replyWithIntake(res: Response, outcome: IntakeOutcome) {
    switch (outcome.kind) {
      case 'refused':
        throw refusalProblem(outcome.refusal);
      case 'pending':
        return replyWithOrder(res, 202, outcome.orderId, { status: 'verifying', id: outcome.orderId });
      case 'ended':
        return replyWithOrder(res, 200, outcome.orderId);
      case 'answered':
        return replyWithOrder(res, outcome.reply.created ? 201 : 200, outcome.orderId, intakeFields(outcome.reply));
    }
  }

  return { readOrder, replyWithOrder, replyWithIntake };
}

export const intakeFields = (reply: IntakeReply) => ({
  status: reply.status,
  verification: { passed: reply.verification.ok, reasons: reply.verification.reasons },
});

/** Why intake refused a create, in HTTP terms. */
function refusalProblem(refusal: IntakeRefusal): HttpProblem {
  switch (refusal.reason) {
    case 'idempotency-key-reused':
      return new HttpProblem(422, 'Idempotency-Key reused', `Idempotency-Key ${refusal.key} was used for a different order`, {
        orderId: refusal.orderId,
        errors: [{ field: 'header.Idempotency-Key', message: 'already used for a different request' }],
      });
    case 'external-id-taken':
      return new HttpProblem(409, 'Conflict', `an order with externalId ${refusal.externalId} already exists with different content`, {
        orderId: refusal.orderId,
        errors: [{ field: 'externalId', message: 'already used by another order' }],
      });
    case 'external-id-held':
      return new HttpProblem(409, 'Conflict', `externalId ${refusal.externalId} is already in use`, {
        errors: [{ field: 'externalId', message: 'already in use' }],
      });
    case 'archived':
      return new HttpProblem(409, 'Conflict', 'an order with this key existed and has been archived');
  }
}
