import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpRoute } from '../../shared/routes.ts';

/**
 * A request as API Gateway's HTTP API hands it to a Lambda (payload 2.0), for invoking a handler without the
 * gateway: to time the handler alone (billed duration) and to answer a cold process's first event.
 */
export type BenchRequest = { route: HttpRoute; path: string; token?: string; body?: unknown };

export function httpEvent({ route, path, token, body }: BenchRequest): APIGatewayProxyEventV2 {
  const url = new URL(path, 'http://bench.local');
  const names: string[] = [];
  const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'))}$`);
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
