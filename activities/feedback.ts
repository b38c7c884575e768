import { eq } from 'drizzle-orm';
import type { Db } from '../src/db/client';
import { feedback } from '../src/db/schema';
import type { Feedback } from '../src/domain/feedback';
import { applyTransitions, lockOrder, type Transition } from './order-status';

// FEEDBACK (R5.4, R5.5): one rating per order, kept for the satisfaction metrics.

export function createFeedbackActivities(db: Db) {
  return {
    async recordFeedback(input: { orderId: string; feedback: Feedback; transitions: Transition[] }): Promise<{ submittedAt: string }> {
      return db.transaction(async (tx) => {
        const order = await lockOrder(tx, input.orderId);
        const { ratings } = input.feedback;
        await tx
          .insert(feedback)
          .values({
            orderId: order.id,
            channel: input.feedback.channel,
            productQuality: ratings.productQuality,
            serviceAttitude: ratings.serviceAttitude,
            deliveryPunctuality: ratings.deliveryPunctuality,
            resolutionEfficiency: ratings.resolutionEfficiency,
            comment: input.feedback.comment ?? null,
          })
          .onConflictDoNothing();
        const [row] = await tx.select({ submittedAt: feedback.submittedAt }).from(feedback).where(eq(feedback.orderId, order.id));
        await applyTransitions(tx, order, input.transitions);
        return { submittedAt: row!.submittedAt.toISOString() };
      });
    },
  };
}
