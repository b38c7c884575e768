import { condition, defineQuery, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

// The yardstick: a workflow shaped like an order's life — created by update-with-start,
// the same number of activities (each does nothing), then two updates — on the same
// Temporal server. What orderflow costs above this is the cost of doing real work.

export const baselineCreated = defineUpdate<{ ok: true }>('baselineCreated');
export const baselineSignOff = defineUpdate<{ ok: true }>('baselineSignOff');
export const baselineFeedback = defineUpdate<{ ok: true }>('baselineFeedback');
export const baselineReady = defineQuery<boolean>('baselineReady');

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30s' });

export async function baselineWorkflow(activities: number): Promise<void> {
  let ready = false;
  let signed = false;
  let rated = false;
  setHandler(baselineCreated, () => ({ ok: true as const }));
  setHandler(baselineReady, () => ready);
  setHandler(baselineSignOff, () => {
    signed = true;
    return { ok: true as const };
  });
  setHandler(baselineFeedback, () => {
    rated = true;
    return { ok: true as const };
  });
  for (let i = 0; i < activities; i++) await noop();
  ready = true;
  await condition(() => signed);
  await condition(() => rated);
}
