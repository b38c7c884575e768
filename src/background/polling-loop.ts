// A pass of background work run again and again: at once while passes come back full
// (`batch` items done), after `intervalMs` when there was less, and after `errorDelayMs`
// (four intervals unless told) when one fails (reported, never thrown). `stop()` lets the
// pass in hand finish.

export interface PollingLoop {
  stop(): Promise<void>;
}

export function startPollingLoop(
  pass: () => Promise<number>,
  options: { intervalMs: number; batch: number; onError: (err: unknown) => void; errorDelayMs?: number },
): PollingLoop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  function schedule(delay: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass()
        .then((n) => schedule(n >= options.batch ? 0 : options.intervalMs))
        .catch((err: unknown) => {
          options.onError(err);
          schedule(options.errorDelayMs ?? options.intervalMs * 4);
        });
    }, delay);
  }
  schedule(0);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
