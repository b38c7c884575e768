import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  log,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Transition } from '../activities/order-status';
import type { CarrierTrackingEvent, TrackingStatus } from '../src/carriers/carrier-gateway';
import type { Feedback } from '../src/domain/feedback';
import type { OrderDraft } from '../src/domain/order';
import { FINAL_STATUSES, STAGE_OF_STATUS, type OrderStage, type OrderStatus } from '../src/domain/order-status';
import type { VerificationResult } from '../src/domain/verification';
import { CarrierKey, NeedsAttentionKey, OrderStageKey, OrderStatusKey } from '../src/temporal/search-attributes';
import { carrierActivities, orderActivities } from './activity-stubs';
import type {
  OpenQuestion,
  OperatorAction,
  OrderCorrection,
  OrderOutcome,
  OrderView,
  OrderWorkflowInput,
  StockDecision,
} from './order-messages';
import type { PlannedShipment } from '../activities/shipping';

// The state of one order's run and the few moves every stage makes: number a status
// change, apply it once written, ask an operator when a step keeps failing, and stop
// at the next safe point when the order is cancelled.

/** Thrown at a safe point to end the order as cancelled, releasing what it holds. */
export class OrderCancelled extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OrderCancelled';
  }
}

export interface ShipmentState extends PlannedShipment {
  trackingNumber?: string;
  status: TrackingStatus | 'planned';
}

export class OrderRun {
  readonly orderId: string;
  readonly settings: OrderWorkflowInput['settings'];
  readonly acts = orderActivities();
  readonly carriers: ReturnType<typeof carrierActivities>;

  draft: OrderDraft;
  number?: string;
  verification?: VerificationResult;
  status: OrderStatus = 'received';
  stage: OrderStage = 'verify';
  /** The last state version handed out; versions applied so far are in the timeline. */
  private version = 0;
  private appliedVersion = 0;
  readonly timeline: OrderView['timeline'] = [];
  shipments: ShipmentState[] = [];
  needsAttention = false;
  attentionReason?: string;
  readonly openQuestions = new Map<OpenQuestion['kind'], OpenQuestion>();

  // Messages waiting for the main flow to act on them.
  cancelRequest?: { reason: string };
  /** Set once the order is being cancelled: its undo steps and final write must finish. */
  ending = false;
  private operatorWaiters = 0;
  correction?: OrderCorrection;
  stockDecision?: StockDecision;
  stockArrived = false;
  readonly operatorActions: OperatorAction[] = [];
  readonly trackingInbox: CarrierTrackingEvent[] = [];
  readonly seenTrackingEvents = new Set<string>();
  /** Every shipment is delivered: late tracking events are recorded as they arrive. */
  trackingDone = false;
  /** Set as the first carrier booking goes out: from then on, the goods are on their way. */
  dispatchStarted = false;
  signOffInProgress = false;
  signedOffAt?: string;
  feedbackInProgress = false;
  feedback?: Feedback & { submittedAt: string };
  feedbackWindowClosed = false;

  private readonly compensations: { name: string; undo: () => Promise<unknown> }[] = [];

  constructor(readonly input: OrderWorkflowInput) {
    this.orderId = input.orderId;
    this.settings = input.settings;
    this.draft = input.draft;
    this.carriers = carrierActivities(input.carrierTaskQueue);
  }

  /** The version of the last status change this run has applied. */
  get stateVersion(): number {
    return this.appliedVersion;
  }

  get isFinal(): boolean {
    return FINAL_STATUSES.has(this.status);
  }

  /** Numbers a status change; it becomes the order's status once an activity wrote it. */
  prepare(status: OrderStatus, detail?: Record<string, unknown>): Transition {
    this.version += 1;
    return detail ? { version: this.version, status, detail } : { version: this.version, status };
  }

  apply(...transitions: Transition[]): void {
    const before = this.status;
    for (const t of transitions) {
      if (t.version <= this.appliedVersion) continue;
      this.appliedVersion = t.version;
      this.status = t.status;
      this.stage = STAGE_OF_STATUS[t.status];
      this.timeline.push({ status: t.status, stage: this.stage, at: new Date().toISOString(), version: t.version });
    }
    if (this.status !== before) {
      upsertSearchAttributes([
        { key: OrderStatusKey, value: this.status },
        { key: OrderStageKey, value: this.stage },
      ]);
    }
  }

  /** Marks how far a verification round got, for messages waiting on its verdict. */
  verificationRound = 0;

  /** A status change with nothing else to write. */
  async moveTo(status: OrderStatus, detail?: Record<string, unknown>): Promise<void> {
    const t = this.prepare(status, detail);
    await this.run(`record status ${status}`, () => this.acts.recordStatus({ orderId: this.orderId, transitions: [t] }));
    this.apply(t);
  }

  setCarrier(carrier: string): void {
    upsertSearchAttributes([{ key: CarrierKey, value: carrier }]);
  }

  /** Registers how to undo a step, before the step runs (Medusa's habit): cancel runs these. */
  onCancel(name: string, undo: () => Promise<unknown>): void {
    if (!this.compensations.some((c) => c.name === name)) this.compensations.push({ name, undo });
  }

  async compensate(): Promise<void> {
    for (const c of [...this.compensations].reverse()) {
      await this.run(`undo: ${c.name}`, c.undo);
    }
    this.compensations.length = 0;
  }

  throwIfCancelled(): void {
    if (this.cancelRequest) throw new OrderCancelled(this.cancelRequest.reason);
  }

  ask(kind: OpenQuestion['kind'], windowMs?: number, detail?: Record<string, unknown>): void {
    const since = new Date();
    const question: OpenQuestion = { kind, since: since.toISOString() };
    if (windowMs !== undefined) question.until = new Date(since.getTime() + windowMs).toISOString();
    if (detail) question.detail = detail;
    this.openQuestions.set(kind, question);
  }

  answered(kind: OpenQuestion['kind']): void {
    this.openQuestions.delete(kind);
  }

  /**
   * Runs a step. A business failure the caller handles is passed up; any other failure
   * (the step's retries ran out, or a business failure nobody expects) flags the order
   * for an operator and waits for them to retry or cancel it.
   */
  async run<T>(what: string, step: () => Promise<T>, handles: readonly string[] = [], options: { cancellable?: boolean } = {}): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const type = failureType(err);
        if (type && handles.includes(type)) throw err;
        const action = await this.operatorDecides(`${what} failed: ${failureMessage(err)}`, options.cancellable !== false);
        if (action.action === 'cancel') throw new OrderCancelled(action.reason ?? 'cancelled by an operator');
        log.info('operator asked to retry', { orderId: this.orderId, what, operator: action.operator });
      }
    }
  }

  /** The operator's answer; where cancelling is not allowed, a cancel is refused and asked again. */
  private async operatorDecides(reason: string, cancellable: boolean): Promise<OperatorAction> {
    for (let asking = reason; ; ) {
      const action = await this.askOperator(asking);
      if (action.action === 'retry' || cancellable) return action;
      // A carrier may already hold a booking for this order: cancelling now would put
      // the stock back on sale while the carrier comes for the goods.
      log.warn('operator cancel refused: a carrier may hold a booking', { orderId: this.orderId, operator: action.operator });
      asking = `${reason}; it cannot be cancelled now (a carrier may hold a booking): retry`;
    }
  }

  /**
   * Waits for an operator's retry or cancel. Several steps may wait at once (two
   * shipments' bookings): each takes its own action, and the question stays open until
   * the last is answered. A customer's cancel answers too, unless it is the cancellation
   * itself that is stuck (`ending`): then only an operator can.
   */
  async askOperator(reason: string): Promise<OperatorAction> {
    this.operatorWaiters++;
    // Opened before the flag is written: a retry sent meanwhile is kept, not ignored.
    this.ask('operator', undefined, { reason });
    await this.flag(true, reason);
    const customerCancel = () => (this.ending ? undefined : this.cancelRequest);
    try {
      for (;;) {
        await condition(() => this.operatorActions.length > 0 || customerCancel() !== undefined);
        const action = this.operatorActions.shift();
        if (action) return action;
        const cancel = customerCancel();
        if (cancel) return { action: 'cancel', reason: cancel.reason };
      }
    } finally {
      this.operatorWaiters--;
      if (this.operatorWaiters === 0) {
        this.answered('operator');
        await this.flag(false);
      }
    }
  }

  /** Raises (or clears) the operator flag without waiting for anyone. */
  async flag(on: boolean, reason?: string): Promise<void> {
    this.needsAttention = on;
    this.attentionReason = on ? reason : undefined;
    upsertSearchAttributes([{ key: NeedsAttentionKey, value: on }]);
    try {
      // Best effort: the search attribute already tells operators; the database
      // copy is for the API, and the database may be the very thing that is down.
      await this.acts.recordAttention(on ? { orderId: this.orderId, needsAttention: on, reason } : { orderId: this.orderId, needsAttention: on });
    } catch (err) {
      log.warn('could not record the attention flag', { orderId: this.orderId, error: String(err) });
    }
  }

  view(): OrderView {
    return {
      orderId: this.orderId,
      number: this.number,
      status: this.status,
      stage: this.stage,
      version: this.appliedVersion,
      needsAttention: this.needsAttention,
      attentionReason: this.attentionReason,
      verification: this.verification,
      timeline: [...this.timeline],
      shipments: this.shipments.map((s) => ({
        shipmentId: s.shipmentId,
        carrier: s.carrier,
        method: s.method,
        service: s.service,
        trackingNumber: s.trackingNumber,
        status: s.status,
      })),
      openQuestions: [...this.openQuestions.values()],
    };
  }

  outcome(): OrderOutcome {
    return { orderId: this.orderId, number: this.number, status: this.status };
  }
}

/** The type of the business failure behind an activity failure, if it is one. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

export function failureDetails<T>(err: unknown): T | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.details?.[0] as T | undefined) : undefined;
}

function failureMessage(err: ActivityFailure): string {
  return err.cause?.message ?? err.message;
}
