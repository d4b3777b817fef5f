import { createServer } from 'node:net';
import type { Server } from 'node:http';
import { startDynamoLocal, ensureTable, type DynamoLocal } from './dynamodb-local.ts';
import { startHttpGateway, type StaticHandler } from './http-gateway.ts';
import { staticSite } from './static-site.ts';
import { S3RVER_CREDENTIALS, startS3Local } from './s3-local.ts';

/**
 * The whole backend on a laptop: DynamoDB Local (the real AWS jar), the table from the shared schema, s3rver with
 * the image bucket, and the local API Gateway serving every route-table row through the real handler modules.
 * Used by `npm start` and the tests.
 */
export type LocalStackOptions = {
  httpPort?: number;
  /** Persist DynamoDB data here; in memory when absent. */
  dataDir?: string;
  /** Persist uploaded images here; in a temporary folder, removed on stop, when absent. */
  s3DataDir?: string;
  bucketName?: string;
  /** Reuse a running DynamoDB Local (tests share one) instead of starting one. */
  dynamoEndpoint?: string;
  tableName?: string;
  jwtSecret: string;
  /** Extra environment for the handlers (shorter limits in tests, for example). */
  env?: Record<string, string>;
  extra?: StaticHandler;
};

export type LocalStack = { httpUrl: string; dynamoEndpoint: string; tableName: string; s3Endpoint: string; bucketName: string; stop: () => Promise<void> };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'chat';
  // s3rver runs in this process: started first, it goes away with the process if DynamoDB Local fails to start.
  const s3 = await startS3Local({ port: await freePort(), bucketName: options.bucketName ?? 'chat-images', dataDir: options.s3DataDir });
  let dynamo: DynamoLocal | undefined;
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo = await startDynamoLocal({ port: await freePort(), dataDir: options.dataDir })).endpoint;
  await ensureTable(dynamoEndpoint, tableName);

  // The handlers read their configuration once, at import: set it before the gateway loads them. The emulators'
  // credentials always (never a developer's real ones): s3rver refuses any other key id.
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    S3_ENDPOINT: s3.endpoint,
    BUCKET_NAME: s3.bucketName,
    JWT_SECRET: options.jwtSecret,
    ...options.env,
  });
  delete process.env.AWS_SESSION_TOKEN; // it would belong to a real key, not the emulators'
  // Beside the API: /openapi.json, /docs, the web client at / and its /config.json (same origin, so apiUrl is '').
  const site = staticSite({ config: () => ({ apiUrl: '', wsUrl: null }) });
  const http = await startHttpGateway({ port: options.httpPort ?? 0, extra: options.extra ?? site });

  return {
    httpUrl: http.url,
    dynamoEndpoint,
    tableName,
    s3Endpoint: s3.endpoint,
    bucketName: s3.bucketName,
    stop: async () => {
      await closeServer(http.server);
      await Promise.all([dynamo?.stop(), s3.stop()]);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
