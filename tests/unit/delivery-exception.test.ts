import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXCEPTION_KINDS,
  delayCompensation,
  exceptionKindOf,
  isReturnToSender,
  laneOf,
  optionsFor,
  passesPromise,
  sameTrouble,
} from '../../src/domain/delivery-exception';

// The pure rules of delivery exceptions: carriers' words as our kinds, what the customer
// is offered, and what a delay past the promise earns.

describe('carriers\' words', () => {
  it('map to our kinds, whatever their case and separators', () => {
    expect(exceptionKindOf('LOST')).toBe('lost');
    expect(exceptionKindOf('lost in transit')).toBe('lost');
    expect(exceptionKindOf('Damaged')).toBe('damaged');
    expect(exceptionKindOf('weather-delay')).toBe('delay');
    expect(exceptionKindOf('delayed')).toBe('delay');
    expect(exceptionKindOf('refused')).toBe('refused');
    expect(exceptionKindOf('address_not_found')).toBe('address_problem');
    expect(exceptionKindOf('Incorrect Address')).toBe('address_problem');
    expect(exceptionKindOf('return_to_sender')).toBeUndefined();
    expect(exceptionKindOf('arrived at hub')).toBeUndefined();
    expect(exceptionKindOf(undefined)).toBeUndefined();
    expect(isReturnToSender('Return to sender')).toBe(true);
    expect(isReturnToSender('refused')).toBe(false);
  });
});

describe('what the customer is offered', () => {
  it('replacement or refund for lost and damaged goods; nothing to choose for the rest', () => {
    expect(optionsFor('lost')).toEqual(['replacement', 'refund']);
    expect(optionsFor('damaged')).toEqual(['replacement', 'refund']);
    for (const kind of ['delay', 'address_problem', 'refused'] as const) expect(optionsFor(kind)).toEqual([]);
  });

  it('treats lost and damaged as the same trouble (one payout), each other kind as its own', () => {
    expect(sameTrouble({ kind: 'lost' }, { kind: 'damaged' })).toBe(true);
    expect(sameTrouble({ kind: 'refused' }, { kind: 'refused' })).toBe(true);
    expect(sameTrouble({ kind: 'refused' }, { kind: 'lost' })).toBe(false);
    for (const a of EXCEPTION_KINDS) for (const b of EXCEPTION_KINDS) expect(sameTrouble({ kind: a }, { kind: b })).toBe(sameTrouble({ kind: b }, { kind: a }));
  });
});

describe('delay compensation', () => {
  it('is never more than the goods are worth, never negative, always whole minor units', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000_000 }), (value, bp, fixed) => {
        for (const policy of [{ kind: 'percent', basisPoints: bp }, { kind: 'fixed', amount: fixed }, { kind: 'none' }] as const) {
          const amount = delayCompensation(policy, value);
          expect(Number.isSafeInteger(amount)).toBe(true);
          expect(amount).toBeGreaterThanOrEqual(0);
          expect(amount).toBeLessThanOrEqual(value);
        }
      }),
    );
    expect(delayCompensation({ kind: 'percent', basisPoints: 1000 }, 4430)).toBe(443);
    expect(delayCompensation({ kind: 'percent', basisPoints: 1000 }, 4439)).toBe(443);
  });

  it('is due only when the new date passes the promised one', () => {
    expect(passesPromise('2026-12-05', '2026-12-04')).toBe(true);
    expect(passesPromise('2026-12-04', '2026-12-04T18:00:00Z')).toBe(false);
    expect(passesPromise('2026-12-03', '2026-12-04')).toBe(false);
    expect(passesPromise('2026-12-09', undefined)).toBe(false);
  });

  it('names lanes by origin and destination', () => {
    expect(laneOf({ country: 'DE', region: 'BE' }, { country: 'FR', region: 'IDF' })).toBe('DE-BE>FR-IDF');
  });
});
