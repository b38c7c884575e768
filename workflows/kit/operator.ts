import { condition, log, patched, setCurrentDetails } from '@temporalio/workflow';
import { ask, answered, isOpen, type OpenQuestion } from './questions';

// The operator's path: a workflow that cannot go on raises its attention flag, says why,
// and waits for an operator's answer, sent as a signal from the Temporal UI: retry the
// step, skip it (only where the step allows it), or cancel.

export const OPERATOR_ACTIONS = ['retry', 'skip', 'cancel'] as const;

export interface OperatorAction {
  action: (typeof OPERATOR_ACTIONS)[number];
  reason?: string;
  operator?: string;
}

/** Patch ids: behaviour that histories recorded before it must not see. */
export const OPERATOR_PATCHES = {
  /** A malformed operatorAction is refused (and recorded as such), not taken as a retry. */
  refuseMalformed: 'operator-action-refuses-malformed',
  /** A skip where the step allows none is refused, not taken as a retry. */
  refuseSkip: 'operator-action-refuses-skip',
  /**
   * The question stays open (and the flag up) while a refused answer is noted and the
   * step asks again: before it, an answer sent in that gap found no question and was lost.
   */
  openThroughRefusals: 'operator-question-open-through-refusals',
} as const;

/** Checks a signal's payload: the Send Signal dialog accepts any JSON. */
export function parseOperatorAction(payload: unknown): { ok: true; action: OperatorAction } | { ok: false; problem: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, problem: 'expected an object such as {"action":"retry"}' };
  }
  const { action, reason, operator, ...rest } = payload as Record<string, unknown>;
  if (!OPERATOR_ACTIONS.includes(action as OperatorAction['action'])) {
    return { ok: false, problem: `action must be one of ${OPERATOR_ACTIONS.join(', ')} (got ${JSON.stringify(action) ?? 'nothing'})` };
  }
  if (reason !== undefined && typeof reason !== 'string') return { ok: false, problem: 'reason must be text' };
  if (operator !== undefined && typeof operator !== 'string') return { ok: false, problem: 'operator must be text' };
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return { ok: false, problem: `unknown field(s): ${unknown.join(', ')}` };
  const parsed: OperatorAction = { action: action as OperatorAction['action'] };
  if (reason !== undefined) parsed.reason = reason as string;
  if (operator !== undefined) parsed.operator = operator as string;
  return { ok: true, action: parsed };
}

/** What an operator desk keeps across continue-as-new. */
export interface OperatorState {
  needsAttention: boolean;
  attentionReason?: string;
  /** Answers not yet taken by a waiting step. */
  operatorInbox: OperatorAction[];
  openQuestions: OpenQuestion[];
}

export interface OperatorDeskHooks {
  /** Makes the flag visible (search attribute, the record): best effort, never throws. */
  announce(on: boolean, reason?: string): Promise<void>;
  /** Says which workflow this is, in log lines. */
  context(): Record<string, unknown>;
  /** A cancellation asked for elsewhere (a customer) answers a waiting step too. */
  pendingCancel?(): { reason: string } | undefined;
  /** An action sent while nothing waits for one (a cancel may still mean something). */
  unasked?(action: OperatorAction): void;
}

export interface Decision {
  /** Why cancelling is refused here; absent, an operator may cancel. */
  noCancel?: string;
  /** What skipping the step means; absent, the step cannot be skipped. */
  skip?: string;
}

export class OperatorDesk {
  /** Steps waiting at once (say, two shipments' bookings); not carried: none wait across continue-as-new. */
  private waiters = 0;

  constructor(
    private readonly state: OperatorState,
    private readonly hooks: OperatorDeskHooks,
  ) {}

  /** Takes an operatorAction signal's payload. */
  async receive(payload: unknown): Promise<void> {
    const parsed = parseOperatorAction(payload);
    if (!parsed.ok) {
      if (!patched(OPERATOR_PATCHES.refuseMalformed)) {
        // Recorded before the check: such a payload was taken as it came (a retry).
        this.take(payload as OperatorAction);
        return;
      }
      await this.refuse(payload, parsed.problem);
      return;
    }
    this.take(parsed.action);
  }

  private take(action: OperatorAction): void {
    if (isOpen(this.state.openQuestions, 'operator')) this.state.operatorInbox.push(action);
    else this.hooks.unasked?.(action);
  }

  /** Refusal is visible where operators look: the log and the attention reason. Not an answer. */
  private async refuse(payload: unknown, problem: string): Promise<void> {
    const note = `refused an operator action ${safeJson(payload)}: ${problem}`;
    log.warn('operator action refused', { ...this.hooks.context(), problem });
    const base = this.state.needsAttention ? this.state.attentionReason : undefined;
    this.state.attentionReason = base ? `${base}; ${note}` : note;
    await this.hooks.announce(this.state.needsAttention, this.state.attentionReason);
  }

  /**
   * Asks until the answer is one the step takes: a cancel where cancelling is refused,
   * or a skip where the step allows none, is refused and asked again.
   */
  async decide(reason: string, decision: Decision = {}): Promise<OperatorAction> {
    if (!patched(OPERATOR_PATCHES.openThroughRefusals)) return this.decideAskingAnew(reason, decision);
    // Held across the whole loop: each ask's own count is not the last, so the question
    // is closed (and the flag cleared) once, when an answer is taken, not between asks.
    this.waiters++;
    try {
      return await this.decideAskingAnew(reason, decision);
    } finally {
      await this.leave();
    }
  }

  private async decideAskingAnew(reason: string, decision: Decision): Promise<OperatorAction> {
    for (let asking = reason; ; ) {
      const action = await this.ask(asking, decision);
      if (action.action === 'cancel' && decision.noCancel !== undefined) {
        log.warn(`operator cancel refused: ${decision.noCancel}`, { ...this.hooks.context(), operator: action.operator });
        asking = `${reason}; it cannot be cancelled now (${decision.noCancel}): retry`;
        continue;
      }
      if (action.action === 'skip' && decision.skip === undefined) {
        // Histories from before skip existed took it as a retry.
        if (!patched(OPERATOR_PATCHES.refuseSkip)) return { ...action, action: 'retry' };
        log.warn('operator skip refused: this step cannot be skipped', { ...this.hooks.context(), operator: action.operator });
        asking = `${reason}; this step cannot be skipped: ${decision.noCancel === undefined ? 'retry or cancel' : 'retry'}`;
        continue;
      }
      return action;
    }
  }

  /**
   * Waits for an operator's answer. Several steps may wait at once: each takes its own
   * answer, and the question stays open until the last is answered.
   */
  async ask(reason: string, decision: Decision = {}): Promise<OperatorAction> {
    this.waiters++;
    // Opened before the flag is written: an answer sent meanwhile is kept, not ignored.
    ask(this.state.openQuestions, 'operator', undefined, { reason });
    await this.flag(true, reason);
    // What the Temporal UI shows: why, and what each choice would do. Not a command.
    setCurrentDetails(operatorDetails(reason, decision));
    const pendingCancel = () => this.hooks.pendingCancel?.();
    try {
      for (;;) {
        await condition(() => this.state.operatorInbox.length > 0 || pendingCancel() !== undefined);
        const action = this.state.operatorInbox.shift();
        if (action) return action;
        const cancel = pendingCancel();
        if (cancel) return { action: 'cancel', reason: cancel.reason };
      }
    } finally {
      await this.leave();
    }
  }

  /** One waiter fewer; the last one out closes the question and clears the flag. */
  private async leave(): Promise<void> {
    this.waiters--;
    if (this.waiters === 0) {
      answered(this.state.openQuestions, 'operator');
      await this.flag(false);
    }
  }

  /** Raises (or clears) the attention flag without waiting for anyone. */
  async flag(on: boolean, reason?: string): Promise<void> {
    this.state.needsAttention = on;
    this.state.attentionReason = on ? reason : undefined;
    // The worker's log is where an on-call engineer sees it first.
    if (on) log.warn('needs attention', { ...this.hooks.context(), reason });
    await this.hooks.announce(on, reason);
  }
}

/** The current details while a step waits for an operator: the reason and the choices. */
export function operatorDetails(reason: string, decision: Decision = {}): string {
  const choices = [
    '- `retry`: run the step again',
    decision.noCancel === undefined ? '- `cancel`: cancel it (with a reason)' : `- \`cancel\` is refused now: ${decision.noCancel}`,
    decision.skip === undefined ? '- `skip` is not allowed for this step' : `- \`skip\`: go on without it; ${decision.skip}`,
  ];
  return `**Needs an operator**: ${reason}\n\nSend the \`operatorAction\` signal (\`{"action": …, "operator": …}\`):\n${choices.join('\n')}`;
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}
