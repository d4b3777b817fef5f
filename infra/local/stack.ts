import { createServer } from 'node:net';
import type { Server } from 'node:http';
import { startDynamoLocal, ensureTable, type DynamoLocal } from './dynamodb-local.ts';
import { startHttpGateway, type StaticHandler } from './http-gateway.ts';
import { LOCAL_STAGE, startWsGateway, type WsGatewayControls, type WsLimits } from './ws-gateway.ts';

/**
 * The whole backend on a laptop: DynamoDB Local (the real AWS jar), the table from the shared schema, and the local
 * API Gateway serving every route-table row through the real handler modules. Used by `npm start` and the tests.
 */
export type LocalStackOptions = {
  httpPort?: number;
  wsPort?: number;
  /** Shorter WebSocket limits (idle timeout, 2-hour maximum, message size) so tests can reach them. */
  wsLimits?: Partial<WsLimits>;
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

export type LocalStack = { httpUrl: string; wsUrl: string; ws: WsGatewayControls; dynamoEndpoint: string; tableName: string; stop: () => Promise<void> };

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
  // The handlers need the @connections URL at load time, so the WebSocket port is settled first.
  const wsPort = options.wsPort || (await freePort()); // 0 means any free port, like httpPort

  // The handlers read their configuration once, at import: set it before the gateway loads them.
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamoEndpoint,
    JWT_SECRET: options.jwtSecret,
    WS_CALLBACK_URL: `http://127.0.0.1:${wsPort}/${LOCAL_STAGE}`,
    ...options.env,
  });
  const http = await startHttpGateway({ port: options.httpPort ?? 0, extra: options.extra });
  const ws = await startWsGateway({ port: wsPort, limits: options.wsLimits });

  return {
    httpUrl: http.url,
    wsUrl: ws.url,
    ws: ws.controls,
    dynamoEndpoint,
    tableName,
    stop: async () => {
      await Promise.all([closeServer(http.server), ws.close()]);
      await dynamo?.stop();
    },
  };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
