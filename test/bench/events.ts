import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { pathPattern, type HttpRoute, type WsRoute } from '../../shared/routes.ts';

/**
 * A request as API Gateway's HTTP API hands it to a Lambda (payload 2.0), for invoking a handler without the
 * gateway: to time the handler alone (billed duration) and to answer a cold process's first event.
 */
export type BenchRequest = { route: HttpRoute; path: string; token?: string; body?: unknown };

export function httpEvent({ route, path, token, body }: BenchRequest): APIGatewayProxyEventV2 {
  const url = new URL(path, 'http://bench.local');
  const { pattern, names } = pathPattern(route.path);
  const match = pattern.exec(url.pathname);
  if (!match) throw new Error(`${path} does not match ${route.path}`);
  const pathParameters = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
  const routeKey = `${route.method} ${route.path}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: { 'content-type': 'application/json', host: 'bench.local', ...(token ? { token } : {}) },
    ...(url.searchParams.size ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    ...(names.length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method: route.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

/**
 * A WebSocket API event as API Gateway sends it after the $connect authorizer let the user in (its context, values
 * stringified, with the fixtures' token generation 0, rides on
 * every event), or, for the authorizer itself, the REQUEST authorizer event with `?token=`.
 */
export type BenchWsRequest = { route: WsRoute; userId: number; token: string; connectionId: string; frame?: Record<string, unknown> };

export function wsEvent({ route, userId, token, connectionId, frame }: BenchWsRequest, authorizer = false): unknown {
  const eventType = route.routeKey === '$connect' ? 'CONNECT' : route.routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  const now = Date.now();
  const requestContext = {
    routeKey: route.routeKey,
    eventType,
    messageDirection: 'IN',
    stage: 'bench',
    connectedAt: now,
    requestTimeEpoch: now,
    requestTime: new Date(now).toUTCString(),
    requestId: randomUUID(),
    extendedRequestId: randomUUID(),
    domainName: 'bench.local',
    connectionId,
    apiId: 'bench',
    identity: { sourceIp: '127.0.0.1', userAgent: 'bench' },
    ...(authorizer ? {} : { authorizer: { principalId: String(userId), userId: String(userId), tokenVersion: '0' } }),
  };
  if (authorizer) return { type: 'REQUEST', methodArn: 'arn:aws:execute-api:local:000000000000:bench/bench/$connect', headers: {}, queryStringParameters: { token }, stageVariables: {}, requestContext };
  return { requestContext, isBase64Encoded: false, ...(frame ? { body: JSON.stringify(frame) } : {}) };
}
