import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { businessFailure } from '../../activities/failures';
import { BusinessFailure } from '../../src/domain/failures';

describe('businessFailure', () => {
  it('is typed, non-retryable, carries its details, and is benign (no WARN log, no failure metric)', () => {
    const failure = businessFailure(BusinessFailure.InsufficientStock, 'not enough stock', { shortages: [{ sku: 'A', missing: 2 }] });
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('InsufficientStock');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ shortages: [{ sku: 'A', missing: 2 }] }]);
    expect(failure.category).toBe(ApplicationFailureCategory.BENIGN);
  });
});
