import { log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { orderDetails } from './details';
import { FINAL_STATUSES, STAGE_OF_STATUS, type OrderStatus } from '../../src/domain/order-status';
import type { Transition } from '../../src/domain/transition';
import { CarrierKey, NeedsAttentionKey, OrderStageKey, OrderStatusKey } from '../../src/temporal/search-attributes';
import { Compensations } from '../kit/compensation';
import { OperatorDesk } from '../kit/operator';
import { answered, ask, isOpen } from '../kit/questions';
import { StepRunner, type StepOptions } from '../kit/steps';
import { StatusLine, type StatusChange, type TransitionOptions } from '../kit/transition';
import { carrierActivities, orderActivities, type OrderActivities } from './activities';
import { handedOver, incidentView } from './exceptions';
import type { OrderOutcome, OrderView, QuestionKind } from './messages';
import type { OrderState } from './state';

// One order's run: its plain state (state.ts) and the kit's moves wired to it — status
// changes, steps with the operator's path, undo steps — plus what only an order has.

/** Thrown at a safe point to end the order as cancelled, releasing what it holds. */
export class OrderCancelled extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'OrderCancelled';
  }
}

export class OrderRun {
  readonly acts = orderActivities();
  readonly carriers: ReturnType<typeof carrierActivities>;
  readonly statuses: StatusLine<OrderStatus>;
  readonly desk: OperatorDesk;
  readonly steps: StepRunner;
  readonly undo: Compensations<OrderActivities>;

  /** Builds a run on a state: a new order's, or one carried over by continue-as-new. */
  constructor(readonly state: OrderState) {
    this.carriers = carrierActivities(state.input.carrierTaskQueue);
    const context = () => ({ orderId: this.orderId });
    this.statuses = new StatusLine(state, (applied, before) => this.applied(applied, before));
    this.desk = new OperatorDesk(state, {
      context,
      announce: (on, reason) => this.announce(on, reason),
      // A customer's cancel answers a waiting step too, unless it is the cancellation
      // itself that is stuck: then only an operator can.
      pendingCancel: () => (state.ending ? undefined : state.cancelRequest),
      unasked: (action) => {
        if (action.action === 'cancel' && !state.shipments.some(handedOver) && state.status !== 'delivery_exception' && !this.isFinal) {
          state.cancelRequest ??= { reason: action.reason ?? 'cancelled by an operator' };
        }
      },
    });
    this.steps = new StepRunner(this.desk, (reason) => new OrderCancelled(reason), context);
    this.undo = new Compensations<OrderActivities>(state.compensations, this.acts, this.steps);
  }

  get orderId(): string {
    return this.state.input.orderId;
  }

  get settings(): OrderState['input']['settings'] {
    return this.state.input.settings;
  }

  get isFinal(): boolean {
    return FINAL_STATUSES.has(this.state.status);
  }

  /** A step: an activity call that asks an operator when it keeps failing. */
  run<T>(what: string, step: () => Promise<T>, options?: StepOptions<T>): Promise<T> {
    return this.steps.run(what, step, options);
  }

  /** A status change written by `write` (as a step), applied once written. */
  transition<T>(
    what: string,
    to: StatusChange<OrderStatus> | readonly StatusChange<OrderStatus>[],
    write: (transitions: Transition[]) => Promise<T>,
    options: StepOptions<T> & TransitionOptions = {},
  ): Promise<T> {
    return this.statuses.transition(to, (transitions) => this.steps.run(what, () => write(transitions), options), options);
  }

  /** A status change with nothing else to write. */
  moveTo(status: OrderStatus, detail?: Record<string, unknown>): Promise<void> {
    return this.transition(`record status ${status}`, { status, detail }, (transitions) =>
      this.acts.recordStatus({ orderId: this.orderId, transitions }),
    );
  }

  setCarrier(carrier: string): void {
    upsertSearchAttributes([{ key: CarrierKey, value: carrier }]);
  }

  throwIfCancelled(): void {
    if (this.state.cancelRequest) throw new OrderCancelled(this.state.cancelRequest.reason);
  }

  ask(kind: QuestionKind, windowMs?: number, detail?: Record<string, unknown>): void {
    ask(this.state.openQuestions, kind, windowMs, detail);
  }

  answered(kind: QuestionKind): void {
    answered(this.state.openQuestions, kind);
  }

  /** The order is asking `kind` now: its window (if any) has not closed. */
  isAsking(kind: QuestionKind): boolean {
    return isOpen(this.state.openQuestions, kind);
  }

  private applied(transitions: readonly Transition[], before: OrderStatus): void {
    for (const t of transitions) {
      this.state.stage = STAGE_OF_STATUS[t.status];
      this.state.timeline.push({ status: t.status, stage: this.state.stage, at: new Date().toISOString(), version: t.version });
    }
    if (this.state.status !== before) {
      upsertSearchAttributes([
        { key: OrderStatusKey, value: this.state.status },
        { key: OrderStageKey, value: this.state.stage },
      ]);
    }
    // While an operator is asked, the desk's words (reason and choices) stay up.
    if (!this.state.needsAttention) this.showDetails();
  }

  /** The Temporal UI's current details: what the order waits for (not a command: replays unchanged). */
  showDetails(): void {
    setCurrentDetails(orderDetails(this.state));
  }

  private async announce(on: boolean, reason?: string): Promise<void> {
    upsertSearchAttributes([{ key: NeedsAttentionKey, value: on }]);
    if (!on) this.showDetails();
    try {
      // Best effort: the search attribute already tells operators; the database
      // copy is for the API, and the database may be the very thing that is down.
      await this.acts.recordAttention(reason !== undefined ? { orderId: this.orderId, needsAttention: on, reason } : { orderId: this.orderId, needsAttention: on });
    } catch (err) {
      log.warn('could not record the attention flag', { orderId: this.orderId, error: String(err) });
    }
  }

  view(): OrderView {
    const s = this.state;
    return {
      orderId: this.orderId,
      number: s.number,
      status: s.status,
      stage: s.stage,
      version: s.appliedVersion,
      needsAttention: s.needsAttention,
      attentionReason: s.attentionReason,
      verification: s.verification,
      timeline: [...s.timeline],
      shipments: s.shipments.map((x) => ({
        shipmentId: x.shipmentId,
        carrier: x.carrier,
        method: x.method,
        service: x.service,
        trackingNumber: x.trackingNumber,
        status: x.status,
        closedAs: x.closedAs,
        replaces: x.replaces,
      })),
      openQuestions: [...s.openQuestions] as OrderView['openQuestions'],
      incidents: (s.incidents ?? []).map(incidentView),
      ...(s.aftercares?.length ? { aftercare: s.aftercares.map(({ received: _r, receivedNote: _n, waitUntil: _w, ...shown }) => shown) } : {}),
    };
  }

  outcome(): OrderOutcome {
    return { orderId: this.orderId, number: this.state.number, status: this.state.status };
  }
}
