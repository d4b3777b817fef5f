import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';

/**
 * AWS's own events (../shared/aws-events beside the repository; SOURCES.md there says where each comes from), and
 * events built from them for a route: a sample keeps every field and type it has; only the route, path, parameters,
 * body and authorizer context change. Plus the shape tools the comparisons use.
 */
export const SAMPLES_DIR = resolve(import.meta.dirname, '../../../shared/aws-events');

export function sample<T = any>(file: string): T {
  const path = resolve(SAMPLES_DIR, file);
  if (!existsSync(path)) throw new Error(`AWS sample event ${path} is missing: the tests read ../shared/aws-events beside the repository`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Which samples are which kind of event (SOURCES.md). The SYNTHETIC $connect is REST fields mixed in: left out. */
export const SAMPLES = {
  http: [
    'get-jwt-authorizer.aws-lambda-go', 'get-lambda-authorizer.aws-lambda-go', 'get-lambda-authorizer.powertools-py', 'get-no-authorizer.aws-lambda-go',
    'get-pathparams-query-jwt.powertools-py', 'iam-authorizer.powertools-py', 'multi-value-query.aws-lambda-rust', 'post-base64-body.sam-cli-http-api-proxy',
    'post-json-body-jwt.powertools-py', 'post-jwt-cognito-real.powertools-ts', 'post-lambda-authorizer-null-context-real.powertools-ts', 'post-no-body.powertools-ts',
    'post-payload-v2.aws-docs',
  ].map((name) => `http-api-v2/${name}.json`),
  connect: ['websocket/connect-real.powertools-py.json', 'websocket/connect-with-apikey.aws-lambda-rust.json'],
  message: ['websocket/message-custom-route-chat-real.powertools-py.json', 'websocket/message-default-route-real.aws-lambda-go.json'],
  disconnect: ['websocket/disconnect-1005-real.aws-lambda-rust.json', 'websocket/disconnect-real.aws-lambda-go.json', 'websocket/disconnect-real.powertools-py.json'],
  authorizer: [
    'websocket-authorizer/authorizer-input-connect-querystring.powertools-ts.json', 'websocket-authorizer/authorizer-input-connect.aws-docs.json',
    'websocket-authorizer/authorizer-input-header-real.powertools-py.json',
  ],
};

/**
 * Lambda's SQS event, field by field as the Lambda developer guide's example record lists them (shared/aws-events
 * has no SQS sample): every value a string except the attribute maps.
 */
export const SQS_REFERENCE_RECORD = {
  messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
  receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...',
  body: 'Test message.',
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1545082649185' },
  messageAttributes: {},
  md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
  awsRegion: 'us-east-2',
};

/** A value's shape: its type at every leaf, objects by key, arrays element by element. Equal shapes, same envelope. */
export function shapeOf(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as object).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, shapeOf(v)]));
  return typeof value;
}

/** Containers whose keys are data (header names, parameter names, claims), not fields: compared as `name.*`. */
const MAPS = ['headers', 'multiValueHeaders', 'queryStringParameters', 'multiValueQueryStringParameters', 'pathParameters', 'stageVariables', 'requestContext.authorizer.jwt.claims', 'requestContext.authorizer.lambda', 'messageAttributes'];

const typeName = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Every field path of an event with its type (`a.b`, a map's keys as `*`, an array's elements as `[]`). */
export function fieldTypes(value: unknown, path = '', into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  if (path) (into.get(path) ?? into.set(path, new Set()).get(path)!).add(typeName(value));
  if (Array.isArray(value)) for (const item of value) fieldTypes(item, `${path}[]`, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue; // never on the wire: checked separately (keysHoldingUndefined)
      fieldTypes(item, path && MAPS.includes(path) ? `${path}.*` : path ? `${path}.${key}` : key, into);
    }
  }
  return into;
}

/** Keys set to undefined: JSON drops them, but a handler's `'key' in event` or Object.keys() sees them locally. */
export function keysHoldingUndefined(value: unknown, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => (item === undefined ? [`${path}${key}`] : keysHoldingUndefined(item, `${path}${key}.`)));
}

export type Drift = { missing: string[]; extra: string[]; wrongType: string[] };

/**
 * A local event against AWS's samples of its kind: a field every sample has must be there with a type a sample
 * gives it (missing / wrongType); a field no sample has (nor `allowed`, each with its reason) is extra.
 */
export function compareWithSamples(local: unknown, samples: unknown[], allowed: Record<string, string[]> = {}): Drift {
  const perSample = samples.map((s) => fieldTypes(s));
  const union = new Map<string, Set<string>>();
  for (const types of perSample) for (const [path, set] of types) for (const t of set) (union.get(path) ?? union.set(path, new Set()).get(path)!).add(t);
  for (const [path, types] of Object.entries(allowed)) union.set(path, new Set([...(union.get(path) ?? []), ...types]));
  const required = [...union.keys()].filter((path) => perSample.every((types) => types.has(path)));
  const mine = fieldTypes(local);
  const drift: Drift = { missing: [], extra: [], wrongType: [] };
  for (const path of required) if (!mine.has(path)) drift.missing.push(path);
  for (const [path, types] of mine) {
    const theirs = union.get(path);
    if (!theirs) drift.extra.push(path);
    else for (const t of types) if (!theirs.has(t)) drift.wrongType.push(`${path}: ${t} (AWS: ${[...theirs].join('|')})`);
  }
  drift.extra.push(...keysHoldingUndefined(local).map((path) => `${path} (undefined)`));
  return drift;
}

/** A query string's parameters as payload 2.0 gives them: decoded, a repeated name's values joined with commas. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  const params = new URLSearchParams(rawQueryString);
  if (params.size === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of params) out[name] = name in out ? `${out[name]},${value}` : value;
  return out;
}

export type HttpRequest = { method: string; routeKey: string; rawPath: string; rawQueryString?: string; pathParameters?: Record<string, string>; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };

/**
 * An HTTP API payload-2.0 event from a sample, for one request: its route, path, parameters, body and the request's
 * own headers (the token, the content type) over the sample's, whose `authorization` is the sample's client's.
 * Everything else (requestContext, cookies, stage variables, authorizer block) stays as the sample has it.
 */
export function httpEvent(file: string, request: HttpRequest): any {
  const event = sample(file);
  const rawQueryString = request.rawQueryString ?? '';
  const { authorization: _sampleClientsToken, ...headers } = event.headers as Record<string, string>;
  Object.assign(event, { routeKey: request.routeKey, rawPath: request.rawPath, rawQueryString, headers: { ...headers, ...request.headers }, isBase64Encoded: request.isBase64Encoded ?? false });
  Object.assign(event.requestContext, { routeKey: request.routeKey });
  Object.assign(event.requestContext.http, { method: request.method, path: request.rawPath });
  setOrDrop(event, 'queryStringParameters', queryParameters(rawQueryString));
  setOrDrop(event, 'pathParameters', request.pathParameters && Object.keys(request.pathParameters).length ? request.pathParameters : undefined);
  setOrDrop(event, 'body', request.body);
  return event;
}

/** API Gateway leaves a field out when it has nothing for it (no query string, no body). */
function setOrDrop(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

/**
 * The authorizer block API Gateway puts in every event of a connection: `principalId`, a numeric
 * `integrationLatency`, and the authorizer's context with every value stringified (SOURCES.md, Q4).
 */
export function authorizerBlock(result: APIGatewayAuthorizerResult, integrationLatency = 87): Record<string, unknown> {
  const context = Object.fromEntries(Object.entries(result.context ?? {}).map(([key, value]) => [key, String(value)]));
  return { ...context, principalId: result.principalId, integrationLatency };
}

/** The $connect REQUEST authorizer's input (the AWS docs' example), for a `?token=` connection. */
export function authorizerEvent(token: string, connectionId: string, file = SAMPLES.authorizer[1]!): any {
  const event = sample(file);
  Object.assign(event, { queryStringParameters: { token }, multiValueQueryStringParameters: { token: [token] } });
  Object.assign(event.requestContext, { connectionId });
  return event;
}

/** A real $connect event with the `?token=` query string (shaped as the authorizer input shows it) and the authorizer block. */
export function connectEvent(token: string, connectionId: string, authorizer: Record<string, unknown>, file = SAMPLES.connect[0]!): any {
  const event = sample(file);
  Object.assign(event, { queryStringParameters: { token }, multiValueQueryStringParameters: { token: [token] } });
  Object.assign(event.requestContext, { connectionId, connectedAt: Date.now(), authorizer });
  return event;
}

/** A real MESSAGE event (custom route) for a frame on a connection. */
export function messageEvent(routeKey: string, connectionId: string, body: string, authorizer: Record<string, unknown>, file = SAMPLES.message[0]!): any {
  const event = sample(file);
  Object.assign(event, { body });
  Object.assign(event.requestContext, { routeKey, connectionId, authorizer });
  return event;
}

/** A real DISCONNECT event (1005, no close frame status) for a connection. */
export function disconnectEvent(connectionId: string, authorizer: Record<string, unknown>, file = SAMPLES.disconnect[2]!): any {
  const event = sample(file);
  Object.assign(event.requestContext, { connectionId, authorizer });
  return event;
}

/** Lambda's SQS event with one record carrying `body`. */
export function sqsEvent(body: string): any {
  return { Records: [{ ...structuredClone(SQS_REFERENCE_RECORD), attributes: { ...SQS_REFERENCE_RECORD.attributes, SentTimestamp: String(Date.now()) }, body }] };
}
