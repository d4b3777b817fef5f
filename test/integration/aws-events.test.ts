import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import type { APIGatewayAuthorizerResult, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { useStack } from '../support/context.ts';
import { WsClient, refusedStatus, routeHandled, type Frame } from '../support/ws-client.ts';
import type { TestUser } from '../support/client.ts';
import { fill, requestFor } from '../support/route-requests.ts';
import { makePng } from '../support/images.ts';
import { SAMPLES, authorizerBlock, authorizerEvent, connectEvent, disconnectEvent, httpEvent, messageEvent, sample, shapeOf, sqsEvent, type HttpRequest } from '../support/aws-events.ts';
import { HTTP, HTTP_DEFAULT, QUEUES, WS, httpRoutes, pathPattern, routes, wsRoutes, type HttpRoute, type Route, type WsRoute } from '../../shared/routes.ts';
import { invocations, lambdaContext, loadHandler, type Invocation, type LambdaHandler } from '../../infra/local/lambda.ts';

/**
 * Every row of the route table, fed an event built from AWS's own samples (test/support/aws-events.ts), answers as
 * it does through the local gateway: the same request is made once through the running local stack and once by
 * invoking the handler directly with the AWS-shaped event, each in a world of its own (same users, group and message,
 * other ids), and the two answers must have the same status and the same body shape; WebSocket routes also the same
 * frames pushed, the queue row the same batch response and pushes.
 */
const ctx = useStack({ BCRYPT_COST: '4', FAN_OUT_THRESHOLD: '2' });
const covered = new Set<string>();
const sockets: WsClient[] = [];
afterAll(() => Promise.all(sockets.map((socket) => socket.close())));

type World = { owner: TestUser; peer: TestUser; third: TestUser; invitee: TestUser; groupId: number; messageId: number };

/** Someone in no world's group, for every world's adds and invitations (being invited changes nothing they own). */
let invitee: Promise<TestUser>;

async function newWorld(): Promise<World> {
  const [owner, peer, third] = (await Promise.all(['owner', 'peer', 'third'].map((p) => ctx.api.newUser(p)))) as TestUser[];
  const groupId = await ctx.api.conversation(owner!.token, peer!.id, third!.id);
  const sent = await ctx.api.post('/message/send', { conversationId: groupId, content: 'hello' }, owner!.token);
  expect(sent.status).toBe(201);
  return { owner: owner!, peer: peer!, third: third!, invitee: await invitee, groupId, messageId: sent.body.data.id };
}

/**
 * Worlds are made ahead, several at once (each is ten requests, most of them one after another): a test takes the
 * next one. Enough for every case below; one too many asked for fails loudly.
 */
const readOnly = httpRoutes.filter((row) => row.method === 'GET');
const WORLDS_NEEDED = 2 * (httpRoutes.length + 2) - readOnly.length + 1 + 6;
let made: Array<Promise<World>> = [];
beforeAll(() => {
  invitee = ctx.api.newUser('invitee');
  const limit = pLimit(8);
  made = Array.from({ length: WORLDS_NEEDED }, () => limit(newWorld));
  made.forEach((world) => world.catch(() => undefined)); // a failure surfaces in the test that takes it
});
function world(): Promise<World> {
  const next = made.shift();
  if (!next) throw new Error('aws-events: more worlds asked for than WORLDS_NEEDED');
  return next;
}

/** The next invocation of a function (by its row's name) that the local stack makes. */
function nextInvocation(functionName: string): Promise<Invocation> {
  return new Promise((resolve) => {
    const listener = (invocation: Invocation) => {
      if (invocation.functionName !== functionName) return;
      invocations.off('invocation', listener);
      resolve(invocation);
    };
    invocations.on('invocation', listener);
  });
}

const handlers = new Map<string, Promise<LambdaHandler>>();
const handlerOf = (entry: string) => handlers.get(entry) ?? handlers.set(entry, loadHandler(entry)).get(entry)!;
/** Invokes a row's handler as Lambda would, with the AWS-shaped event (the module is the one the local stack loaded). */
async function invokeDirect(row: { name: string; entry: string }, event: unknown): Promise<any> {
  return (await handlerOf(row.entry))(event, lambdaContext(row.name, 15_000));
}

// ---------------------------------------------------------------------------------------------------------------- HTTP

const examples = (w: World, route: HttpRoute) => ({
  username: route.name === 'userLogin' ? w.owner.username : `aws_${randomBytes(5).toString('hex')}`,
  password: route.name === 'userLogin' ? w.owner.password : 'correct-horse-1',
  nickname: 'from an AWS event',
  content: 'probe', oldPassword: w.owner.password, newPassword: w.owner.password, contentType: 'image/png', size: 1024,
  userIds: [w.invitee.id], admin: true, groupInvites: 'anyone',
});

/** A request as a client sends it, and the same request as the fields of an AWS event. */
type Call = { method: string; path: string; headers: Record<string, string>; body?: string | Buffer };

function callFor(route: HttpRoute, w: World): Call {
  const { method, path, body } = requestFor(route, fill(route, { conversation: w.groupId, message: w.messageId, user: w.peer.id }, examples(w, route), { userId: w.third.id }));
  return { method, path, headers: { ...(route.auth ? { authorization: `Bearer ${w.owner.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) };
}

/** The seed's multipart image upload: the form's bytes, which API Gateway hands over base64-encoded. */
async function multipartCall(route: HttpRoute, w: World): Promise<Call> {
  const form = new FormData();
  form.append('conversationId', String(w.groupId));
  form.append('image', new Blob([makePng(4, 4, w.groupId % 1000)]), 'a.png');
  const request = new Request('http://form', { method: 'POST', body: form });
  return { method: route.method, path: route.path, headers: { authorization: `Bearer ${w.owner.token}`, 'content-type': request.headers.get('content-type')! }, body: Buffer.from(await request.arrayBuffer()) };
}

/** The event API Gateway would send for a call: the row's route key and path parameters, from the given sample. */
function eventFor(file: string, call: Call, row: HttpRoute | typeof HTTP_DEFAULT): any {
  const [rawPath, rawQueryString = ''] = call.path.split('?') as [string, string?];
  const request: HttpRequest = { method: call.method, rawPath, rawQueryString, headers: call.headers, routeKey: row.kind === 'http' ? `${row.method} ${row.path}` : row.routeKey };
  if (row.kind === 'http') {
    const { pattern, names } = pathPattern(row.path);
    const match = pattern.exec(rawPath)!;
    request.pathParameters = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
  }
  // A binary body always arrives base64-encoded; a text body as the sample has it (the SAM one encodes it too).
  const encode = Buffer.isBuffer(call.body) || sample(file).isBase64Encoded === true;
  if (call.body !== undefined) Object.assign(request, { body: encode ? Buffer.from(call.body).toString('base64') : String(call.body), isBase64Encoded: encode });
  return httpEvent(file, request);
}

/** GET and DELETE from a real GET capture; POST from a real POST capture (its `authorizer.lambda` is null). */
const sampleFor = (method: string) => (method === 'POST' ? 'http-api-v2/post-no-body.powertools-ts.json' : 'http-api-v2/get-no-authorizer.aws-lambda-go.json');

/**
 * `make` builds the call for a world: one world per path, as the call may change it; a GET changes nothing, so both
 * paths share one. A fixed call needs no world.
 */
async function compareHttp(row: HttpRoute | typeof HTTP_DEFAULT, make: ((w: World) => Call | Promise<Call>) | Call, file?: string, pair?: readonly [World, World]): Promise<void> {
  const worlds = async () => {
    if (pair) return pair;
    const a = await world();
    return [a, row.kind === 'http' && readOnly.includes(row) ? a : await world()] as const;
  };
  const [viaGateway, direct] = typeof make === 'function' ? await worlds().then(([a, b]) => Promise.all([make(a), make(b)])) : [make, make];
  const invoked = nextInvocation(row.name);
  const res = await fetch(ctx.stack.httpUrl + viaGateway.path, { method: viaGateway.method, headers: viaGateway.headers, body: viaGateway.body });
  const text = await res.text();
  const gatewayResult = (await invoked).result as APIGatewayProxyStructuredResultV2;
  const result = (await invokeDirect(row, eventFor(file ?? sampleFor(direct.method), direct, row))) as APIGatewayProxyStructuredResultV2;
  const answer = (status: number | undefined, body: string | undefined, headers: Record<string, unknown>) => ({ status, body: shapeOf(JSON.parse(body ?? 'null')), headers: Object.keys(headers).sort() });
  expect(answer(result.statusCode, result.body, result.headers ?? {}), `${row.name}: ${result.body}`).toEqual(answer(res.status, text, gatewayResult.headers ?? {}));
  for (const [name, value] of Object.entries(result.headers ?? {})) if (name !== 'retry-after') expect(res.headers.get(name), name).toBe(String(value));
  expect(JSON.parse(result.body!).success).toBe(JSON.parse(text).success);
  covered.add(row.name);
}

describe('HTTP routes answer an AWS payload-2.0 event as they answer through the local gateway', () => {
  it.each(httpRoutes.map((row) => [row.name, row] as const))('%s', async (_, row) => {
    await compareHttp(row, (w) => callFor(row, w));
  });

  it('messageImage: the seed multipart upload, base64-encoded as API Gateway hands over a binary body', async () => {
    await compareHttp(HTTP.messageImage, (w) => multipartCall(HTTP.messageImage, w), 'http-api-v2/post-base64-body.sam-cli-http-api-proxy.json');
  });

  it('conversationCreate: repeated query parameters, joined with commas as API Gateway does', async () => {
    await compareHttp(HTTP.conversationCreate, (w) => ({ method: 'POST', path: `/conversation/create?contactId=${w.peer.id}&contactId=${w.invitee.id}`, headers: { authorization: `Bearer ${w.owner.token}` } }), 'http-api-v2/multi-value-query.aws-lambda-rust.json');
  });

  it('userRegister: a body that is not JSON gets the same 400 envelope', async () => {
    await compareHttp(HTTP.userRegister, { method: 'POST', path: '/user/register', headers: { 'content-type': 'application/json' }, body: '{"username": ' });
  });

  describe('every HTTP sample, not only the two real captures (cookies, stage variables, JWT, IAM and Lambda authorizer blocks, a base64 body)', () => {
    let shared: World;
    beforeAll(async () => {
      shared = await world();
    });
    it.each(SAMPLES.http)('%s', async (file) => {
      // One world for both paths: a profile read changes nothing, and every send answers alike.
      await compareHttp(HTTP.userProfileById, (w) => callFor(HTTP.userProfileById, w), file, [shared, shared]);
      await compareHttp(HTTP.messageSend, (w) => callFor(HTTP.messageSend, w), file, [shared, shared]);
    });
  });

  it.each([['GET', '/nope'], ['GET', '/user/profile/'], ['DELETE', '/user/register']])('$default row: %s %s', async (method, path) => {
    await compareHttp(HTTP_DEFAULT, { method, path, headers: {} });
  });
});

// ----------------------------------------------------------------------------------------------------------- WebSocket

type Connected = { w: World; socket: WsClient; connectionId: string };

/** A world's owner connected through the local gateway (its authorizer and $connect ran as on AWS). */
async function connected(w: World): Promise<Connected> {
  const socket = await WsClient.connect(ctx.stack.wsUrl, w.owner.token);
  sockets.push(socket);
  return { w, socket, connectionId: ctx.stack.ws.connectionIds(w.owner.id)[0]! };
}

/** What the direct path's events carry: the authorizer's own answer for the token, as API Gateway passes it on. */
async function authorizerFor(token: string, connectionId: string): Promise<Record<string, unknown>> {
  return authorizerBlock((await invokeDirect(WS.connect.authorizer, authorizerEvent(token, connectionId))) as APIGatewayAuthorizerResult);
}

/** Frames a socket receives from now until a moment after `done` (the handler's pushes are finished by then). */
async function framesDuring(socket: WsClient, done: () => Promise<unknown>): Promise<Frame[]> {
  const before = socket.frames.length;
  await done();
  await new Promise((resolve) => setTimeout(resolve, 50));
  return socket.frames.slice(before);
}

const frameShapes = (frames: Frame[]) => frames.map(shapeOf).map((s) => JSON.stringify(s)).sort();
const newConnectionId = () => randomBytes(11).toString('base64').slice(0, 15) + '=';

function frameFor(row: WsRoute, w: World): string {
  if (row.routeKey === '$default') return JSON.stringify({ action: 'noSuchAction' });
  // markRead's body is a union (seq or messageId), which the generic filler cannot pick from.
  if (row.routeKey === 'markRead') return JSON.stringify({ action: 'markRead', conversationId: w.groupId, seq: 1 });
  const values = fill(row, { conversation: w.groupId, message: w.messageId, user: w.peer.id }, { content: 'probe', seq: 1, type: 'text', clientMessageId: `c-${randomBytes(4).toString('hex')}` });
  return JSON.stringify({ action: row.routeKey, ...(values.body as object) });
}

describe('WebSocket routes answer AWS events as they answer through the local gateway', () => {
  let a: Connected;
  let b: Connected;
  let gatewayConnect: { authorizer: Invocation; connect: Invocation };
  beforeAll(async () => {
    const [wa, wb] = await Promise.all([world(), world()]);
    const [authorizer, connect] = [nextInvocation(WS.connect.authorizer.name), nextInvocation(WS.connect.name)];
    a = await connected(wa);
    gatewayConnect = { authorizer: await authorizer, connect: await connect };
    b = await connected(wb);
  });

  it('$connect with its REQUEST authorizer: the same policy and context, the same answer', async () => {
    const connectionId = newConnectionId();
    const policy = (await invokeDirect(WS.connect.authorizer, authorizerEvent(b.w.owner.token, connectionId))) as APIGatewayAuthorizerResult;
    expect(shapeOf(policy)).toEqual(shapeOf(gatewayConnect.authorizer.result));
    expect(policy.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect' });
    const result = await invokeDirect(WS.connect, connectEvent(b.w.owner.token, connectionId, authorizerBlock(policy)));
    expect(result).toEqual(gatewayConnect.connect.result);
    const { listConnections } = await import('../../shared/data/connections.ts');
    expect((await listConnections([b.w.owner.id])).map((c) => c.connectionId)).toContain(connectionId);
    covered.add(WS.connect.name);
  });

  it('$connect authorizer: a bad token is refused the same way (401 from a thrown "Unauthorized")', async () => {
    const refused = nextInvocation(WS.connect.authorizer.name);
    expect(await refusedStatus(ctx.stack.wsUrl, 'not-a-token')).toBe(401);
    expect(((await refused).error as Error).message).toBe('Unauthorized');
    await expect(invokeDirect(WS.connect.authorizer, authorizerEvent('not-a-token', newConnectionId()))).rejects.toThrow(/^Unauthorized$/);
  });

  const messageRoutes = wsRoutes.filter((row) => row.routeKey !== '$connect' && row.routeKey !== '$disconnect');
  it.each(messageRoutes.map((row) => [row.routeKey, row] as const))('%s: the same answer and the same frames', async (_, row) => {
    let gatewayResult: unknown;
    const gatewayFrames = await framesDuring(a.socket, async () => {
      const [invoked, handled] = [nextInvocation(row.name), routeHandled(ctx.stack, row.routeKey)];
      a.socket.send(frameFor(row, a.w));
      gatewayResult = (await invoked).result;
      await handled;
    });
    let result: unknown;
    const authorizer = await authorizerFor(b.w.owner.token, b.connectionId);
    const directFrames = await framesDuring(b.socket, async () => {
      result = await invokeDirect(row, messageEvent(row.routeKey, b.connectionId, frameFor(row, b.w), authorizer));
    });
    expect(shapeOf(result)).toEqual(shapeOf(gatewayResult));
    expect(frameShapes(directFrames)).toEqual(frameShapes(gatewayFrames));
    covered.add(row.name);
  });

  it('every WebSocket sample: each authorizer input, CONNECT, MESSAGE and DISCONNECT sample answers as the gateway did', async () => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const pinged = messageRoutes.find((row) => row.routeKey === 'ping')!;
    const [gatewayPing] = await Promise.all([nextInvocation(pinged.name), a.socket.request({ action: 'ping' }, (f) => f.event === 'pong')]);
    const disconnect = nextInvocation(WS.disconnect.name);
    await (await connected(await world())).socket.close();
    const gatewayDisconnect = await disconnect;
    for (const file of SAMPLES.authorizer) {
      const policy = await invokeDirect(WS.connect.authorizer, authorizerEvent(b.w.owner.token, newConnectionId(), file));
      expect(shapeOf(policy), file).toEqual(shapeOf(gatewayConnect.authorizer.result));
    }
    const authorizer = await authorizerFor(b.w.owner.token, b.connectionId);
    for (const file of SAMPLES.message) {
      const frames = await framesDuring(b.socket, async () => {
        expect(await invokeDirect(pinged, messageEvent('ping', b.connectionId, JSON.stringify({ action: 'ping' }), authorizer, file)), file).toEqual(gatewayPing.result);
      });
      expect(frames.map((f) => f.event), file).toEqual(['pong']);
    }
    for (const [i, file] of SAMPLES.disconnect.entries()) {
      const connectionId = newConnectionId();
      const connect = SAMPLES.connect[i % SAMPLES.connect.length]!;
      expect(await invokeDirect(WS.connect, connectEvent(b.w.owner.token, connectionId, authorizer, connect)), connect).toEqual(gatewayConnect.connect.result);
      expect(await invokeDirect(WS.disconnect, disconnectEvent(connectionId, authorizer, file)), file).toEqual(gatewayDisconnect.result);
      expect((await listConnections([b.w.owner.id])).map((c) => c.connectionId)).not.toContain(connectionId);
    }
  });

  it('$disconnect: the same answer, and the connection record is gone', async () => {
    const viaGateway = await connected(await world());
    const invoked = nextInvocation(WS.disconnect.name);
    await viaGateway.socket.close();
    const gatewayResult = (await invoked).result;
    const connectionId = newConnectionId();
    const authorizer = await authorizerFor(b.w.owner.token, connectionId);
    await invokeDirect(WS.connect, connectEvent(b.w.owner.token, connectionId, authorizer));
    const result = await invokeDirect(WS.disconnect, disconnectEvent(connectionId, authorizer));
    expect(result).toEqual(gatewayResult);
    const { listConnections } = await import('../../shared/data/connections.ts');
    expect((await listConnections([b.w.owner.id])).map((c) => c.connectionId)).not.toContain(connectionId);
    covered.add(WS.disconnect.name);
  });

  it('fanOut queue row: an SQS event answers with the same batch response and the same pushes', async () => {
    // Above the threshold (2 connections): a send to three is queued, and the local event source invokes the fan-out function.
    const [wa, wb] = await Promise.all([world(), world()]);
    const online = (w: World) => Promise.all([w.owner, w.peer, w.third].map(async (user) => {
      const socket = await WsClient.connect(ctx.stack.wsUrl, user.token);
      sockets.push(socket);
      return { user, socket, connectionId: ctx.stack.ws.connectionIds(user.id)[0]! };
    }));
    const [onlineA, onlineB] = [await online(wa), await online(wb)];
    const invoked = nextInvocation(QUEUES.fanOut.name);
    const gatewayFrames = await framesDuring(onlineA[1]!.socket, async () => {
      expect((await ctx.api.post('/message/send', { conversationId: wa.groupId, content: 'to the queue' }, wa.owner.token)).status).toBe(201);
      await invoked;
      await ctx.stack.sqs.drained();
    });
    const queued = await invoked;
    const shard = JSON.parse((queued.event as any).Records[0].body) as { targets: Array<[string, number]> };
    // The same shard for world B: each target becomes the connection of the same member there.
    const counterpart = (userId: number) => onlineB[onlineA.findIndex((o) => o.user.id === userId)]!;
    const targets = shard.targets.map(([, userId]) => [counterpart(userId).connectionId, counterpart(userId).user.id]);
    expect(targets).toHaveLength(3);
    let result: unknown;
    const directFrames = await framesDuring(onlineB[1]!.socket, async () => {
      result = await invokeDirect(QUEUES.fanOut, sqsEvent(JSON.stringify({ ...shard, conversationId: wb.groupId, targets })));
    });
    expect(result).toEqual(queued.result);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(frameShapes(directFrames)).toEqual(frameShapes(gatewayFrames));
    expect(directFrames).toHaveLength(1);
    covered.add(QUEUES.fanOut.name);
  });
});

describe('coverage', () => {
  it('every row of the route table was fed an AWS event', () => {
    expect(routes.map((row: Route) => row.name).filter((name) => !covered.has(name))).toEqual([]);
  });
});
