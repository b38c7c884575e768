import { DefaultLogger, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';

// The Temporal SDK's own log lines, as orderflow's processes print them. The carriers
// worker has activities only, by design; the SDK warns about that at every start, which
// tells an operator nothing and looks like trouble to a newcomer.
const EXPECTED = new Set(['No workflows registered, not polling for workflow tasks']);

export class TemporalLogger extends DefaultLogger {
  constructor(appLogLevel: string, write?: (entry: LogEntry) => void) {
    super(appLogLevel === 'debug' ? 'INFO' : 'WARN', write);
  }

  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (EXPECTED.has(message)) return;
    super.log(level, message, meta);
  }
}
