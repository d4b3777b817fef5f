import type { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * X-Ray subsegments for every AWS SDK call (DynamoDB, S3, @connections, SQS, Secrets Manager), by Powertools
 * Tracer, on AWS only: the CDK stack turns Lambda's active tracing on and sets POWERTOOLS_TRACE_ENABLED=true on
 * every function; the local stack sets it to false and needs no X-Ray daemon. The tracer and the X-Ray SDK under it
 * (~120 KB of CommonJS, in every bundle) are imported only when tracing is on, so with it off they are never
 * evaluated (`npm run bundle-sizes` prints the import cost either way). The service name is POWERTOOLS_SERVICE_NAME,
 * as for the logger and metrics. Nothing else here, so the SDK floors (test/bench/sdk-floor.ts) carry exactly this.
 */
const tracer: Tracer | undefined =
  process.env.POWERTOOLS_TRACE_ENABLED === 'true' ? new (await import('@aws-lambda-powertools/tracer')).Tracer() : undefined;

/** The client, its calls recorded as X-Ray subsegments when tracing is on (the same client otherwise). */
export const traced = <Client>(client: Client): Client => (tracer ? tracer.captureAWSv3Client(client) : client);
