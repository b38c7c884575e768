import { condition } from '@temporalio/workflow';

/**
 * Waits, on a durable timer, until `done()` or the window closes; true when done. While
 * `busy()` (an answer is being recorded) the window does not close under it: the wait
 * goes on until that answer lands or fails, so an accepted answer is never lost to it.
 */
export async function waitWithinWindow(options: {
  windowMs: number;
  done: () => boolean;
  busy?: () => boolean;
  /** Shown on the timer in the Temporal UI. */
  summary: string;
}): Promise<boolean> {
  const { done, busy = () => false } = options;
  const deadline = Date.now() + options.windowMs;
  while (!done()) {
    if (busy()) {
      await condition(() => done() || !busy());
      continue;
    }
    const left = deadline - Date.now();
    if (left > 0 && (await condition(() => done() || busy(), left, { summary: options.summary }))) continue;
    return false;
  }
  return true;
}
