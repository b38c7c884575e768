import { describe, expect, it } from 'vitest';
import { addDays, drawFate, journeyFromPickup, parseFateProbabilities, placeSteps, type JourneyContext } from '../../src/carriers/sandbox-fates';
import { ConfigError, loadConfig } from '../../src/config';

// The sandbox's fates as pure rules: how CARRIER_SANDBOX_FATES reads, how a fate is drawn,
// and which events each fate means.

const ctx: JourneyContext = {
  carrierName: 'SwiftShip',
  origin: { country: 'DE', region: 'BY', postalCode: '80331' },
  destination: { country: 'DE', region: 'BY', postalCode: '90402', city: 'Nürnberg' },
  transitDays: 1,
  bookedAt: new Date('2030-03-30T22:00:00Z'),
  timeScale: 1,
};

describe('CARRIER_SANDBOX_FATES', () => {
  it('reads fate=probability pairs; empty or none is no fate at all', () => {
    expect(parseFateProbabilities('lost=0.05,damaged=0.05,delayed=0.05,refused=0.03,address_problem=0.02')).toEqual({
      ok: true,
      value: { lost: 0.05, damaged: 0.05, delayed: 0.05, refused: 0.03, address_problem: 0.02 },
    });
    expect(parseFateProbabilities(' lost = 1 ')).toEqual({ ok: true, value: { lost: 1 } });
    expect(parseFateProbabilities('')).toEqual({ ok: true, value: {} });
    expect(parseFateProbabilities('none')).toEqual({ ok: true, value: {} });
  });

  it.each([
    ['stolen=0.1', /"stolen" is not a fate/],
    ['on_time=0.5', /"on_time" is not a fate/],
    ['lost=1.5', /between 0 and 1/],
    ['lost=-0.1', /between 0 and 1/],
    ['lost=', /between 0 and 1/],
    ['lost=abc', /between 0 and 1/],
    ['lost', /between 0 and 1/],
    ['lost=0.1,lost=0.2', /given twice/],
    ['lost=0.6,damaged=0.6', /add up to 1.2, more than 1/],
  ])('refuses %s with a clear message', (text, message) => {
    const parsed = parseFateProbabilities(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(message);
  });

  it('is validated by loadConfig, named by the variable, and reaches config.carriers with the pickup delay', () => {
    const config = loadConfig({ CARRIER_SANDBOX_FATES: 'lost=0.1,delayed=0.2', CARRIER_SANDBOX_PICKUP_AFTER: '30d' });
    expect(config.carriers).toMatchObject({ sandboxFates: { lost: 0.1, delayed: 0.2 }, sandboxPickupAfterMs: 30 * 86_400_000 });
    expect(loadConfig({}).carriers).toMatchObject({ sandboxFates: {}, sandboxPickupAfterMs: 6 * 3_600_000 });

    const refusal = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(refusal({ CARRIER_SANDBOX_FATES: 'lost=2' })).toMatch(/CARRIER_SANDBOX_FATES: entry 1 \("lost=2"\).*fate=probability/);
    expect(refusal({ CARRIER_SANDBOX_FATES: 'teleported=0.1' })).toMatch(/CARRIER_SANDBOX_FATES: .*"teleported" is not a fate/);
    expect(refusal({ CARRIER_SANDBOX_PICKUP_AFTER: 'soon' })).toMatch(/CARRIER_SANDBOX_PICKUP_AFTER: "soon" is not a duration/);
  });
});

describe('drawing a fate', () => {
  it('walks the cumulative probabilities; what is left is the normal journey', () => {
    const probabilities = { lost: 0.1, damaged: 0.2 };
    expect(drawFate(probabilities, () => 0)).toEqual({ fate: 'lost' });
    expect(drawFate(probabilities, () => 0.099)).toEqual({ fate: 'lost' });
    expect(drawFate(probabilities, () => 0.1)).toEqual({ fate: 'damaged' });
    expect(drawFate(probabilities, () => 0.35)).toBeUndefined();
    expect(drawFate({}, () => 0)).toBeUndefined();
  });

  it('gives a delay of one to three days', () => {
    const days = new Set(Array.from({ length: 200 }, () => drawFate({ delayed: 1 })?.days));
    expect([...days].sort()).toEqual([1, 2, 3]);
  });
});

describe('a fate\'s journey', () => {
  const sequence = (fate: Parameters<typeof journeyFromPickup>[1]) =>
    journeyFromPickup(ctx, fate).map((step) => (step.statusDetail ? `${step.status}/${step.statusDetail}` : step.status));

  it('lists the events each fate means, from the pickup on', () => {
    expect(sequence(undefined)).toEqual(['in_transit', 'out_for_delivery', 'delivered']);
    expect(sequence({ fate: 'on_time' })).toEqual(['in_transit', 'out_for_delivery', 'delivered']);
    expect(sequence({ fate: 'lost' })).toEqual(['in_transit', 'exception/lost']);
    expect(sequence({ fate: 'lost', silent: true })).toEqual(['in_transit']);
    expect(sequence({ fate: 'damaged' })).toEqual(['in_transit', 'exception/damaged']);
    expect(sequence({ fate: 'delayed', days: 2 })).toEqual(['in_transit', 'exception/delayed', 'out_for_delivery', 'delivered']);
    expect(sequence({ fate: 'refused' })).toEqual(['in_transit', 'out_for_delivery', 'exception/refused', 'exception/return_to_sender', 'returned']);
    expect(sequence({ fate: 'address_problem' })).toEqual([
      'in_transit',
      'out_for_delivery',
      'exception/address_not_found',
      'exception/return_to_sender',
      'returned',
    ]);
  });

  it('dates a delay from the booking date plus transit days, in the real calendar, and shifts the delivery by the days', () => {
    const delayed = journeyFromPickup(ctx, { fate: 'delayed', days: 3 });
    // Booked 2030-03-30 (UTC), one day in transit: due 2030-03-31, now 2030-04-03.
    expect(delayed[1]).toMatchObject({ statusDetail: 'delayed', newEta: '2030-04-03' });
    const onTime = placeSteps(journeyFromPickup(ctx, undefined), 0, 1);
    const late = placeSteps(delayed, 0, 1);
    expect(late.at(-1)!.at.getTime() - onTime.at(-1)!.at.getTime()).toBe(3 * 86_400_000);
    expect(addDays(new Date('2030-12-31T23:59:00Z'), 1)).toBe('2031-01-01');
  });

  it('places events strictly in order, scaled, never before the given time', () => {
    const placed = placeSteps(journeyFromPickup(ctx, { fate: 'refused' }), 1_000, 0.00001);
    const times = placed.map((event) => event.at.getTime());
    expect(times[0]).toBe(1_000);
    times.slice(1).forEach((time, i) => expect(time).toBeGreaterThan(times[i]!));
    // One transit day returned at this scale: under a second and a half in all.
    expect(times.at(-1)! - 1_000).toBeLessThan(1_500);
    expect(placeSteps(journeyFromPickup(ctx, undefined), 0, 1, 50)[0]!.at.getTime()).toBe(50);
  });
});
