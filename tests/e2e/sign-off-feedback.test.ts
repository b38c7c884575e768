import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCatalogue } from '../../src/db/seed';
import { feedback, signOffs } from '../../src/db/schema';
import { FEEDBACK, SIGN_OFF, isSubsequence, sampleOrder, waitForStatus, waitForWorkflowStatus } from '../helpers/orders';
import { startTestStack, type TestStack } from '../helpers/stack';
import { waitFor } from '../helpers/wait-for';

// SIGN-OFF and FEEDBACK (R5.2–R5.5): the recipient signs a delivered order with a valid
// credential after checking the goods; the customer rates it within the feedback window;
// when nobody signs or rates in time, the carrier's proof of delivery stands in and the
// order completes without ratings.

const fields = (body: { errors?: { field: string }[] }) => (body.errors ?? []).map((e) => e.field);

async function newOrder(stack: TestStack): Promise<{ id: string; number: string }> {
  const created = await stack.api('POST', '/v1/orders', { body: sampleOrder() });
  expect(created.status).toBe(201);
  expect(created.body.number).toMatch(/^OF-\d+$/);
  return { id: created.body.id, number: created.body.number };
}

describe('sign-off and feedback with long windows', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('refuses a sign-off before the order is delivered', async () => {
    const { id, number } = await newOrder(stack);
    const early = await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) });
    expect(early.status).toBe(409);
    expect(early.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(early.body.detail).toMatch(/signed off once, after it is delivered/);

    const earlyFeedback = await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK });
    expect(earlyFeedback.status).toBe(409);

    const delivered = await waitForStatus(stack, id, 'delivered');
    expect(delivered.signOff).toBeNull();
    expect(delivered.feedback).toBeNull();
  });

  it('checks the proof, keeps only a hint of the credential, and signs once', async () => {
    const { id, number } = await newOrder(stack);
    await waitForStatus(stack, id, 'delivered');
    await waitForWorkflowStatus(stack, id, 'delivered');
    const signOff = (body: unknown) => stack.api('POST', `/v1/orders/${id}/sign-off`, { body });

    const wrongNumber = await signOff(SIGN_OFF('OF-999999999'));
    expect(wrongNumber.status).toBe(422);
    expect(wrongNumber.body).toMatchObject({ code: 'credential_invalid' });
    expect(wrongNumber.body.detail).toMatch(/order number/);

    const shortId = await signOff({ ...SIGN_OFF(number), credential: { type: 'id_document', value: 'X7Q' } });
    expect(shortId.status).toBe(422);
    expect(shortId.body).toMatchObject({ code: 'credential_invalid' });

    const { quantitiesMatch: _omitted, ...incomplete } = SIGN_OFF(number);
    void _omitted;
    const missing = await signOff(incomplete);
    expect(missing.status).toBe(422);
    expect(fields(missing.body)).toContain('quantitiesMatch');

    const badType = await signOff({ ...SIGN_OFF(number), credential: { type: 'fingerprint', value: 'whatever' } });
    expect(badType.status).toBe(422);
    expect(fields(badType.body)).toContain('credential.type');

    // Nothing refused left a mark.
    const still = (await stack.api('GET', `/v1/orders/${id}`)).body;
    expect(still.status).toBe('delivered');
    expect(still.signOff).toBeNull();
    expect(await stack.db.select().from(signOffs).where(eq(signOffs.orderId, id))).toEqual([]);

    // Feedback waits for the sign-off.
    const tooSoon = await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK });
    expect(tooSoon.status).toBe(409);

    const passport = 'C01X 00T47';
    const signed = await signOff({ ...SIGN_OFF(number), recipientName: 'Grace Hopper', credential: { type: 'id_document', value: passport } });
    expect(signed.status).toBe(200);
    expect(signed.body.status).toBe('awaiting_feedback');
    expect(signed.body.signOff).toMatchObject({
      method: 'customer',
      recipientName: 'Grace Hopper',
      credential: 'id_document:…0T47',
      packagingIntact: true,
      quantitiesMatch: true,
    });
    // The document number itself is kept nowhere.
    expect(JSON.stringify(signed.body)).not.toContain('C01X');
    const [row] = await stack.db.select().from(signOffs).where(eq(signOffs.orderId, id));
    expect(row).toMatchObject({ method: 'customer', credentialHint: 'id_document:…0T47' });
    expect(JSON.stringify(row)).not.toContain('C01X');

    const twice = await signOff({ ...SIGN_OFF(number), credential: { type: 'id_document', value: passport } });
    expect(twice.status).toBe(409);
    const timeline = (await stack.api('GET', `/v1/orders/${id}`)).body.timeline.map((t: { status: string }) => t.status);
    expect(timeline.filter((s: string) => s === 'signed_off')).toHaveLength(1);
  });

  it('damaged or short goods at the door open a delivery exception instead of a sign-off (R5.2), and are refunded', async () => {
    const { id, number } = await newOrder(stack);
    await waitForStatus(stack, id, 'delivered');
    await waitForWorkflowStatus(stack, id, 'delivered');
    const reported = await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: { ...SIGN_OFF(number), packagingIntact: false, quantitiesMatch: false } });
    expect(reported.status).toBe(202);
    expect(reported.body.incidentId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reported.body.status).toBe('delivery_exception');

    const incident = await waitFor(
      async () => (await stack.api('GET', `/v1/orders/${id}`)).body.incidents?.find((i: { id: string; status: string }) => i.id === reported.body.incidentId && i.status === 'awaiting_customer'),
      { message: 'the damaged-goods incident to ask the customer' },
    );
    expect(incident).toMatchObject({ kind: 'damaged', reportedBy: 'customer', options: ['replacement', 'refund'] });
    // Once reported, the goods cannot be signed for.
    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) })).status).toBe(409);

    const chosen = await stack.api('POST', `/v1/orders/${id}/incidents/${incident.id}/resolution`, { body: { choice: 'refund' } });
    expect(chosen.status).toBe(200);
    const done = await waitForStatus(stack, id, 'refunded');
    expect(done.signOff).toBeNull();
    // Damaged on the way: the goods and the shipping charged are paid back.
    expect(done.money.refunded).toBe(done.money.paid);
    expect(await stack.db.select().from(signOffs).where(eq(signOffs.orderId, id))).toEqual([]);
  });

  it('takes valid feedback once, then completes the order', async () => {
    const { id, number } = await newOrder(stack);
    await waitForStatus(stack, id, 'delivered');
    await waitForWorkflowStatus(stack, id, 'delivered');
    expect((await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) })).status).toBe(200);
    const rate = (body: unknown) => stack.api('POST', `/v1/orders/${id}/feedback`, { body });

    const tooHigh = await rate({ ...FEEDBACK, ratings: { ...FEEDBACK.ratings, productQuality: 6 } });
    expect(tooHigh.status).toBe(422);
    expect(fields(tooHigh.body)).toContain('ratings.productQuality');

    const fractional = await rate({ ...FEEDBACK, ratings: { ...FEEDBACK.ratings, serviceAttitude: 3.5 } });
    expect(fractional.status).toBe(422);
    expect(fields(fractional.body)).toContain('ratings.serviceAttitude');

    const fax = await rate({ ...FEEDBACK, channel: 'fax' });
    expect(fax.status).toBe(422);
    expect(fields(fax.body)).toContain('channel');

    const { deliveryPunctuality: _omitted, ...partial } = FEEDBACK.ratings;
    void _omitted;
    const incomplete = await rate({ ...FEEDBACK, ratings: partial });
    expect(incomplete.status).toBe(422);
    expect(fields(incomplete.body)).toContain('ratings.deliveryPunctuality');

    expect((await stack.api('GET', `/v1/orders/${id}`)).body).toMatchObject({ status: 'awaiting_feedback', feedback: null });
    expect(await stack.db.select().from(feedback).where(eq(feedback.orderId, id))).toEqual([]);

    const phoned = { channel: 'phone', ratings: { productQuality: 4, serviceAttitude: 5, deliveryPunctuality: 3, resolutionEfficiency: 4 } };
    const rated = await rate(phoned);
    expect(rated.status).toBe(200);
    expect(rated.body.feedback).toMatchObject(phoned);

    const done = await waitForStatus(stack, id, 'completed');
    const statuses = done.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['delivered', 'signed_off', 'awaiting_feedback', 'settling', 'completed'], statuses)).toBe(true);
    const settling = done.timeline.find((t: { status: string }) => t.status === 'settling');
    expect(settling.detail).toMatchObject({ feedback: 'received' });

    const again = await rate(FEEDBACK);
    expect(again.status).toBe(409);
    expect((await stack.api('GET', `/v1/orders/${id}`)).body.feedback).toMatchObject(phoned);
  });
});

describe('sign-off and feedback windows', () => {
  // Three days each, about 2.6 s at the test time scale.
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ ORDERFLOW_SIGN_OFF_WINDOW: '3d', ORDERFLOW_FEEDBACK_WINDOW: '3d' });
    await seedDemoCatalogue(stack.db);
  });
  afterAll(() => stack?.stop());

  it('signs off by proof of delivery when nobody signs, and completes without feedback when nobody rates', async () => {
    const { id, number } = await newOrder(stack);
    await waitForStatus(stack, id, 'delivered');

    const signedByCarrier = await waitForStatus(stack, id, ['awaiting_feedback', 'settling', 'completed'], 20_000);
    expect(signedByCarrier.signOff).toMatchObject({ method: 'carrier_proof_of_delivery' });
    const signedEvent = signedByCarrier.timeline.find((t: { status: string }) => t.status === 'signed_off');
    expect(signedEvent.detail).toMatchObject({ method: 'carrier_proof_of_delivery' });

    // The window has closed: a late signature is refused.
    const lateSignature = await stack.api('POST', `/v1/orders/${id}/sign-off`, { body: SIGN_OFF(number) });
    expect(lateSignature.status).toBe(409);

    const done = await waitForStatus(stack, id, 'completed', 20_000);
    expect(done.feedback).toBeNull();
    const statuses = done.timeline.map((t: { status: string }) => t.status);
    expect(isSubsequence(['delivered', 'signed_off', 'awaiting_feedback', 'settling', 'completed'], statuses)).toBe(true);
    const settling = done.timeline.find((t: { status: string }) => t.status === 'settling');
    expect(settling.detail).toMatchObject({ feedback: 'window_closed' });

    const lateFeedback = await stack.api('POST', `/v1/orders/${id}/feedback`, { body: FEEDBACK });
    expect(lateFeedback.status).toBe(409);
    expect(await stack.db.select().from(feedback).where(eq(feedback.orderId, id))).toEqual([]);
    expect(done.signOff.method).toBe('carrier_proof_of_delivery');
  });
});
