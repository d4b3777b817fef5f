import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.ts';
import { traced } from '../tracing.ts';

/**
 * One DynamoDB client per container, created at cold start and reused by every invocation.
 * Short timeouts plus the SDK's retries with backoff: a throttled or slow call fails fast as a 503
 * instead of hanging the Lambda until its own timeout. throwOnRequestTimeout: without it the SDK only logs a warning
 * when requestTimeout passes and keeps waiting (found by test/security/faults.test.ts, "never answers").
 */
export const dynamo = traced(new DynamoDBClient({
  endpoint: config.dynamoEndpoint,
  maxAttempts: 3,
  requestHandler: {
    connectionTimeout: 1000,
    requestTimeout: 3000,
    throwOnRequestTimeout: true,
    // The SDK pools 50 sockets and its connectionTimeout also runs while a call waits for a free one: a fan-out of
    // more than 50 parallel calls (or the local stack, where every function shares this client) failed as
    // timeouts under load (test/security/load.test.ts). A bigger pool keeps the timeout about connecting.
    httpAgent: { keepAlive: true, maxSockets: 512 },
    httpsAgent: { keepAlive: true, maxSockets: 512 },
  },
}));

export const db = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});

export const TABLE = config.tableName;
