import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from './listen.ts';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { wsRoutes, type WsRoute } from '../../shared/routes.ts';
import { invoke, loadHandler, type LambdaHandler } from './lambda.ts';
import { verifySigV4, type Credentials } from './sigv4.ts';
import { readBodyAtMost } from './http-body.ts';
import { apiGatewayId, clfTime } from './aws-formats.ts';

/**
 * A local stand-in for an API Gateway WebSocket API: runs the $connect authorizer and routes, selects routes by
 * `$request.body.action`, builds the events API Gateway sends, and serves the `@connections` management API on
 * the same port, so the handlers' ApiGatewayManagementApiClient runs unchanged (only the endpoint differs).
 */

export type WsLimits = {
  /** API Gateway's maximum message size (128 KB). */
  maxMessageBytes: number;
  /** Closed after this long without a frame from the client (API Gateway: 10 minutes). */
  idleTimeoutMs: number;
  /** Closed after this long whatever happens (API Gateway: 2 hours). */
  maxConnectionMs: number;
};

export const API_GATEWAY_LIMITS: WsLimits = { maxMessageBytes: 128 * 1024, idleTimeoutMs: 10 * 60_000, maxConnectionMs: 2 * 3600_000 };

/** API Gateway's integration timeout for WebSocket routes. */
const INTEGRATION_TIMEOUT_MS = 29_000;

type Connection = {
  id: string;
  socket: WebSocket;
  authorizer: Record<string, unknown>;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  /** Absent when the client sent none: API Gateway then leaves `identity.userAgent` out. */
  userAgent?: string;
  timers: NodeJS.Timeout[];
};

/** A connection before the upgrade completes (what the authorizer and $connect see). */
type PendingConnection = Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent' | 'authorizer'>;

/** What tests can do that clients cannot. Events: 'push' (connectionId) per @connections POST, 'handled' (routeKey, connectionId, the handler's result or undefined if it threw) after each route invocation. */
export type WsGatewayControls = EventEmitter & {
  /** Live connection ids, optionally only those of one user (by the authorizer's principalId). */
  connectionIds(userId?: number): string[];
  /** Drops a socket WITHOUT invoking $disconnect, as when API Gateway's best-effort $disconnect never arrives. */
  dropWithoutDisconnect(connectionId: string): void;
  /** Makes every later push to this connection hang (a stuck network path), so push timeouts can be tested. */
  stallPushes(connectionId: string): void;
};

export type WsGateway = { url: string; callbackUrl: string; controls: WsGatewayControls; close: () => Promise<void> };

/** The stage name in the @connections URL (WS_CALLBACK_URL = http://127.0.0.1:<port>/local). */
export const LOCAL_STAGE = 'local';

type Handlers = { routes: Map<string, { row: WsRoute; handler: LambdaHandler }>; authorizer?: { name: string; handler: LambdaHandler } };

/**
 * `credentials`: the one key pair whose SigV4 signatures @connections accepts (the handlers' AWS credentials).
 * `releasePort`: frees a reservation of `port` (infra/local/stack.ts reservePort), called just before listening.
 */
export async function startWsGateway(options: { port: number; host?: string; stage?: string; limits?: Partial<WsLimits>; credentials: Credentials; releasePort?: () => Promise<void> }): Promise<WsGateway> {
  const limits = { ...API_GATEWAY_LIMITS, ...options.limits };
  const stage = options.stage ?? LOCAL_STAGE;
  const handlers = await loadHandlers();
  const connections = new Map<string, Connection>();
  const stalled = new Set<string>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(limits.maxMessageBytes * 8, 1024 * 1024) });
  const controls = Object.assign(new EventEmitter(), {
    connectionIds: (userId?: number) => [...connections.values()].filter((c) => userId === undefined || c.authorizer.principalId === String(userId)).map((c) => c.id),
    dropWithoutDisconnect: (connectionId: string) => {
      const connection = connections.get(connectionId);
      if (!connection) return;
      forget(connection);
      connection.socket.terminate();
    },
    stallPushes: (connectionId: string) => void stalled.add(connectionId),
  });

  const server = createServer((req, res) => {
    managementApi(req, res).catch((error) => {
      console.error('local @connections failure', error);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal server error' });
    });
  });
  server.on('upgrade', (req, socket, head) => {
    upgrade(req, socket, head).catch((error) => {
      console.error('local WebSocket upgrade failure', error);
      refuse(socket, 500);
    });
  });
  await options.releasePort?.();
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  const domainName = `127.0.0.1:${port}`;

  /** The requestContext every event of a connection carries; only MESSAGE events have a messageId. */
  function requestContext(connection: PendingConnection, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') {
    const now = new Date();
    const requestId = apiGatewayId();
    return {
      routeKey,
      ...(eventType === 'MESSAGE' ? { messageId: apiGatewayId() } : {}),
      eventType,
      extendedRequestId: requestId,
      requestTime: clfTime(now),
      messageDirection: 'IN',
      stage,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { ...(connection.userAgent !== undefined ? { userAgent: connection.userAgent } : {}), sourceIp: connection.sourceIp },
      requestId,
      domainName,
      connectionId: connection.id,
      apiId: 'local',
      ...(Object.keys(connection.authorizer).length ? { authorizer: connection.authorizer } : {}),
    };
  }

  async function run(routeKey: string, event: unknown, connectionId: string): Promise<unknown> {
    const route = handlers.routes.get(routeKey);
    if (!route) return { statusCode: 200 };
    let result: unknown;
    try {
      return (result = await invoke(route.handler, route.row.name, event, INTEGRATION_TIMEOUT_MS));
    } finally {
      controls.emit('handled', routeKey, connectionId, result);
    }
  }

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const request = upgradeRequest(req);
    const pending: PendingConnection = {
      id: apiGatewayId(),
      connectedAt: Date.now(),
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      userAgent: req.headers['user-agent'],
      authorizer: {},
    };
    if (handlers.authorizer) {
      const denied = await authorize(pending, request);
      if (denied) return refuse(socket, denied);
    }
    const { queryStringParameters, multiValueQueryStringParameters, ...rest } = request;
    const query = Object.keys(queryStringParameters).length ? { queryStringParameters, multiValueQueryStringParameters } : {};
    const event = { ...rest, ...query, requestContext: requestContext(pending, '$connect', 'CONNECT'), isBase64Encoded: false };
    let status: number;
    try {
      status = statusOf(await run('$connect', event, pending.id));
    } catch (error) {
      console.error('[$connect] handler failed:', error);
      status = 500;
    }
    if (status < 200 || status > 299) return refuse(socket, status);
    wss.handleUpgrade(req, socket, head, (ws) => accept({ ...pending, socket: ws, lastActiveAt: Date.now(), timers: [] }));
  }

  /** Runs the REQUEST authorizer as API Gateway does: a thrown 'Unauthorized' is 401, a Deny policy is 403. */
  async function authorize(pending: PendingConnection, request: UpgradeRequest): Promise<number | undefined> {
    const { name, handler } = handlers.authorizer!;
    const event = {
      type: 'REQUEST',
      methodArn: `arn:aws:execute-api:local:000000000000:local/${stage}/$connect`,
      ...request,
      stageVariables: {},
      requestContext: requestContext(pending, '$connect', 'CONNECT'),
    };
    try {
      const started = Date.now();
      const result = (await invoke(handler, name, event, INTEGRATION_TIMEOUT_MS)) as { principalId?: string; policyDocument?: { Statement?: Array<{ Effect?: string }> }; context?: Record<string, unknown> };
      const integrationLatency = Date.now() - started;
      const allowed = result?.policyDocument?.Statement?.some((statement) => statement.Effect === 'Allow') && !result.policyDocument.Statement.some((statement) => statement.Effect === 'Deny');
      if (!allowed) return 403;
      // API Gateway hands later events of the connection the context map with its values stringified (the WebSocket
      // mapping template reference, $context.authorizer.property): handlers must not count on numbers. Next to it
      // the principal and how long the authorizer took, a number (as in the real captures of the v1-style block).
      const context = Object.fromEntries(Object.entries(result.context ?? {}).map(([key, value]) => [key, String(value)]));
      pending.authorizer = { ...context, principalId: result.principalId, integrationLatency };
      return undefined;
    } catch (error) {
      if ((error as Error).message === 'Unauthorized') return 401;
      console.error(`[${name}] authorizer failed:`, error);
      return 500;
    }
  }

  function accept(connection: Connection): void {
    connections.set(connection.id, connection);
    const { socket } = connection;
    const resetIdle = () => {
      connection.lastActiveAt = Date.now();
      clearTimeout(connection.timers[0]);
      connection.timers[0] = setTimeout(() => socket.close(1001, 'Going away'), limits.idleTimeoutMs);
    };
    resetIdle();
    connection.timers[1] = setTimeout(() => socket.close(1001, 'Going away'), limits.maxConnectionMs);
    // ws reports a frame over maxPayload (and any protocol violation) here and closes the socket itself, with 1009
    // for the oversize frame as API Gateway does; 'close' then runs $disconnect. Unhandled, it would end the process.
    socket.on('error', (error) => console.warn(`local WebSocket ${connection.id} closed: ${error.message}`));
    socket.on('message', (data, isBinary) => {
      resetIdle();
      onFrame(connection, data, isBinary).catch((error) => console.error('local WebSocket frame failure', error));
    });
    socket.on('close', (code, reason) => {
      if (!connections.has(connection.id)) return; // dropped on purpose: no $disconnect, as when API Gateway loses it
      forget(connection);
      // AWS's DISCONNECT carries stub headers, not the client's (every real capture: these four, three of them empty).
      const headers = { Host: domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
      const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
      const event = { headers, multiValueHeaders, requestContext: { ...requestContext(connection, '$disconnect', 'DISCONNECT'), disconnectStatusCode: code, disconnectReason: reason.toString() }, isBase64Encoded: false };
      run('$disconnect', event, connection.id).catch((error) => console.error('[$disconnect] handler failed:', error));
    });
  }

  function forget(connection: Connection): void {
    connections.delete(connection.id);
    for (const timer of connection.timers) clearTimeout(timer);
  }

  async function onFrame(connection: Connection, data: RawData, isBinary: boolean): Promise<void> {
    const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (raw.length > limits.maxMessageBytes) {
      // API Gateway refuses the message and keeps the connection.
      return send(connection, { event: 'error', code: 'PAYLOAD_TOO_LARGE', message: `消息不能超过 ${limits.maxMessageBytes} 字节` });
    }
    const body = isBinary ? raw.toString('base64') : raw.toString('utf8');
    const routeKey = isBinary ? '$default' : selectRoute(body);
    const event = { requestContext: requestContext(connection, routeKey, 'MESSAGE'), body, isBase64Encoded: isBinary };
    try {
      await run(routeKey, event, connection.id);
    } catch (error) {
      // What API Gateway sends the client when the integration fails.
      console.error(`[${routeKey}] handler failed:`, error);
      send(connection, { message: 'Internal server error', connectionId: connection.id, requestId: event.requestContext.requestId });
    }
  }

  /** Route selection expression `$request.body.action`: a route whose key is the frame's action, else $default. */
  function selectRoute(body: string): string {
    try {
      const action = (JSON.parse(body) as { action?: unknown } | null)?.action;
      if (typeof action === 'string' && !action.startsWith('$') && handlers.routes.has(action)) return action;
    } catch {
      /* not JSON: $default */
    }
    return '$default';
  }

  function send(connection: Connection, frame: unknown): void {
    connection.socket.send(JSON.stringify(frame));
  }

  /**
   * POST /{stage}/@connections/{id} pushes, GET describes, DELETE closes; 410 GoneException for unknown ids. As on
   * AWS, only SigV4-signed requests with the stack's credentials are served (403 otherwise), and a body over the
   * message limit is refused with 413 before it is read (a huge POST cannot fill the process's memory).
   */
  async function managementApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/([^/]+)\/@connections\/([^/?]+)$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
    if (!match || match[1] !== stage) return sendJson(res, 404, { message: 'Not Found' });
    const connectionId = decodeURIComponent(match[2]!);
    const body = await readBodyAtMost(req, limits.maxMessageBytes);
    if (!body) return tooLarge(req, res);
    const refusal = await verifySigV4(req, body, options.credentials, 'execute-api');
    if (refusal) return sendJson(res, refusal.status, { message: refusal.message }, refusal.type);
    const connection = connections.get(connectionId);
    if (req.method === 'POST') controls.emit('push', connectionId);
    if (stalled.has(connectionId)) return; // never answers: the caller's timeout has to end it
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) return sendJson(res, 410, { message: null }, 'GoneException');
    if (req.method === 'POST') {
      await new Promise<void>((resolve, reject) => connection.socket.send(body.toString('utf8'), (error) => (error ? reject(error) : resolve())));
      return sendJson(res, 200, undefined);
    }
    if (req.method === 'GET') {
      return sendJson(res, 200, { connectedAt: new Date(connection.connectedAt).toISOString(), identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent }, lastActiveAt: new Date(connection.lastActiveAt).toISOString() });
    }
    if (req.method === 'DELETE') {
      connection.socket.close(1000);
      return sendJson(res, 204, undefined);
    }
    return sendJson(res, 405, { message: 'Method Not Allowed' });
  }

  const close = async () => {
    for (const connection of connections.values()) connection.socket.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `ws://${domainName}`, callbackUrl: `http://${domainName}/${stage}`, controls, close };
}

async function loadHandlers(): Promise<Handlers> {
  const routes = new Map<string, { row: WsRoute; handler: LambdaHandler }>();
  let authorizer: Handlers['authorizer'];
  for (const row of wsRoutes) {
    routes.set(row.routeKey, { row, handler: await loadHandler(row.entry) });
    if (row.authorizer) authorizer = { name: row.authorizer.name, handler: await loadHandler(row.authorizer.entry) };
  }
  return { routes, authorizer };
}

type UpgradeRequest = {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
};

/**
 * The upgrade request as $connect and its authorizer see it (v1-style): header names as the client sent them (API
 * Gateway keeps a WebSocket client's case: `Host`, `Sec-WebSocket-Key`), a repeated header's or parameter's last
 * value in the single-value maps and all of them in the multi-value ones.
 */
function upgradeRequest(req: IncomingMessage): UpgradeRequest {
  const request: UpgradeRequest = { headers: {}, multiValueHeaders: {}, queryStringParameters: {}, multiValueQueryStringParameters: {} };
  const add = (single: Record<string, string>, multi: Record<string, string[]>, name: string, value: string) => {
    single[name] = value;
    (multi[name] ??= []).push(value);
  };
  for (let i = 0; i < req.rawHeaders.length; i += 2) add(request.headers, request.multiValueHeaders, req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  for (const [name, value] of new URL(req.url ?? '/', 'http://local').searchParams) add(request.queryStringParameters, request.multiValueQueryStringParameters, name, value);
  return request;
}

function statusOf(result: unknown): number {
  const status = (result as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : 200;
}

function refuse(socket: Duplex, status: number): void {
  const reason = { 401: 'Unauthorized', 403: 'Forbidden' }[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** 413 as API Gateway answers it; the rest of the body is not read, and the connection is closed after the answer. */
function tooLarge(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('connection', 'close');
  sendJson(res, 413, { message: 'Request Entity Too Large' }, 'PayloadTooLargeException');
  res.on('finish', () => req.destroy());
}
