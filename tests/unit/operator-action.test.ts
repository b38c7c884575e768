import { describe, expect, it } from 'vitest';
import { parseOperatorAction } from '../../workflows/kit/operator';

// The Temporal UI's Send Signal dialog sends whatever JSON an operator types: the
// workflow checks it before it acts on it (a typo used to be taken as a retry).

describe('parseOperatorAction', () => {
  it('takes retry, skip and cancel, with an optional reason and operator', () => {
    expect(parseOperatorAction({ action: 'retry' })).toEqual({ ok: true, action: { action: 'retry' } });
    expect(parseOperatorAction({ action: 'skip', operator: 'kim' })).toEqual({ ok: true, action: { action: 'skip', operator: 'kim' } });
    expect(parseOperatorAction({ action: 'cancel', reason: 'no boat', operator: 'kim' })).toEqual({
      ok: true,
      action: { action: 'cancel', reason: 'no boat', operator: 'kim' },
    });
  });

  it.each([
    [{ action: 'retyr' }, /action must be one of retry, skip, cancel \(got "retyr"\)/],
    [{}, /action must be one of .* \(got nothing\)/],
    ['retry', /expected an object/],
    [null, /expected an object/],
    [[{ action: 'retry' }], /expected an object/],
    [{ action: 'cancel', reason: 42 }, /reason must be text/],
    [{ action: 'retry', operator: { name: 'kim' } }, /operator must be text/],
    [{ action: 'retry', force: true }, /unknown field\(s\): force/],
  ])('refuses %j', (payload, problem) => {
    const parsed = parseOperatorAction(payload);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toMatch(problem);
  });
});
