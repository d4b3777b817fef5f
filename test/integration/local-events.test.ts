import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { WsClient, routeHandled } from '../support/ws-client.ts';
import type { TestUser } from '../support/client.ts';
import { makePng } from '../support/images.ts';
import { SAMPLES, SQS_REFERENCE_RECORD, compareWithSamples, fieldTypes, sample, type Drift } from '../support/aws-events.ts';
import { HTTP_DEFAULT, QUEUES, WS } from '../../shared/routes.ts';
import { invocations, type Invocation } from '../../infra/local/lambda.ts';

/**
 * The local stand-ins' events, field by field against AWS's samples of the same kind (../shared/aws-events): the
 * HTTP API's payload-2.0 events, the WebSocket API's CONNECT / MESSAGE / DISCONNECT events and its $connect
 * REQUEST authorizer's input, and the SQS event source's records. Every field all samples of a kind have, the local
 * event has, with a type a sample gives it; the local event has no field AWS never sends. Captured from real
 * requests through the running local stack.
 */
const ctx = useStack({ BCRYPT_COST: '4', FAN_OUT_THRESHOLD: '2' });
const seen: Invocation[] = [];
const record = (invocation: Invocation) => seen.push(invocation);
let users: TestUser[];
let conversationId: number;

beforeAll(async () => {
  invocations.on('invocation', record);
  users = await Promise.all([0, 1, 2].map(() => ctx.api.newUser('events')));
  conversationId = await ctx.api.conversation(users[0]!.token, users[1]!.id, users[2]!.id);
  const bearer = { authorization: `Bearer ${users[0]!.token}` };
  // HTTP: a query string, a JSON body, path parameters, cookies, a multipart (binary, base64) body, an unmatched path.
  await ctx.api.request('GET', '/conversation/getlist?limit=5&limit=6', { headers: bearer });
  await ctx.api.request('POST', '/message/send', { headers: { ...bearer, cookie: 'a=1; b=2' }, body: { conversationId, content: 'hi' } });
  await ctx.api.request('GET', `/user/profile/${users[1]!.id}`, { headers: bearer });
  const form = new FormData();
  form.append('conversationId', String(conversationId));
  form.append('image', new Blob([makePng(4, 4, 7)]), 'a.png');
  await fetch(`${ctx.stack.httpUrl}/message/image`, { method: 'POST', headers: bearer, body: form });
  await ctx.api.request('GET', '/nope');
  // WebSocket: the authorizer and CONNECT, a MESSAGE, a DISCONNECT; then a send queued to three connections (SQS).
  const clients = await Promise.all(users.map((user) => WsClient.connect(ctx.stack.wsUrl, user.token)));
  await clients[0]!.request({ action: 'ping' }, (frame) => frame.event === 'pong');
  const queued = new Promise<void>((resolve) => {
    const onFanOut = (invocation: Invocation) => {
      if (invocation.functionName !== QUEUES.fanOut.name) return;
      invocations.off('invocation', onFanOut);
      resolve();
    };
    invocations.on('invocation', onFanOut);
  });
  expect((await ctx.api.post('/message/send', { conversationId, content: 'to the queue' }, users[0]!.token)).status).toBe(201);
  await queued;
  const disconnected = routeHandled(ctx.stack, '$disconnect', 3);
  await Promise.all(clients.map((client) => client.close()));
  await disconnected;
});
afterAll(() => invocations.off('invocation', record));

const eventsOf = (functionName: string) => seen.filter((i) => i.functionName === functionName).map((i) => i.event as any);
const wsEvents = (eventType: string) => seen.map((i) => i.event as any).filter((event) => event?.requestContext?.eventType === eventType && !event.type);
const samplesOf = (files: string[]) => files.map((file) => sample(file));

/** Fields AWS sends on some WebSocket events that no sample of this kind happens to show, each with its source. */
const WS_ALLOWED = {
  // A client that sends a User-Agent gets it here (the real MESSAGE and DISCONNECT captures from a browser show it).
  'requestContext.identity.userAgent': ['string'],
};
/** $connect's query string, as the REQUEST authorizer's input shows it (AWS docs, websocket-api-data-mapping: $connect only). */
const CONNECT_QUERY = Object.fromEntries([...fieldTypes(sample(SAMPLES.authorizer[1]!))].filter(([path]) => /querystringparameters/i.test(path)).map(([path, types]) => [path, [...types]]));

/**
 * The authorizer block API Gateway repeats on every event of an authorized connection (SOURCES.md, Q4): principalId,
 * a numeric integrationLatency, and the context's values as strings. Checked on its own (its problems pushed), then
 * left out of the field comparison: no WebSocket integration sample carries one.
 */
function withoutAuthorizer(event: any, problems: string[]): any {
  const { authorizer, ...requestContext } = event.requestContext;
  const { principalId, integrationLatency, ...context } = authorizer ?? {};
  if (typeof principalId !== 'string') problems.push(`requestContext.authorizer.principalId: ${typeof principalId} (AWS: string)`);
  if (typeof integrationLatency !== 'number') problems.push(`requestContext.authorizer.integrationLatency: ${typeof integrationLatency} (AWS: number)`);
  if (Object.keys(context).length === 0) problems.push('requestContext.authorizer: no context');
  for (const [key, value] of Object.entries(context)) if (typeof value !== 'string') problems.push(`requestContext.authorizer.${key}: ${typeof value} (AWS: string)`);
  return { ...event, requestContext };
}

/** A drift as lines, one per field, so a failure lists every one at once. */
const lines = (drift: Drift) => [...drift.missing.map((f) => `missing ${f}`), ...drift.extra.map((f) => `extra ${f}`), ...drift.wrongType.map((f) => `type ${f}`)];

/** Every field problem of these local events against the samples, once each (the authorizer block checked on its own). */
function driftOf(events: any[], files: string[], options: { allowed?: Record<string, string[]>; authorizer?: boolean } = {}): string[] {
  const problems: string[] = [];
  for (const event of events) {
    const compared = options.authorizer ? withoutAuthorizer(event, problems) : event;
    problems.push(...lines(compareWithSamples(compared, samplesOf(files), options.allowed)));
  }
  return [...new Set(problems)];
}

/** API Gateway's request time: CLF, `20/Jan/2024:11:55:08 +0000`. */
const CLF_TIME = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

describe('the local HTTP gateway builds the payload-2.0 events API Gateway sends', () => {
  it('every event: the fields every sample has, with their types, and nothing AWS never sends', () => {
    const events = [...eventsOf('conversationGetlist'), ...eventsOf('messageSend'), ...eventsOf('userProfileById'), ...eventsOf('messageImage'), ...eventsOf(HTTP_DEFAULT.name)];
    expect(events).toHaveLength(6);
    expect(driftOf(events, SAMPLES.http)).toEqual([]);
  });

  it('the request-specific fields: query parameters comma-joined, cookies, path parameters, a base64 binary body, absent when empty', () => {
    const [getlist] = eventsOf('conversationGetlist');
    expect(getlist.queryStringParameters).toEqual({ limit: '5,6' });
    expect(getlist).not.toHaveProperty('body');
    const [send] = eventsOf('messageSend');
    expect(send.cookies).toEqual(['a=1', 'b=2']);
    expect(send.headers).not.toHaveProperty('cookie');
    expect(send).not.toHaveProperty('queryStringParameters');
    expect(eventsOf('userProfileById')[0].pathParameters).toEqual({ id: String(users[1]!.id) });
    const [image] = eventsOf('messageImage');
    expect(image.isBase64Encoded).toBe(true);
    expect(Buffer.from(image.body, 'base64').includes(Buffer.from('\x89PNG', 'latin1'))).toBe(true);
    const [unmatched] = eventsOf(HTTP_DEFAULT.name);
    expect([unmatched.routeKey, unmatched.requestContext.routeKey, unmatched.pathParameters]).toEqual(['$default', '$default', undefined]);
  });

  it('what every real capture shows: lower-case header names with the forwarding headers API Gateway adds, CLF time', () => {
    const real = SAMPLES.http.filter((file) => /real|no-authorizer|no-body/.test(file)).map((file) => sample(file));
    const common = Object.keys(real[0].headers).filter((name) => real.every((event) => name in event.headers) && name !== 'accept');
    expect(common).toEqual(expect.arrayContaining(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-amzn-trace-id', 'content-length']));
    for (const event of eventsOf('conversationGetlist')) {
      for (const name of Object.keys(event.headers)) expect(name).toBe(name.toLowerCase());
      expect(Object.keys(event.headers)).toEqual(expect.arrayContaining(common));
      expect(event.headers['x-forwarded-for']).toBe(event.requestContext.http.sourceIp);
      expect(event.requestContext.time).toMatch(CLF_TIME);
    }
  });
});

describe('the local WebSocket gateway builds the events API Gateway sends', () => {
  it('the $connect REQUEST authorizer input', () => {
    const events = eventsOf(WS.connect.authorizer.name);
    expect(events).toHaveLength(3);
    expect(driftOf(events, SAMPLES.authorizer, { allowed: WS_ALLOWED })).toEqual([]);
    for (const event of events) {
      expect(event.multiValueQueryStringParameters.token).toEqual([event.queryStringParameters.token]);
      expect(event.methodArn).toMatch(/^arn:aws:execute-api:[^:]+:\d{12}:[^/]+\/[^/]+\/\$connect$/);
    }
  });

  it('CONNECT: the samples\' fields, the query string as the authorizer sees it, the authorizer block, the client\'s header case', () => {
    const events = wsEvents('CONNECT');
    expect(events).toHaveLength(3);
    expect(driftOf(events, SAMPLES.connect, { allowed: { ...WS_ALLOWED, ...CONNECT_QUERY }, authorizer: true })).toEqual([]);
    for (const event of events) {
      // API Gateway keeps a WebSocket client's header names as sent (the real captures: Host, Sec-WebSocket-Key).
      expect(Object.keys(event.headers)).toEqual(expect.arrayContaining(['Sec-WebSocket-Key', 'Sec-WebSocket-Version']));
      expect(event.multiValueHeaders['Sec-WebSocket-Key']).toEqual([event.headers['Sec-WebSocket-Key']]);
      // The test's client sends no User-Agent: API Gateway then has none in identity (the real CONNECT captures).
      expect(Object.keys(event.headers).map((name) => name.toLowerCase())).not.toContain('user-agent');
      expect(event.requestContext.identity).not.toHaveProperty('userAgent');
      expect(event.requestContext.requestTime).toMatch(CLF_TIME);
    }
  });

  it('MESSAGE: no headers or query string (AWS sends them on $connect only), a messageId', () => {
    const events = wsEvents('MESSAGE');
    expect(events.length).toBeGreaterThan(0);
    expect(driftOf(events, SAMPLES.message, { allowed: WS_ALLOWED, authorizer: true })).toEqual([]);
    for (const event of events) {
      expect(event).not.toHaveProperty('headers');
      expect(event.requestContext.requestTime).toMatch(CLF_TIME);
    }
  });

  it('DISCONNECT: the stub headers AWS sends, the close code and reason', () => {
    const events = wsEvents('DISCONNECT');
    expect(events).toHaveLength(3);
    const stub = Object.keys(sample(SAMPLES.disconnect[0]!).headers).sort();
    expect(driftOf(events, SAMPLES.disconnect, { allowed: WS_ALLOWED, authorizer: true })).toEqual([]);
    for (const event of events) {
      expect(Object.keys(event.headers).sort()).toEqual(stub);
      expect(event.requestContext.disconnectStatusCode).toBe(1005); // the ws client closes without a status
    }
  });
});

describe('the local SQS event source builds the records Lambda sends', () => {
  it('each record has the fields of Lambda\'s SQS record, with their types, and no others', () => {
    const events = eventsOf(QUEUES.fanOut.name);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      expect(Object.keys(event)).toEqual(['Records']);
      expect(lines(compareWithSamples(event.Records[0], [SQS_REFERENCE_RECORD]))).toEqual([]);
    }
  });
});
