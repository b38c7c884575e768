import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, scaleDuration } from '../../src/domain/duration';

// Waiting windows written the way people say them, scaled by ORDERFLOW_TIME_SCALE.

const UNITS = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;

describe('parseDuration', () => {
  it('reads milliseconds, seconds, minutes, hours, days and weeks', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('36h')).toBe(129_600_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('2w')).toBe(1_209_600_000);
    expect(parseDuration(' 7d ')).toBe(604_800_000);
    expect(parseDuration('0s')).toBe(0);
  });

  it('rejects what is not a number followed by a unit', () => {
    for (const text of ['7', 'd', '-1d', '7 days', '7 d', '7D', '1,5h', '.5h', '', 'ms', '7dd', '1e3ms']) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });
});

describe('scaleDuration', () => {
  it('scales by the factor and rounds to whole milliseconds', () => {
    expect(scaleDuration(604_800_000, 0.001)).toBe(604_800);
    expect(scaleDuration(1_000, 2)).toBe(2_000);
    expect(scaleDuration(1_001, 0.5)).toBe(501);
  });

  it('never goes below one millisecond', () => {
    expect(scaleDuration(1, 0.001)).toBe(1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * UNITS.w }), fc.double({ min: 1e-9, max: 1000, noNaN: true }), (ms, scale) => {
        const scaled = scaleDuration(ms, scale);
        expect(Number.isInteger(scaled)).toBe(true);
        expect(scaled).toBe(Math.max(1, Math.round(ms * scale)));
        expect(scaled).toBeGreaterThanOrEqual(1);
      }),
    );
  });
});

describe('formatDuration', () => {
  it('writes the largest whole unit', () => {
    expect(formatDuration(604_800_000)).toBe('1w');
    expect(formatDuration(86_400_000 * 3)).toBe('3d');
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('reads back as the same number of milliseconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), (n, unit) => {
        const ms = n * UNITS[unit];
        expect(parseDuration(formatDuration(ms))).toBe(ms);
        expect(parseDuration(`${n}${unit}`)).toBe(ms);
      }),
    );
  });
});
