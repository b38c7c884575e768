import type { LogEntry } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { TemporalLogger } from '../../src/temporal/logger';

describe('TemporalLogger', () => {
  const capture = (level: string) => {
    const lines: LogEntry[] = [];
    return { logger: new TemporalLogger(level, (entry) => lines.push(entry)), lines };
  };

  it("drops the SDK's warning that an activities-only worker polls no workflows, and nothing else", () => {
    const { logger, lines } = capture('info');
    logger.warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'carriers' });
    logger.warn('Activity failed', { activityType: 'bookShipment' });
    logger.error('Worker failed');
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['WARN', 'Activity failed'],
      ['ERROR', 'Worker failed'],
    ]);
  });

  it('prints the SDK at WARN and up, or INFO and up with LOG_LEVEL=debug', () => {
    const quiet = capture('info');
    quiet.logger.info('Worker state changed');
    expect(quiet.lines).toEqual([]);
    const chatty = capture('debug');
    chatty.logger.info('Worker state changed');
    expect(chatty.lines.map((l) => l.message)).toEqual(['Worker state changed']);
  });
});
