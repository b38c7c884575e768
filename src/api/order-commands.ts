import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { MessageRejection } from '../domain/failures';
import { LATE, withinTime } from '../temporal/within-time';
import { orderWorkflowId } from '../../workflows/order/messages';
import { HttpProblem } from './problem';

// How the API talks to running order workflows: it never writes order state, it sends
// a workflow a message and turns the workflow's answer into HTTP. Placing an order is
// intake's (src/intake/place-order.ts).

export interface OrderCommandsOptions {
  client: Client;
  /** How long a request waits for the workflow's answer before replying "accepted, still working". */
  answerTimeoutMs?: number;
  /** The order's state version as the database has it. */
  recordedVersion(orderId: string): Promise<number | undefined>;
}

export function orderCommands(options: OrderCommandsOptions) {
  const { client } = options;
  const answerTimeoutMs = options.answerTimeoutMs ?? 15_000;

  return {
    /** Sends an update to a running order and maps its refusal to HTTP. */
    async update<Ret>(
      orderId: string,
      send: (handle: WorkflowHandle) => Promise<Ret>,
    ): Promise<Ret> {
      const handle = client.workflow.getHandle(orderWorkflowId(orderId));
      const catchUpUntil = Date.now() + CATCH_UP_MS;
      let pause = CATCH_UP_FIRST_PAUSE_MS;
      let result: Ret | typeof LATE;
      for (;;) {
        try {
          result = await withinTime(send(handle), answerTimeoutMs);
          break;
        } catch (err) {
          // An activity writes a status a moment before the workflow applies it. A client
          // who read the new status from us and answered at once is early, not wrong.
          const refused = refusedAt(err);
          if (refused !== undefined && Date.now() < catchUpUntil) {
            const recorded = await options.recordedVersion(orderId);
            if (recorded !== undefined && recorded > refused) {
              // The workflow applies the status once the activity's completion reaches
              // it: a workflow task away, often hundreds of ms on a busy server. Every
              // try costs a workflow task, so the pauses grow rather than hammer it.
              await new Promise((resolve) => setTimeout(resolve, pause));
              pause = Math.min(pause * 2, CATCH_UP_MAX_PAUSE_MS);
              continue;
            }
          }
          // Asked only when Temporal knows no such workflow: an order that was never
          // there is a 404; one whose workflow has ended (or been dropped) stays a 409.
          if (err instanceof WorkflowNotFoundError && (await options.recordedVersion(orderId)) === undefined) {
            throw new HttpProblem(404, 'Not found', `no order ${orderId}`);
          }
          throw asProblem(err);
        }
      }
      if (result === LATE) {
        throw new HttpProblem(503, 'Order busy', 'the order did not answer in time; the request may still be carried out, send it again to find out', {
          retryAfterSeconds: 5,
        });
      }
      return result;
    },

    handle(orderId: string): WorkflowHandle {
      return client.workflow.getHandle(orderWorkflowId(orderId));
    },
  };
}

const CATCH_UP_MS = 3_000;
const CATCH_UP_FIRST_PAUSE_MS = 25;
const CATCH_UP_MAX_PAUSE_MS = 400;

/** The state version a WrongState refusal was made at, if it is one. */
function refusedAt(err: unknown): number | undefined {
  if (!(err instanceof WorkflowUpdateFailedError) || !(err.cause instanceof ApplicationFailure)) return undefined;
  if (err.cause.type !== MessageRejection.WrongState) return undefined;
  const version = (err.cause.details?.[0] as { version?: unknown } | undefined)?.version;
  return typeof version === 'number' ? version : undefined;
}

export type OrderCommands = ReturnType<typeof orderCommands>;

/** Why an order refused a message, in HTTP terms. */
export function asProblem(err: unknown): unknown {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    if (cause.type === MessageRejection.WrongState) return new HttpProblem(409, 'Conflict with the order state', cause.message);
    if (cause.type === MessageRejection.Invalid) {
      return new HttpProblem(422, 'Not acceptable for this order', cause.message, { ...(cause.details?.[0] as object | undefined) });
    }
    return new HttpProblem(503, 'Not recorded', cause.message, { retryAfterSeconds: 5 });
  }
  if (err instanceof WorkflowNotFoundError || (err instanceof Error && /workflow execution already completed/i.test(err.message))) {
    return new HttpProblem(409, 'Conflict with the order state', 'the order has ended and takes no more messages');
  }
  return err;
}

/** The code of the order's refusal of a message about an incident it does not have. */
const INCIDENT_NOT_FOUND = 'incident_not_found';

/** An incident the order says it does not have is a 404, in the order's words; any other refusal is left as it was. */
export function asIncidentRefusal(problem: unknown): unknown {
  if (problem instanceof HttpProblem && problem.extra.code === INCIDENT_NOT_FOUND) {
    return new HttpProblem(404, 'Not found', problem.detail, { code: INCIDENT_NOT_FOUND });
  }
  return problem;
}

/**
 * A resolution choice the order refused (as wrongState or invalid): a 409 passing the
 * workflow's own words, which name the options on offer, and those options. `offered` is
 * the incident's options as the database has them, for a refusal whose details lack them.
 * Anything else (an incident the order does not know, an order that has ended) is left as it was.
 */
export function asChoiceRefusal(problem: unknown, offered: readonly string[] | undefined): unknown {
  if (!(problem instanceof HttpProblem) || (problem.status !== 409 && problem.status !== 422)) return problem;
  if (problem.extra.code === INCIDENT_NOT_FOUND) return asIncidentRefusal(problem);
  const { errors: _errors, type: _type, ...details } = problem.extra;
  void _errors;
  void _type;
  const options = Array.isArray(details.options) ? details.options : offered;
  if (!options) return problem;
  return new HttpProblem(409, problem.status === 409 ? problem.title : 'Choice not on offer', problem.detail, { ...details, options });
}
