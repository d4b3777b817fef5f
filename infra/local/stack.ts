import { createServer } from 'node:net';
import type { Server } from 'node:http';
import { startDynamoLocal, ensureTable, type DynamoLocal } from './dynamodb-local.ts';
import { startHttpGateway, type StaticHandler } from './http-gateway.ts';
import { staticSite } from './static-site.ts';
import { S3RVER_CREDENTIALS, startS3Local } from './s3-local.ts';
import { startSqsLocal, type SqsControls } from './sqs-local.ts';
import { LOCAL_STAGE, startWsGateway, type WsGatewayControls, type WsLimits } from './ws-gateway.ts';

/**
 * The whole backend on a laptop: DynamoDB Local (the real AWS jar), the table from the shared schema, s3rver with
 * the image bucket, and the local API Gateway serving every route-table row through the real handler modules.
 * Used by `npm start` and the tests.
 */
export type LocalStackOptions = {
  httpPort?: number;
  wsPort?: number;
  /** Shorter WebSocket limits (idle timeout, 2-hour maximum, message size) so tests can reach them. */
  wsLimits?: Partial<WsLimits>;
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

export type LocalStack = {
  httpUrl: string;
  wsUrl: string;
  ws: WsGatewayControls;
  sqs: SqsControls;
  dynamoEndpoint: string;
  tableName: string;
  s3Endpoint: string;
  bucketName: string;
  stop: () => Promise<void>;
};

/** A port free now, for a server started right after (the kernel may hand it to anyone once the probe closes). */
export async function freePort(): Promise<number> {
  const { port, release } = await reservePort();
  await release();
  return port;
}

/**
 * A free port held by a listening probe until `release`: the WebSocket gateway's port must be known seconds before
 * it listens (the handlers read their @connections URL at import), and a port merely probed was taken meanwhile by
 * a parallel test file's server (EADDRINUSE in CI).
 */
export async function reservePort(): Promise<{ port: number; release: () => Promise<void> }> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as { port: number };
  return { port, release: () => new Promise<void>((resolve) => probe.close(() => resolve())) };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const tableName = options.tableName ?? 'chat';
  // s3rver runs in this process: started first, it goes away with the process if DynamoDB Local fails to start.
  const s3 = await startS3Local({ port: await freePort(), bucketName: options.bucketName ?? 'chat-images', dataDir: options.s3DataDir });
  let dynamo: DynamoLocal | undefined;
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo = await startDynamoLocal({ port: await freePort(), dataDir: options.dataDir })).endpoint;
  await ensureTable(dynamoEndpoint, tableName);
  // The handlers need the @connections URL at load time, so the WebSocket port is settled first.
  const reserved = options.wsPort ? undefined : await reservePort(); // 0 means any free port, like httpPort
  const wsPort = options.wsPort || reserved!.port;
  // And the queues' URLs: the senders read them from their rows' environment variables.
  const sqs = await startSqsLocal({ port: await freePort() });

  // The handlers read their configuration once, at import: set it before the gateway loads them. The emulators'
  // credentials always (never a developer's real ones): s3rver refuses any other key id.
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    S3_ENDPOINT: s3.endpoint,
    SQS_ENDPOINT: sqs.endpoint,
    ...sqs.queueUrls,
    BUCKET_NAME: s3.bucketName,
    JWT_SECRET: options.jwtSecret,
    WS_CALLBACK_URL: `http://127.0.0.1:${wsPort}/${LOCAL_STAGE}`,
    // No X-Ray daemon here: shared/tracing.ts then never imports the tracer.
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...options.env,
  });
  delete process.env.AWS_SESSION_TOKEN; // it would belong to a real key, not the emulators'
  // Beside the API: /openapi.json, /docs, the web client at / and its /config.json (same origin, so apiUrl is '';
  // the WebSocket URL is read when asked, once its gateway is up).
  let wsUrl: string | null = null;
  const site = staticSite({ config: () => ({ apiUrl: '', wsUrl }) });
  const http = await startHttpGateway({ port: options.httpPort ?? 0, extra: options.extra ?? site });
  const ws = await startWsGateway({ port: wsPort, limits: options.wsLimits, credentials: S3RVER_CREDENTIALS, releasePort: reserved?.release });
  wsUrl = ws.url;
  await sqs.start();

  return {
    httpUrl: http.url,
    wsUrl: ws.url,
    ws: ws.controls,
    sqs: sqs.controls,
    dynamoEndpoint,
    tableName,
    s3Endpoint: s3.endpoint,
    bucketName: s3.bucketName,
    stop: async () => {
      await Promise.all([closeServer(http.server), ws.close(), sqs.close()]);
      await Promise.all([dynamo?.stop(), s3.stop()]);
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
