import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { orders } from '../db/schema';
import type { OrderDraft } from '../domain/order';
import { customerKey, orderSearchFields } from '../domain/order';
import type { OrderSettings } from '../domain/order-settings';
import { FINAL_STATUSES, type OrderStatus } from '../domain/order-status';
import {
  ChannelKey,
  CustomerIdKey,
  NeedsAttentionKey,
  OrderNumberKey,
  OrderStageKey,
  OrderStatusKey,
  PriorityKey,
  RegionKey,
} from '../temporal/search-attributes';
import { LATE, withinTime } from '../temporal/within-time';
import {
  ORDER_WORKFLOW_TYPE,
  awaitVerification,
  orderWorkflowId,
  type IntakeReply,
  type OrderWorkflowInput,
} from '../../workflows/order/messages';
import type { orderWorkflow } from '../../workflows/order/workflow';
import { opaqueCustomerId } from './customer-ref';
import { claimIdempotencyKey, releaseIdempotencyKey, type KeyClaim } from './idempotency-keys';
import { fingerprint, orderIdFor } from './order-identity';
import { claimOrder } from './order-owners';

// Order intake, whatever the channel: which order a request means (idempotency key,
// external id), whether it repeats or contradicts an earlier one, and placing it —
// starting its workflow and waiting for VERIFY's verdict in one round trip. It speaks
// in outcomes, not HTTP, so `POST /v1/orders` and a partner channel's adapter render
// the same decisions in their own words.

/** Where a draft came from, beyond what the draft itself says (its channel, partner, externalId). */
export interface OrderSource {
  /** Who sent it (the caller's API key id): an Idempotency-Key is the caller's own. */
  caller: string;
  idempotencyKey?: string;
}

export type IntakeOutcome =
  /** VERIFY's verdict is in; `reply.created` is true only for the request that started the order. */
  | { kind: 'answered'; orderId: string; reply: IntakeReply }
  /** Accepted; verification had not finished within the answer time. */
  | { kind: 'pending'; orderId: string }
  /** The same request as an order that has ended: answer from the record. */
  | { kind: 'ended'; orderId: string }
  | { kind: 'refused'; refusal: IntakeRefusal };

export type IntakeRefusal =
  /** The Idempotency-Key was used for a different request (another order or other content). */
  | { reason: 'idempotency-key-reused'; key: string; orderId: string }
  /** The externalId belongs to an order with different content. */
  | { reason: 'external-id-taken'; externalId: string; orderId: string }
  /** The externalId belongs to an order another caller placed: which one is not said. */
  | { reason: 'external-id-held'; externalId: string }
  /** The order this request means existed, ended and is no longer on record. */
  | { reason: 'archived'; orderId: string };

export interface OrderIntakeOptions {
  db: Db;
  client: Client;
  ordersTaskQueue: string;
  carriersTaskQueue: string;
  settings: OrderSettings;
  /** How long placing waits for the verdict before answering "pending". */
  answerTimeoutMs?: number;
  /** Keys the opaque `CustomerId` search attribute (src/intake/customer-ref.ts). */
  customerIdSecret: string;
}

/** What the Temporal UI lists an order as: its number, channel and country, never whom or which city. */
export function orderSummary(number: string, draft: Pick<OrderDraft, 'channel' | 'customer'>): string {
  return `${number} · ${draft.channel} order to ${draft.customer.address.country.toUpperCase()}`;
}

export type OrderIntake = ReturnType<typeof orderIntake>;

export function orderIntake(options: OrderIntakeOptions) {
  const { db } = options;
  const answerTimeoutMs = options.answerTimeoutMs ?? 15_000;

  /** The `CustomerId` search attribute of a customer: opaque, the same for all their orders. */
  const customerRef = (customer: OrderDraft['customer']) => opaqueCustomerId(customerKey(customer), options.customerIdSecret);

  /** The order's number, taken before its workflow starts so the UI can list it by it. */
  async function nextOrderNumber(): Promise<string> {
    const rows = (await db.execute(sql`select 'OF-' || nextval('order_numbers') as number`)) as unknown as { number: string }[];
    return rows[0]!.number;
  }

  async function recordedOrder(orderId: string) {
    const [row] = await db
      .select({ status: orders.status, requestFingerprint: orders.requestFingerprint })
      .from(orders)
      .where(eq(orders.id, orderId));
    return row;
  }

  /** Starts the order's workflow (or joins it) and waits for VERIFY's verdict. */
  async function startAndAwaitVerdict(orderId: string, draft: OrderDraft, print: string) {
    const requestId = randomUUID();
    // A repeat that joins the running order wastes its number: the sequence has gaps anyway.
    const number = await nextOrderNumber();
    const customerId = customerRef(draft.customer);
    const workflowInput: OrderWorkflowInput = {
      orderId,
      draft,
      number,
      customerRef: customerId,
      requestId,
      fingerprint: print,
      settings: options.settings,
      carrierTaskQueue: options.carriersTaskQueue,
    };
    const facts = orderSearchFields(draft);
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
        { key: OrderNumberKey, value: number },
        { key: CustomerIdKey, value: customerId },
        { key: ChannelKey, value: facts.channel },
        { key: PriorityKey, value: facts.priority },
        { key: RegionKey, value: facts.region },
        { key: NeedsAttentionKey, value: false },
      ],
      staticSummary: orderSummary(number, draft),
    });
    try {
      const handle = await options.client.workflow.startUpdateWithStart(awaitVerification, {
        args: [{ requestId, fingerprint: print }],
        waitForStage: 'ACCEPTED',
        startWorkflowOperation: start,
      });
      const reply = await withinTime(handle.result(), answerTimeoutMs);
      return reply === LATE ? ({ kind: 'pending' } as const) : ({ kind: 'answered', reply } as const);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'closed' } as const;
      throw err;
    }
  }

  /** Places the draft, or finds the order an earlier identical request placed. */
  async function placeOrder(draft: OrderDraft, source: OrderSource): Promise<IntakeOutcome> {
    const key = source.idempotencyKey;
    const orderId = orderIdFor(draft, key, source.caller);
    const print = fingerprint(draft);

    // A repeat must say what the first request said; otherwise it is refused.
    const sameRequest = (storedPrint: string, then: IntakeOutcome): IntakeOutcome => {
      if (storedPrint === print) return then;
      if (draft.externalId) return { kind: 'refused', refusal: { reason: 'external-id-taken', externalId: draft.externalId, orderId } };
      return { kind: 'refused', refusal: { reason: 'idempotency-key-reused', key: key!, orderId } };
    };

    const claim: KeyClaim | undefined = key === undefined ? undefined : { scope: source.caller, key, orderId, fingerprint: print };
    let claimedNow = false;
    if (claim) {
      const claimed = await claimIdempotencyKey(db, claim);
      if (!claimed.bound) return { kind: 'refused', refusal: { reason: 'idempotency-key-reused', key: claim.key, orderId: claimed.orderId } };
      claimedNow = claimed.claimedNow;
    }

    const outcome = await (async (): Promise<IntakeOutcome> => {
      // The order is its first caller's: another caller's externalId is refused without
      // saying whose order it is (ids from an Idempotency-Key are per caller already).
      const owner = await claimOrder(db, orderId, source.caller);
      if (owner !== source.caller) return { kind: 'refused', refusal: { reason: 'external-id-held', externalId: draft.externalId ?? '' } };
      if (key !== undefined || draft.externalId) {
        // An order that has ended is answered from the record: Temporal may already
        // have dropped its closed workflow (retention), and the same id must never
        // start a second life over the first.
        const row = await recordedOrder(orderId);
        if (row && FINAL_STATUSES.has(row.status as OrderStatus)) return sameRequest(row.requestFingerprint, { kind: 'ended', orderId });
      }
      const started = await startAndAwaitVerdict(orderId, draft, print);
      if (started.kind === 'pending') return { kind: 'pending', orderId };
      if (started.kind === 'closed') {
        const row = await recordedOrder(orderId);
        if (!row) return { kind: 'refused', refusal: { reason: 'archived', orderId } };
        return sameRequest(row.requestFingerprint, { kind: 'ended', orderId });
      }
      return sameRequest(started.reply.fingerprint, { kind: 'answered', orderId, reply: started.reply });
    })();

    // A refused request leaves no trace: its key stays free for the right request.
    if (outcome.kind === 'refused' && claim && claimedNow) await releaseIdempotencyKey(db, claim);
    return outcome;
  }

  return { placeOrder, customerRef };
}
