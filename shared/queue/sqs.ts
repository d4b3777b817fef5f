import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { config } from '../config.ts';
import { chunk } from '../data/operations.ts';
import { logger, observeInvocation } from '../observability.ts';
import { traced } from '../tracing.ts';
import type { QueueRoute } from '../routes.ts';

/**
 * SQS on both sides: senders hand work to a queue row's function with SendMessageBatch, and queueHandler() runs
 * that function on the event Lambda's SQS event source delivers. Locally the same client talks to
 * infra/local/sqs-local.ts (only the endpoint differs, as for DynamoDB and @connections).
 */
let client: SQSClient | undefined;
const sqs = () => (client ??= traced(new SQSClient({
  endpoint: config.sqsEndpoint,
  maxAttempts: 3,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 1000, requestTimeout: 3000, httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 64 }), httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) }),
})));

/** SendMessageBatch takes at most 10 entries and 256 KB in all (callers keep their bodies well under 25 KB). */
const BATCH_ENTRIES = 10;

/** The queue URL a sender reads from its row's environment variable, checked when first needed. */
function queueUrl(row: QueueRoute): string {
  const url = process.env[row.queueUrlEnv];
  if (!url) throw new Error(`Missing required environment variable ${row.queueUrlEnv}`);
  return url;
}

/** Sends every body (JSON) to the row's queue: one SendMessageBatch per 10, in parallel. Throws if any entry failed. */
export async function enqueue(row: QueueRoute, bodies: readonly unknown[]): Promise<void> {
  const QueueUrl = queueUrl(row);
  await Promise.all(chunk(bodies, BATCH_ENTRIES).map(async (part) => {
    const out = await sqs().send(new SendMessageBatchCommand({ QueueUrl, Entries: part.map((body, i) => ({ Id: String(i), MessageBody: JSON.stringify(body) })) }));
    if (out.Failed?.length) throw Object.assign(new Error(`SendMessageBatch failed ${out.Failed.length} of ${part.length}: ${out.Failed[0]!.Code}`), { name: 'ServiceUnavailable' });
  }));
}

/**
 * Wraps a queue row's logic as the Lambda handler of its SQS event source: each record's body is parsed and run,
 * all in parallel; a record that throws is reported in batchItemFailures (the event source has
 * ReportBatchItemFailures on), so only it is delivered again, after the visibility timeout, and moved to the
 * dead-letter queue after maxReceiveCount deliveries.
 */
export function queueHandler(row: QueueRoute, run: (body: unknown) => Promise<void>) {
  return (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> =>
    observeInvocation(context, { route: row.name }, async () => {
      const failed = await Promise.all(event.Records.map(async (record) => {
        try {
          await run(JSON.parse(record.body));
          return undefined;
        } catch (error) {
          logger.error('queue record failed', { route: row.name, messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error: error as Error });
          return { itemIdentifier: record.messageId };
        }
      }));
      return { batchItemFailures: failed.filter((item) => item !== undefined) };
    });
}
