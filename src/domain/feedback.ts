// FEEDBACK (R5.4, R5.5): how the customer rated the order, on the four measures the
// process names, from any of its channels.

export const FEEDBACK_CHANNELS = ['phone', 'online', 'email', 'in_person'] as const;
export type FeedbackChannel = (typeof FEEDBACK_CHANNELS)[number];

export const RATING_MEASURES = ['productQuality', 'serviceAttitude', 'deliveryPunctuality', 'resolutionEfficiency'] as const;
export type RatingMeasure = (typeof RATING_MEASURES)[number];

export interface Feedback {
  channel: FeedbackChannel;
  ratings: Record<RatingMeasure, number>;
  comment?: string;
}

export function ratingProblems(feedback: Feedback): string[] {
  return RATING_MEASURES.filter((m) => {
    const r = feedback.ratings[m];
    return !Number.isInteger(r) || r < 1 || r > 5;
  }).map((m) => `ratings.${m} must be a whole number from 1 to 5`);
}

/** Mean of the four measures, in hundredths (4.25 → 425): integers all the way. */
export function overallRatingHundredths(ratings: Feedback['ratings']): number {
  const total = RATING_MEASURES.reduce((n, m) => n + ratings[m], 0);
  return Math.round((total * 100) / RATING_MEASURES.length);
}
