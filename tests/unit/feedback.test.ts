import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overallRatingHundredths, RATING_MEASURES, ratingProblems, type Feedback } from '../../src/domain/feedback';

// FEEDBACK (R5.4, R5.5): four measures, each a whole number from 1 to 5.

const ratings = (r: Partial<Feedback['ratings']> = {}): Feedback['ratings'] => ({
  productQuality: 5,
  serviceAttitude: 4,
  deliveryPunctuality: 4,
  resolutionEfficiency: 4,
  ...r,
});
const feedback = (r: Partial<Feedback['ratings']> = {}): Feedback => ({ channel: 'online', ratings: ratings(r) });

describe('ratingProblems', () => {
  it('finds nothing wrong with whole ratings from 1 to 5', () => {
    expect(ratingProblems(feedback())).toEqual([]);
    expect(ratingProblems(feedback({ productQuality: 1, serviceAttitude: 5 }))).toEqual([]);
  });

  it('flags each rating that is out of range or not a whole number, by its measure', () => {
    expect(ratingProblems(feedback({ productQuality: 0 }))).toEqual(['ratings.productQuality must be a whole number from 1 to 5']);
    expect(ratingProblems(feedback({ serviceAttitude: 6 }))).toEqual(['ratings.serviceAttitude must be a whole number from 1 to 5']);
    expect(ratingProblems(feedback({ deliveryPunctuality: 4.5 }))).toEqual([
      'ratings.deliveryPunctuality must be a whole number from 1 to 5',
    ]);
    expect(ratingProblems(feedback({ resolutionEfficiency: Number.NaN, productQuality: -1 }))).toHaveLength(2);
  });

  it('flags a rating exactly when it is not one of 1, 2, 3, 4, 5', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -10, max: 10 }), fc.double({ min: -10, max: 10 })), fc.constantFrom(...RATING_MEASURES), (value, measure) => {
        const problems = ratingProblems(feedback({ [measure]: value }));
        expect(problems.length === 1 && problems[0]!.includes(measure)).toBe(![1, 2, 3, 4, 5].includes(value));
      }),
    );
  });
});

describe('overallRatingHundredths', () => {
  it('is the mean of the four measures in hundredths', () => {
    expect(overallRatingHundredths(ratings())).toBe(425);
    expect(overallRatingHundredths(ratings({ productQuality: 5, serviceAttitude: 5, deliveryPunctuality: 5, resolutionEfficiency: 5 }))).toBe(500);
    expect(overallRatingHundredths(ratings({ productQuality: 1, serviceAttitude: 2, deliveryPunctuality: 2, resolutionEfficiency: 2 }))).toBe(175);
  });

  it('is a whole number between 100 and 500 for valid ratings', () => {
    const one = fc.integer({ min: 1, max: 5 });
    fc.assert(
      fc.property(fc.record({ productQuality: one, serviceAttitude: one, deliveryPunctuality: one, resolutionEfficiency: one }), (r) => {
        const overall = overallRatingHundredths(r);
        expect(Number.isInteger(overall)).toBe(true);
        expect(overall).toBe(25 * (r.productQuality + r.serviceAttitude + r.deliveryPunctuality + r.resolutionEfficiency));
        expect(overall).toBeGreaterThanOrEqual(100);
        expect(overall).toBeLessThanOrEqual(500);
      }),
    );
  });
});
