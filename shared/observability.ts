import type { Context } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * Structured JSON logs (CloudWatch on AWS; indented in the terminal locally, where POWERTOOLS_DEV is set) and
 * CloudWatch metrics in Embedded Metric Format (printed as log lines, no API calls; off when POWERTOOLS_DEV or
 * POWERTOOLS_METRICS_DISABLED is set). Never log tokens, passwords or bodies: only ids, routes, codes and timings.
 */
const SERVICE = process.env.POWERTOOLS_SERVICE_NAME || 'chat-backend';

/** Keys whose values never reach a log line, whatever a caller passes by mistake. */
const SECRET_KEYS = /^(token|password|passwordhash|authorization|secret|jwt)$/i;

export const logger = new Logger({
  serviceName: SERVICE,
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  jsonReplacerFn: (key, value) => (SECRET_KEYS.test(key) ? '[REDACTED]' : value),
});

export const metrics = new Metrics({ namespace: 'ChatBackend', serviceName: SERVICE });

/** The product's counters. The WebSocket code counts pushes and gone connections; HTTP and WS share the rest. */
export const METRIC = {
  messagesSent: 'MessagesSent',
  pushesDelivered: 'PushesDelivered',
  goneConnections: 'GoneConnections',
  /** A push attempt throttled (429), failed (5xx) or timed out, tried again after a backoff. */
  pushRetries: 'PushRetries',
  /** A push given up (its budget spent, or an error a retry cannot fix): the member catches up from history. */
  pushesDropped: 'PushesDropped',
  /** A send whose fan-out went to the queue in shards instead of being pushed inline. */
  fanOutsQueued: 'FanOutsQueued',
  authFailures: 'AuthFailures',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export function countMetric(name: MetricName, count = 1): void {
  metrics.addMetric(name, MetricUnit.Count, count);
}

/**
 * Brackets one invocation: its log lines carry the Lambda request id, the route and whatever `keys` say (add the
 * user id with `logger.appendKeys` once known), and the metrics it counted are flushed as one EMF line at the end.
 */
export async function observeInvocation<T>(context: Context | undefined, keys: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  if (context) logger.addContext(context);
  logger.appendKeys(keys);
  try {
    return await run();
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
