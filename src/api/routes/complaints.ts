import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import {
  complaintJson,
  fileComplaint,
  findComplaint,
  listComplaints,
  respondToComplaint,
  withdrawComplaint,
} from '../../complaints/complaint-store';
import { COMPLAINT_CATEGORIES, COMPLAINT_CHANNELS, COMPLAINT_STATUSES } from '../../complaints/rules';
import type { Config } from '../../config';
import type { Db } from '../../db/client';
import { COMPLAINT_WORKFLOW_TYPE, complaintAnswered, complaintWorkflowId, type ComplaintWorkflowInput } from '../../../workflows/complaint/messages';
import { badCursor, decodeCursor, pageOf } from '../keyset';
import { findOrderRow } from '../order-read-model';
import { maySeeOrder, visibleOrderId } from '../tenancy';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { Instant, OrderIdParam } from '../schemas';

// Complaints and suggestions (R1.10). A complaint is filed against an order, a
// suggestion against none; each is a ticket with a response deadline, and its
// complaint-{id} workflow flags it for an operator if nobody answers in time.
// Tickets are written here; their workflows only keep the time.

const text = (max: number) => z.string().trim().min(1).max(max);

export const ComplaintBody = z.strictObject({
  category: z.enum(COMPLAINT_CATEGORIES),
  message: text(4000),
  channel: z.enum(COMPLAINT_CHANNELS),
});

export const ComplaintResponseBody = z.strictObject({
  message: text(4000),
  /** True: this answer resolves the ticket and is its resolution note. */
  resolve: z.boolean().default(false),
  /** Who answered: an operator's name or id. */
  by: text(200),
});

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

export const ComplaintsQuery = z.strictObject({
  status: csv(COMPLAINT_STATUSES).optional(),
  category: csv(COMPLAINT_CATEGORIES).optional(),
  channel: csv(COMPLAINT_CHANNELS).optional(),
  kind: z.enum(['complaint', 'suggestion']).optional(),
  orderId: z.uuid().transform((id) => id.toLowerCase()).optional(),
  overdue: z.stringbool().optional(),
  needsAttention: z.stringbool().optional(),
  from: Instant.optional(),
  to: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

const ComplaintId = z.uuid().transform((id) => id.toLowerCase());
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function complaintIdOf(params: Record<string, string>): string {
  const parsed = ComplaintId.safeParse(params.id);
  if (!parsed.success) throw new HttpProblem(404, 'Not found', `no complaint ${params.id}`, { errors: [{ field: 'path.id', message: 'a complaint id (UUID)' }] });
  return parsed.data;
}

function decodeComplaintCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2) as [string, string];
  const createdAt = new Date(at);
  const year = createdAt.getUTCFullYear();
  if (!UUID.test(id) || Number.isNaN(createdAt.getTime()) || year < 1970 || year > 9999) throw badCursor();
  return { createdAt, id };
}

export interface ComplaintRouteDeps {
  db: Db;
  client: Client;
  ordersTaskQueue: string;
  complaints: Config['complaints'];
  log: (message: string, error?: unknown) => void;
}

export function complaintRoutes(deps: ComplaintRouteDeps) {
  const { db, client } = deps;

  /** Files the ticket and starts its timer; a ticket whose timer cannot start is taken back and the caller told. */
  async function file(orderId: string | null, body: z.output<typeof ComplaintBody>, filedBy: string, key: string | undefined) {
    const filedAt = new Date();
    const { ticket, created } = await fileComplaint(db, {
      orderId,
      ...body,
      filedBy,
      filedAt,
      responseDueAt: new Date(filedAt.getTime() + deps.complaints.responseWindowMs),
      ...(key ? { idempotencyKey: key } : {}),
    });
    const same = ticket.orderId === orderId && ticket.category === body.category && ticket.channel === body.channel && ticket.message === body.message;
    if (!created && !same) {
      throw new HttpProblem(422, 'Invalid request', 'Idempotency-Key: already used for a different complaint', {
        errors: [{ field: 'header.Idempotency-Key', message: `already used for complaint ${ticket.id}` }],
      });
    }
    const input: ComplaintWorkflowInput = {
      complaintId: ticket.id,
      responseDueAt: ticket.responseDueAt.toISOString(),
      escalationWindowMs: deps.complaints.escalationWindowMs,
    };
    try {
      await client.workflow.start(COMPLAINT_WORKFLOW_TYPE, { taskQueue: deps.ordersTaskQueue, workflowId: complaintWorkflowId(ticket.id), args: [input] });
    } catch (err) {
      // Already running or done: the same filing sent again.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
        if (created) await withdrawComplaint(db, ticket.id);
        throw err;
      }
    }
    return { ticket, created };
  }

  const idempotencyKeyOf = (header: string | undefined, keyId: string | undefined) => (header ? `${keyId ?? 'anonymous'}:${header}` : undefined);

  return [
    route({
      method: 'post',
      path: '/v1/orders/:id/complaints',
      tag: 'complaints',
      summary: 'File a complaint about an order (R1.10): a ticket with a response deadline',
      access: ['integrator', 'operator'],
      body: ComplaintBody,
      idempotent: true,
      responses: { 201: 'the ticket; Location names it', 200: 'the same ticket again (same Idempotency-Key)', 404: 'no such order', 422: 'invalid body' },
      async handler({ req, res, params, body, caller }) {
        const parsed = OrderIdParam.safeParse(params.id);
        const order = parsed.success ? await findOrderRow(db, await visibleOrderId(db, caller, parsed.data)) : undefined;
        if (!order) throw new HttpProblem(404, 'Not found', `no order ${params.id}`, { errors: [{ field: 'path.id', message: 'no such order' }] });
        const { ticket, created } = await file(order.id, body, caller!.role, idempotencyKeyOf(req.get('idempotency-key'), caller?.keyId));
        res.status(created ? 201 : 200).location(`/v1/complaints/${ticket.id}`).json(complaintJson(ticket, order.number));
      },
    }),

    route({
      method: 'post',
      path: '/v1/complaints',
      tag: 'complaints',
      summary: 'Make a suggestion, or a complaint about no order in particular (R1.10)',
      access: ['integrator', 'operator'],
      body: ComplaintBody,
      idempotent: true,
      responses: { 201: 'the ticket; Location names it', 200: 'the same ticket again (same Idempotency-Key)', 422: 'invalid body' },
      async handler({ req, res, body, caller }) {
        const { ticket, created } = await file(null, body, caller!.role, idempotencyKeyOf(req.get('idempotency-key'), caller?.keyId));
        res.status(created ? 201 : 200).location(`/v1/complaints/${ticket.id}`).json(complaintJson(ticket, null));
      },
    }),

    route({
      method: 'get',
      path: '/v1/complaints',
      tag: 'complaints',
      summary: 'Complaints and suggestions, newest first, with filters',
      access: ['operator'],
      query: ComplaintsQuery,
      responses: { 200: '{ data: [ticket], nextCursor }' },
      async handler({ res, query }) {
        const rows = await listComplaints(db, {
          ...query,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
          after: query.cursor ? decodeComplaintCursor(query.cursor) : undefined,
        });
        const now = new Date();
        res.json(pageOf(rows, query.limit, (r) => [r.ticket.createdAt.toISOString(), r.ticket.id], (r) => complaintJson(r.ticket, r.orderNumber, now)));
      },
    }),

    route({
      method: 'get',
      path: '/v1/complaints/:id',
      tag: 'complaints',
      summary: 'One ticket with its responses, and its times to first response and resolution',
      access: ['integrator', 'operator'],
      responses: { 200: 'the ticket with its responses', 404: 'no such ticket' },
      async handler({ res, params, caller }) {
        const ticket = await findComplaint(db, complaintIdOf(params));
        // A ticket on another integrator's order is as missing as the order.
        if (!ticket || (ticket.orderId && !(await maySeeOrder(db, caller, ticket.orderId)))) throw new HttpProblem(404, 'Not found', `no complaint ${params.id}`);
        res.json(ticket);
      },
    }),

    route({
      method: 'post',
      path: '/v1/complaints/:id/responses',
      tag: 'complaints',
      summary: 'Answer a ticket: the first answer makes it responded; `resolve: true` resolves it with this note',
      access: ['operator'],
      body: ComplaintResponseBody,
      responses: { 200: 'the ticket with its responses', 404: 'no such ticket', 409: 'the ticket is resolved already' },
      async handler({ res, params, body }) {
        const id = complaintIdOf(params);
        const outcome = await respondToComplaint(db, id, body);
        if (outcome.kind === 'missing') throw new HttpProblem(404, 'Not found', `no complaint ${id}`);
        if (outcome.kind === 'resolved') {
          throw new HttpProblem(409, 'Conflict', `complaint ${id} was resolved at ${outcome.ticket.resolvedAt?.toISOString()}; it takes no more responses`, {
            ticketStatus: 'resolved',
          });
        }
        // The answer is recorded; the signal only wakes the timer early. If it is lost, the
        // timer reads the ticket from the database when it fires and finds it answered.
        try {
          await client.workflow.getHandle(complaintWorkflowId(id)).signal(complaintAnswered, { status: outcome.ticket.status });
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError || (err instanceof Error && /already completed/i.test(err.message)))) {
            deps.log(`complaint ${id}: the answer is recorded but its workflow was not told`, err);
          }
        }
        res.json(await findComplaint(db, id));
      },
    }),
  ];
}
