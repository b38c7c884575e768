import type { StepRunner } from './steps';

// Undo steps (Medusa's habit): a step that acquires something registers how to give it
// back before it runs, so a reader sees both halves together. An undo is data — an
// activity name and its input — so the list survives continue-as-new.

export interface Compensation<A extends object = Record<string, unknown>> {
  name: string;
  activity: keyof A & string;
  input: unknown;
}

export class Compensations<A extends object> {
  constructor(
    /** The registered undo steps, in the order they were registered (kept in the workflow's state). */
    private readonly registered: Compensation<A>[],
    private readonly activities: A,
    private readonly steps: StepRunner,
  ) {}

  /** Registers an undo once (by name), before the step it undoes. */
  register<K extends keyof A & string>(name: string, activity: K, input: A[K] extends (input: infer I) => Promise<unknown> ? I : never): void {
    if (!this.registered.some((c) => c.name === name)) this.registered.push({ name, activity, input });
  }

  /** Runs every undo, last registered first; each may wait for an operator like any step. */
  async run(): Promise<void> {
    for (const c of [...this.registered].reverse()) {
      const undo = this.activities[c.activity] as (input: unknown) => Promise<unknown>;
      await this.steps.run(`undo: ${c.name}`, () => undo(c.input));
    }
    this.registered.length = 0;
  }
}
