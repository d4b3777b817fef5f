import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { HTTP_DEFAULT, HTTP_ROUTE_KEYS_ENV, httpRouteKeys, httpRoutes, pathPattern, type HttpRoute } from '../../shared/routes.ts';
import { invoke, loadHandler, type LambdaHandler } from './lambda.ts';
import { API_SECURITY_HEADERS } from '../../shared/http/security-headers.ts';
import { readBodyAtMost } from './http-body.ts';
import { listen } from './listen.ts';
import { apiGatewayId, clfTime, traceId } from './aws-formats.ts';

/**
 * A local stand-in for an API Gateway HTTP API: matches the route table's rows, builds payload-2.0 events exactly
 * as API Gateway does, invokes the same handler modules, and maps their results back to HTTP. A request no row
 * matches goes, as on AWS, to the `$default` row's function (after the local-only pages).
 */

/** API Gateway's HTTP API payload limit is 10 MB, but a Lambda's synchronous request payload is 6 MB. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
/** HTTP API's maximum integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;
/** Content types API Gateway passes as text; anything else arrives base64-encoded. */
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

type CompiledRoute = { row: HttpRoute; pattern: RegExp; names: string[]; handler: LambdaHandler };
type Target = { name: string; routeKey: string; handler: LambdaHandler; pathParameters: Record<string, string> };

/** Extra local-only pages (the API reference, the web client): tried when no API route matches. */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export async function startHttpGateway(options: { port: number; host?: string; extra?: StaticHandler }): Promise<{ server: Server; url: string }> {
  const compiled = await Promise.all(httpRoutes.map(compile));
  // As the CDK stack sets it on the $default function (all handlers share this process's environment).
  process.env[HTTP_ROUTE_KEYS_ENV] = httpRouteKeys(httpRoutes);
  const fallback = await loadHandler(HTTP_DEFAULT.entry);
  const server = createServer((req, res) => {
    handle(req, res, compiled, fallback, options.extra).catch((error) => {
      console.error('local gateway failure', error);
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
    });
  });
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

async function compile(row: HttpRoute): Promise<CompiledRoute> {
  return { row, ...pathPattern(row.path), handler: await loadHandler(row.entry) };
}

/** The row that serves this method and path, or the $default row's function. */
function route(method: string | undefined, pathname: string, routes: CompiledRoute[], fallback: LambdaHandler): Target {
  for (const { row, pattern, names, handler } of routes) {
    const match = row.method === method ? pattern.exec(pathname) : null;
    if (match) return { name: row.name, routeKey: `${row.method} ${row.path}`, handler, pathParameters: Object.fromEntries(names.map((name, i) => [name, safeDecode(match[i + 1]!)])) };
  }
  return { name: HTTP_DEFAULT.name, routeKey: HTTP_DEFAULT.routeKey, handler: fallback, pathParameters: {} };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: CompiledRoute[], fallback: LambdaHandler, extra?: StaticHandler): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  if (req.method === 'OPTIONS') return preflight(req, res);
  const target = route(req.method, url.pathname, routes, fallback);
  if (target.handler === fallback && extra?.(req, res)) return;
  const body = await readBodyAtMost(req, MAX_REQUEST_BYTES);
  if (body === undefined) return send(res, 413, { message: 'Request Entity Too Large' });
  const event = buildEvent(req, url, target.routeKey, target.pathParameters, body);
  let result: unknown;
  try {
    result = await invoke(target.handler, target.name, event, INTEGRATION_TIMEOUT_MS);
  } catch (error) {
    // What API Gateway answers when the integration throws or times out.
    console.error(`[${target.name}] handler failed:`, error);
    return send(res, (error as Error).name === 'LambdaTimeout' ? 503 : 500, { message: (error as Error).name === 'LambdaTimeout' ? 'Service Unavailable' : 'Internal Server Error' });
  }
  respond(res, result as APIGatewayProxyResultV2, req);
}

function buildEvent(req: IncomingMessage, url: URL, routeKey: string, pathParameters: Record<string, string>, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headersDistinct)) {
    if (!value) continue;
    if (name === 'cookie') cookies.push(...value.join('; ').split(/;\s*/).filter(Boolean));
    else headers[name] = value.join(',');
  }
  const now = new Date();
  const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
  // What API Gateway adds to every request (each real capture has them); a client's own x-forwarded-for is extended.
  Object.assign(headers, {
    'content-length': headers['content-length'] ?? String(body.length),
    'x-amzn-trace-id': traceId(now),
    'x-forwarded-for': headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${sourceIp}` : sourceIp,
    'x-forwarded-port': String(req.socket.localPort),
    'x-forwarded-proto': 'http',
  });
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || TEXT_TYPES.test(contentType);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(url.searchParams.size ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: (headers.host ?? '127').split('.')[0]!,
      http: { method: req.method!, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: apiGatewayId(),
      routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

/** Payload 2.0 response rules: a structured result is used as is; anything else is 200 JSON. */
function respond(res: ServerResponse, result: APIGatewayProxyResultV2, req: IncomingMessage): void {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    return send(res, 200, result, req);
  }
  const headers: Record<string, string | string[]> = { ...corsHeaders(req), ...(result.headers as Record<string, string>) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
}

function send(res: ServerResponse, status: number, body: unknown, req?: IncomingMessage): void {
  // The gateway's own answers (404, 413, 5xx) carry the API's security headers like every handler response.
  res.writeHead(status, { 'content-type': 'application/json', ...API_SECURITY_HEADERS, ...(req ? corsHeaders(req) : {}) });
  res.end(JSON.stringify(body));
}

/** The same CORS policy the CDK stack configures on the HTTP API. */
function corsHeaders(req: IncomingMessage): Record<string, string> {
  return req.headers.origin ? { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' } : {};
}

function preflight(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(204, {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET,POST,DELETE,OPTIONS',
    'access-control-allow-headers': 'content-type,authorization,token',
    'access-control-max-age': '600',
  });
  res.end();
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
