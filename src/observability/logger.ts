import pino, { type DestinationStream, type Logger } from 'pino';

// orderflow's log lines: one JSON object per line (pino), each with the component that
// wrote it and, where the line is about an order, its orderId and workflowId, so a log
// search for an order finds the API's, the outbox's and the workers' lines alike.

export type { Logger };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'orderflow' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Never a key or a signature in a log line, whatever a caller passes as bindings.
      redact: ['authorization', 'headers.authorization', 'req.headers.authorization'],
    },
    // Synchronous on stdout: a line written just before process.exit is not lost.
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The bindings of a line about an order: its id and its workflow's id (see workflows/order/messages.ts). */
export const orderBindings = (orderId: string) => ({ orderId, workflowId: `order-${orderId}` });

/** The `(message, error?)` function the service's pieces are given, writing to `logger`. */
export function logFunction(logger: Logger): (message: string, error?: unknown) => void {
  return (message, error) => {
    if (error === undefined || error === '') logger.info(message);
    else logger.error({ err: error }, message);
  };
}
