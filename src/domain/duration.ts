// Business waiting windows are written like "7d", "36h", "90s" or "250ms" so that
// configuration reads the way people talk about them; every one is scaled by the
// single ORDERFLOW_TIME_SCALE factor before it reaches a workflow or the sandbox.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** Parses "7d", "36h", "1.5h" … into milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * UNIT_MS[unit as string]!);
}

/** Applies the time scale, never going below one millisecond (a zero timer means "no wait"). */
export function scaleDuration(ms: number, scale: number): number {
  return Math.max(1, Math.round(ms * scale));
}

export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
