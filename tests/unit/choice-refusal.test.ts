import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { asChoiceRefusal, asIncidentRefusal, asProblem } from '../../src/api/order-commands';
import { HttpProblem } from '../../src/api/problem';
import { MessageRejection } from '../../src/domain/failures';

// POST …/incidents/{incidentId}/resolution: how the order's refusal of a choice becomes HTTP.
// The workflow's words name the options on offer; the API passes them on with `options`.

const refusal = (type: string, message: string, details?: Record<string, unknown>) =>
  asProblem(
    new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined })),
  );

describe('asChoiceRefusal', () => {
  it('makes a choice not on offer a 409 with the workflow’s text and the options', () => {
    const invalid = asChoiceRefusal(refusal(MessageRejection.Invalid, 'replacement is not on offer; choose refund'), ['refund']);
    expect(invalid).toBeInstanceOf(HttpProblem);
    expect(invalid).toMatchObject({ status: 409, title: 'Choice not on offer', detail: 'replacement is not on offer; choose refund', extra: { options: ['refund'] } });

    const wrongState = asChoiceRefusal(refusal(MessageRejection.WrongState, 'incident already resolved', { status: 'delivered', version: 9 }), []);
    expect(wrongState).toMatchObject({ status: 409, detail: 'incident already resolved', extra: { options: [] } });
  });

  it('prefers the options the workflow gave over those the database has', () => {
    const problem = asChoiceRefusal(refusal(MessageRejection.Invalid, 'choose refund', { options: ['refund'] }), ['replacement', 'refund']);
    expect(problem).toMatchObject({ status: 409, extra: { options: ['refund'] } });
  });

  it('makes an incident the order does not have a 404, in its words', () => {
    const unknown = refusal(MessageRejection.Invalid, 'order OF-1 has no incident 123', { code: 'incident_not_found' });
    expect(asChoiceRefusal(unknown, undefined)).toMatchObject({ status: 404, detail: 'order OF-1 has no incident 123' });
    expect(asIncidentRefusal(unknown)).toMatchObject({ status: 404, detail: 'order OF-1 has no incident 123' });
    const other = refusal(MessageRejection.WrongState, 'incident 123 is lost; only a delay is expedited');
    expect(asIncidentRefusal(other)).toBe(other);
  });

  it('lets the order answer alone for an incident the database does not know yet', () => {
    const unknown = refusal(MessageRejection.Invalid, 'the choice is not valid here');
    expect(asChoiceRefusal(unknown, undefined)).toBe(unknown);
    const ended = asProblem(new WorkflowNotFoundError('gone', 'order-1', undefined));
    expect(asChoiceRefusal(ended, undefined)).toBe(ended);
    const busy = new HttpProblem(503, 'Order busy');
    expect(asChoiceRefusal(busy, ['refund'])).toBe(busy);
  });
});
