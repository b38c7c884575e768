import { Runtime, type LogEntry } from '@temporalio/worker';
import type { Config } from '../config';
import { TemporalLogger } from '../temporal/logger';
import type { Logger } from './logger';

// The Temporal SDK's runtime for a process of orderflow: its log lines (workflow and
// activity ones carry workflowId, runId, activityType…) as pino lines of component
// `temporal`, and — when ORDERFLOW_TEMPORAL_METRICS_PORT is set — its own Prometheus
// exporter (task-queue polls, schedule-to-start latency, sticky cache…) on that port.
// Installed once per process; tests share one process and leave it alone.

const LEVELS = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

export function temporalLogWriter(logger: Logger): (entry: LogEntry) => void {
  return (entry) => logger[LEVELS[entry.level]]({ ...entry.meta }, entry.message);
}

export function installTemporalRuntime(config: Config, logger: Logger): { metricsUrl?: string } {
  const temporalLogger = new TemporalLogger(config.logLevel, temporalLogWriter(logger.child({ component: 'temporal' })));
  const port = config.metrics.temporalPort;
  const bindAddress = port ? `${config.http.host}:${port}` : undefined;
  Runtime.install({
    logger: temporalLogger,
    ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress, countersTotalSuffix: true } } } } : {}),
  });
  return { metricsUrl: bindAddress ? `http://${bindAddress}/metrics` : undefined };
}
