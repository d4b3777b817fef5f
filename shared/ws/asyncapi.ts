import { wsRoutes, type WsRoute } from '../routes.ts';
import { toSchema, type Components, type JsonSchema } from '../http/openapi.ts';
import { CLIENT_FRAMES, CONNECTION_EVENTS, GATEWAY_ERROR_FRAME, SERVER_FRAMES, type FrameDoc } from './frames.ts';

/**
 * The AsyncAPI 3.0 document of the WebSocket API, generated from the route table's WebSocket rows and the frame
 * schemas of shared/ws/frames.ts (the same zod schemas the handlers validate with and the OpenAPI document uses).
 * It describes the backend: it receives the client's frames (one operation per route row) and sends the server's.
 */

const CHANNEL = 'chat';
const channelRef = { $ref: `#/channels/${CHANNEL}` };
const messageRef = (key: string) => ({ $ref: `#/channels/${CHANNEL}/messages/${key}` });

/** Message keys: a client frame by its route key (`$default` → `defaultAction`), a server frame by its event. */
export const clientMessageKey = (routeKey: string) => `${routeKey.replace(/^\$/, '')}Action`;
export const serverMessageKey = (event: string) => `${event}Event`;
export const GATEWAY_ERROR_KEY = 'gatewayError';

/** The operation that pushes a server frame. */
export const pushOperationId = (event: string) => `push${event[0]!.toUpperCase()}${event.slice(1)}`;

function message(name: string, title: string, doc: FrameDoc, components: Components) {
  return {
    name,
    title,
    summary: doc.summary,
    contentType: 'application/json',
    payload: toSchema(doc.schema, 'input', components, 'draft-07'),
    examples: doc.examples.map(({ name: exampleName, payload }) => ({ name: exampleName, payload })),
  };
}

/** `route.request.querystring.token` → `token`: the query parameter the $connect authorizer reads. */
const queryParameter = (row: WsRoute) => row.authorizer?.identitySource.match(/^route\.request\.querystring\.(\w+)$/)?.[1];

function operation(row: WsRoute) {
  const frame = CLIENT_FRAMES[row.routeKey];
  const replies = frame ? [...(frame.replies ?? []), 'error'] : [];
  return {
    action: 'receive',
    channel: channelRef,
    title: row.routeKey,
    summary: row.summary,
    description: frame?.summary ?? CONNECTION_EVENTS[row.routeKey],
    messages: frame ? [messageRef(clientMessageKey(row.routeKey))] : [],
    ...(replies.length ? { reply: { channel: channelRef, messages: replies.map((event) => messageRef(serverMessageKey(event))) } } : {}),
    // Which row this is, for tooling and the tests: operation ids are the rows' names.
    'x-route-key': row.routeKey,
  };
}

export function buildAsyncApiDocument(options: { serverUrl?: string | null } = {}) {
  const components: Components = {};
  const messages: Record<string, unknown> = {};
  for (const row of wsRoutes) {
    const frame = CLIENT_FRAMES[row.routeKey];
    if (frame) messages[clientMessageKey(row.routeKey)] = message(row.routeKey, `${row.routeKey} (client → server)`, frame, components);
  }
  for (const [event, frame] of Object.entries(SERVER_FRAMES)) messages[serverMessageKey(event)] = message(event, `${event} (server → client)`, frame, components);
  messages[GATEWAY_ERROR_KEY] = message(GATEWAY_ERROR_KEY, 'API Gateway error (server → client)', GATEWAY_ERROR_FRAME, components);

  const operations: Record<string, unknown> = {};
  for (const row of wsRoutes) operations[row.name] = operation(row);
  for (const [event, frame] of Object.entries(SERVER_FRAMES)) {
    operations[pushOperationId(event)] = { action: 'send', channel: channelRef, title: event, summary: frame.summary, messages: [messageRef(serverMessageKey(event))] };
  }
  operations.gatewayError = { action: 'send', channel: channelRef, title: 'API Gateway error', summary: GATEWAY_ERROR_FRAME.summary, messages: [messageRef(GATEWAY_ERROR_KEY)] };

  const connect = wsRoutes.find((row) => row.authorizer);
  const tokenParameter = connect && queryParameter(connect);
  const query: JsonSchema | undefined = tokenParameter
    ? { type: 'object', properties: { [tokenParameter]: { type: 'string', description: 'The JWT from POST /user/login (checked by the $connect authorizer)' } }, required: [tokenParameter] }
    : undefined;

  return {
    asyncapi: '3.0.0',
    info: {
      title: '聊天室 — chat WebSocket API',
      version: '1.0.0',
      description: [
        'One WebSocket per client session. Client frames are JSON with an `action` (API Gateway route selection `$request.body.action`); server frames are JSON with an `event`.',
        'Ids are JSON integers below 2^53 (the client may send decimal strings). Every Message carries `seq`, contiguous per conversation: order and de-duplicate by it, and close a gap with GET /message/history/{id}?after_seq=S (the HTTP API, see /openapi.json).',
      ].join('\n\n'),
    },
    ...(options.serverUrl ? { servers: { chat: server(options.serverUrl) } } : {}),
    defaultContentType: 'application/json',
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'The connection',
        description: 'Every frame of a connection, both ways, on one socket.',
        messages,
        ...(query ? { bindings: { ws: { method: 'GET', query, bindingVersion: '0.1.0' } } } : {}),
      },
    },
    operations,
    components: { schemas: components },
  };
}

/** `wss://host/stage` → an AsyncAPI server. */
function server(url: string) {
  const { protocol, host, pathname } = new URL(url);
  return { host, protocol: protocol.replace(/:$/, ''), ...(pathname && pathname !== '/' ? { pathname } : {}) };
}
