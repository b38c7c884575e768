import { createHash, randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { v5 as uuidv5 } from 'uuid';
import { MessageRejection } from '../domain/failures';
import { orderSearchFields } from '../domain/order';
import type { OrderSettings } from '../domain/order-settings';
import { ChannelKey, CustomerIdKey, NeedsAttentionKey, OrderStageKey, OrderStatusKey, PriorityKey, RegionKey } from '../temporal/search-attributes';
import {
  ORDER_WORKFLOW_TYPE,
  awaitVerification,
  orderWorkflowId,
  type IntakeReply,
  type OrderWorkflowInput,
} from '../../workflows/order/messages';
import type { orderWorkflow } from '../../workflows/order/workflow';
import { HttpProblem } from './problem';
import type { CreateOrderBody } from './schemas';

// How the API talks to order workflows. It never writes order state: it starts a
// workflow or sends it a message, and turns the workflow's answer into HTTP.

const ORDER_ID_NAMESPACE = '5b0f3c1e-8d2a-4f6b-9c1d-0e7a4b2c9f10';

/** The same external id (per channel), or the same idempotency key (per caller), is the same order. */
export function orderIdFor(body: CreateOrderBody, idempotencyKey: string | undefined, callerKeyId: string): string {
  if (body.externalId) return uuidv5(`external:${body.channel}:${body.externalId}`, ORDER_ID_NAMESPACE);
  if (idempotencyKey) return uuidv5(`idempotency:${callerKeyId}:${idempotencyKey}`, ORDER_ID_NAMESPACE);
  return randomUUID();
}

/** A stable hash of a JSON value: object keys sorted, so key order does not matter. */
export function fingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .filter(([, x]) => x !== undefined)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

export interface OrderCommandsOptions {
  client: Client;
  ordersTaskQueue: string;
  carriersTaskQueue: string;
  settings: OrderSettings;
  /** How long a request waits for the workflow's answer before replying "accepted, still working". */
  answerTimeoutMs?: number;
  /** The order's state version as the database has it. */
  recordedVersion(orderId: string): Promise<number | undefined>;
}

export type PlaceOrderResult =
  | { kind: 'answered'; orderId: string; reply: IntakeReply }
  | { kind: 'pending'; orderId: string }
  | { kind: 'closed'; orderId: string };

export function orderCommands(options: OrderCommandsOptions) {
  const { client } = options;
  const answerTimeoutMs = options.answerTimeoutMs ?? 15_000;

  async function withinAnswerTime<T>(work: Promise<T>): Promise<T | typeof PENDING> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof PENDING>((resolve) => {
      timer = setTimeout(() => resolve(PENDING), answerTimeoutMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    /** Starts the order's workflow and waits for VERIFY's verdict, in one round trip. */
    async placeOrder(input: { orderId: string; body: CreateOrderBody }): Promise<PlaceOrderResult> {
      const { body, orderId } = input;
      const requestId = randomUUID();
      const print = fingerprint(body);
      const workflowInput: OrderWorkflowInput = {
        orderId,
        draft: body,
        requestId,
        fingerprint: print,
        settings: options.settings,
        carrierTaskQueue: options.carriersTaskQueue,
      };
      const fields = orderSearchFields(body);
      const start = new WithStartWorkflowOperation<typeof orderWorkflow>(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(orderId),
        taskQueue: options.ordersTaskQueue,
        args: [workflowInput],
        // A repeat of the create joins the running order; an order that already ended
        // is never started again under the same id.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: OrderStatusKey, value: 'received' },
          { key: OrderStageKey, value: 'verify' },
          { key: CustomerIdKey, value: fields.customerId },
          { key: ChannelKey, value: fields.channel },
          { key: PriorityKey, value: fields.priority },
          { key: RegionKey, value: fields.region },
          { key: NeedsAttentionKey, value: false },
        ],
        staticSummary: `${body.channel} order for ${body.customer.address.city}, ${body.customer.address.country}`,
      });
      try {
        const handle = await client.workflow.startUpdateWithStart(awaitVerification, {
          args: [{ requestId, fingerprint: print }],
          waitForStage: 'ACCEPTED',
          startWorkflowOperation: start,
        });
        const reply = await withinAnswerTime(handle.result());
        return reply === PENDING ? { kind: 'pending', orderId } : { kind: 'answered', orderId, reply };
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'closed', orderId };
        throw err;
      }
    },

    /** Sends an update to a running order and maps its refusal to HTTP. */
    async update<Ret>(
      orderId: string,
      send: (handle: WorkflowHandle) => Promise<Ret>,
    ): Promise<Ret> {
      const handle = client.workflow.getHandle(orderWorkflowId(orderId));
      const catchUpUntil = Date.now() + CATCH_UP_MS;
      let result: Ret | typeof PENDING;
      for (;;) {
        try {
          result = await withinAnswerTime(send(handle));
          break;
        } catch (err) {
          // An activity writes a status a moment before the workflow applies it. A client
          // who read the new status from us and answered at once is early, not wrong.
          const refused = refusedAt(err);
          if (refused !== undefined && Date.now() < catchUpUntil) {
            const recorded = await options.recordedVersion(orderId);
            if (recorded !== undefined && recorded > refused) {
              await new Promise((resolve) => setTimeout(resolve, 25));
              continue;
            }
          }
          // Asked only when Temporal knows no such workflow: an order that was never
          // there is a 404; one whose workflow has ended (or been dropped) stays a 409.
          if (err instanceof WorkflowNotFoundError && (await options.recordedVersion(orderId)) === undefined) {
            throw new HttpProblem(404, 'Not found', `no order ${orderId}`);
          }
          throw asProblem(err);
        }
      }
      if (result === PENDING) {
        throw new HttpProblem(503, 'Order busy', 'the order did not answer in time; the request may still be carried out, send it again to find out', {
          retryAfterSeconds: 5,
        });
      }
      return result;
    },

    handle(orderId: string): WorkflowHandle {
      return client.workflow.getHandle(orderWorkflowId(orderId));
    },
  };
}

const PENDING = Symbol('pending');
const CATCH_UP_MS = 3_000;

/** The state version a WrongState refusal was made at, if it is one. */
function refusedAt(err: unknown): number | undefined {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  if (err.cause.type !== MessageRejection.WrongState) return undefined;
  const version = (err.cause.details?.[0] as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : undefined;
}

export type OrderCommands = ReturnType<typeof orderCommands>;

/** Why an order refused a message, in HTTP terms. */
export function asProblem(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    if (cause.type === MessageRejection.WrongState) return new HttpProblem(409, 'Conflict with the order state', cause.message);
    if (cause.type === MessageRejection.Invalid) {
      return new HttpProblem(422, 'Not acceptable for this order', cause.message, { ...(cause.details?.[0] as object | undefined) });
    }
    return new HttpProblem(503, 'Not recorded', cause.message, { retryAfterSeconds: 5 });
  }
  if (err instanceof WorkflowNotFoundError || (err instanceof Error && /workflow execution already completed/i.test(err.message))) {
    return new HttpProblem(409, 'Conflict with the order state', 'the order has ended and takes no more messages');
  }
  return err;
}
