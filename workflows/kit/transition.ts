import type { Transition } from '../../src/domain/transition';
import { failureType } from './failures';

// A workflow's status, changed one numbered step at a time. Every change gets the next
// version number, is written by an activity (which is idempotent on that number), and
// becomes the workflow's status only once written: the record never lags the workflow.

/** What a status line carries across continue-as-new. */
export interface StatusLineState<S extends string> {
  status: S;
  /** The last version handed out. */
  version: number;
  /** The version of the last change applied. */
  appliedVersion: number;
}

export type StatusChange<S extends string> = S | { status: S; detail?: Record<string, unknown> };

export interface TransitionOptions {
  /** Business failures after which the activity has still written the changes (apply them, then rethrow). */
  writtenDespite?: readonly string[];
}

export class StatusLine<S extends string> {
  constructor(
    private readonly state: StatusLineState<S>,
    /** Called with the changes just applied and the status before them. */
    private readonly onApplied: (applied: readonly Transition<S>[], before: S) => void = () => undefined,
  ) {}

  get status(): S {
    return this.state.status;
  }

  /** The version of the last status change applied. */
  get version(): number {
    return this.state.appliedVersion;
  }

  /**
   * Numbers `changes`, hands them to `write` (an activity call, usually through a step
   * runner) and applies them once written. The one way a status changes.
   */
  async transition<T>(
    changes: StatusChange<S> | readonly StatusChange<S>[],
    write: (transitions: Transition<S>[]) => Promise<T>,
    options: TransitionOptions = {},
  ): Promise<T> {
    const list = (typeof changes === 'string' || !Array.isArray(changes) ? [changes] : changes) as StatusChange<S>[];
    const transitions = list.map((c) => (typeof c === 'string' ? this.number(c) : this.number(c.status, c.detail)));
    try {
      const result = await write(transitions);
      this.apply(transitions);
      return result;
    } catch (err) {
      const type = failureType(err);
      if (type && options.writtenDespite?.includes(type)) this.apply(transitions);
      throw err;
    }
  }

  private number(status: S, detail?: Record<string, unknown>): Transition<S> {
    this.state.version += 1;
    return detail ? { version: this.state.version, status, detail } : { version: this.state.version, status };
  }

  private apply(transitions: readonly Transition<S>[]): void {
    const before = this.state.status;
    const applied: Transition<S>[] = [];
    for (const t of transitions) {
      if (t.version <= this.state.appliedVersion) continue;
      this.state.appliedVersion = t.version;
      this.state.status = t.status;
      applied.push(t);
    }
    if (applied.length > 0) this.onApplied(applied, before);
  }
}
