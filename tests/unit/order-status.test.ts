import { describe, expect, it } from 'vitest';
import {
  CHANNEL_KIND,
  CHANNELS,
  FINAL_STATUSES,
  ORDER_STAGES,
  ORDER_STATUSES,
  STAGE_OF_STATUS,
} from '../../src/domain/order-status';

// One vocabulary of statuses and stages, shared by database, workflow, API and search attributes.

describe('order statuses', () => {
  it('names the eight stages in the order of the process', () => {
    expect(ORDER_STAGES).toEqual(['verify', 'reserve', 'plan', 'dispatch', 'track', 'sign_off', 'feedback', 'settle']);
  });

  it('has the statuses of the architecture (and refunded, issue 7; awaiting_payment and awaiting_return, issue 8), each once', () => {
    expect(new Set(ORDER_STATUSES).size).toBe(ORDER_STATUSES.length);
    expect([...ORDER_STATUSES].sort()).toEqual(
      [
        'received', 'verifying', 'needs_correction', 'awaiting_stock_decision', 'backordered', 'reserved', 'planned', 'awaiting_payment',
        'dispatched', 'in_transit', 'out_for_delivery', 'delivery_exception', 'delivered', 'signed_off',
        'awaiting_feedback', 'settling', 'completed', 'cancelled', 'refunded', 'awaiting_return',
      ].sort(),
    );
  });

  it('places every status in one of the stages', () => {
    expect(Object.keys(STAGE_OF_STATUS).sort()).toEqual([...ORDER_STATUSES].sort());
    for (const status of ORDER_STATUSES) expect(ORDER_STAGES, status).toContain(STAGE_OF_STATUS[status]);
  });

  it('never puts a status in a stage before the one of an earlier status on the happy path', () => {
    const happy = ['received', 'verifying', 'reserved', 'planned', 'dispatched', 'in_transit', 'out_for_delivery', 'delivered', 'signed_off', 'awaiting_feedback', 'settling', 'completed'] as const;
    const stageIndex = happy.map((s) => ORDER_STAGES.indexOf(STAGE_OF_STATUS[s]));
    expect(stageIndex).toEqual([...stageIndex].sort((a, b) => a - b));
  });

  it('ends with completed, cancelled or refunded, and nothing else', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['cancelled', 'completed', 'refunded']);
  });

  it('sorts every channel into online, offline or third party', () => {
    expect(Object.keys(CHANNEL_KIND).sort()).toEqual([...CHANNELS].sort());
    expect(CHANNEL_KIND.web).toBe('online');
    expect(CHANNEL_KIND.store).toBe('offline');
    expect(CHANNEL_KIND.partner).toBe('third_party');
  });
});
