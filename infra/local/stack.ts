import { createServer } from 'node:net';
import type { Server } from 'node:http';
import { startDynamoLocal, ensureTable, type DynamoLocal } from './dynamodb-local.ts';
import { startHttpGateway, type StaticHandler } from './http-gateway.ts';
import { staticSite } from './static-site.ts';

/**
 * The whole backend on a laptop: DynamoDB Local (the real AWS jar), the table from the shared schema, and the local
 * API Gateway serving every route-table row through the real handler modules. Used by `npm start` and the tests.
 */
export type LocalStackOptions = {
  httpPort?: number;
  /** Persist DynamoDB data here; in memory when absent. */
  dataDir?: string;
  /** Reuse a running DynamoDB Local (tests share one) instead of starting one. */
  dynamoEndpoint?: string;
  tableName?: string;
  jwtSecret: string;
  /** Extra environment for the handlers (shorter limits in tests, for example). */
  env?: Record<string, string>;
  extra?: StaticHandler;
};

export type LocalStack = { httpUrl: string; dynamoEndpoint: string; tableName: string; stop: () => Promise<void> };

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
  let dynamo: DynamoLocal | undefined;
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamo = await startDynamoLocal({ port: await freePort(), dataDir: options.dataDir })).endpoint;
  await ensureTable(dynamoEndpoint, tableName);

  // The handlers read their configuration once, at import: set it before the gateway loads them.
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    JWT_SECRET: options.jwtSecret,
    ...options.env,
  });
  // Beside the API: /openapi.json, /docs, the web client at / and its /config.json (same origin, so apiUrl is '').
  const site = staticSite({ config: () => ({ apiUrl: '', wsUrl: null }) });
  const http = await startHttpGateway({ port: options.httpPort ?? 0, extra: options.extra ?? site });

  return {
    httpUrl: http.url,
    dynamoEndpoint,
    tableName,
    stop: async () => {
      await closeServer(http.server);
      await dynamo?.stop();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
