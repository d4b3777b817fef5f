import * as z from 'zod';
import type { WsRoute } from '../routes.ts';
import { SERVER_FRAMES } from '../ws/frames.ts';

/**
 * The WebSocket protocol, as a Markdown section of the API reference. The client actions come from the route
 * table's WebSocket rows (with their frame schemas when a row has one), the server's frames from shared/ws/frames.ts.
 */
export function websocketProtocolMarkdown(rows: readonly WsRoute[]): string {
  // Every row, $connect/$disconnect/$default included; SPEC.md's actions until the WebSocket rows exist.
  const actionRows = rows.length
    ? rows.map((row) => `| \`${row.routeKey}\` | ${cell(row.summary)} | ${row.request?.body ? `\`${cell(JSON.stringify(frameSchema(row.request.body)))}\`` : ''} |`)
    : ['| `sendMessage` | `{conversationId, content, type: "text" or "image", clientMessageId?}` | |', '| `markRead` | `{conversationId, messageId}` or `{conversationId, seq}` | |', '| `typing` | `{conversationId}` | |', '| `ping` | keep-alive | |'];
  return [
    '## WebSocket protocol',
    'Connect to `wss://<api>/<stage>?token=<jwt>` (locally: the `wsUrl` in `/config.json`). Without a valid token the `$connect` route refuses the connection. A user may hold several connections; each gets every push.',
    'Client → server frames are JSON with an `action` (route selection `$request.body.action`); anything else gets an `error` frame, the connection stays open.',
    ['| route (`action`) | what it does | frame schema |', '|---|---|---|', ...actionRows].join('\n'),
    'Server → client frames (all of them, with schemas and examples, in the AsyncAPI 3.0 document `/asyncapi.json`; on the local stack also at [/docs/asyncapi](/docs/asyncapi)):',
    ['| event | fields | when |', '|---|---|---|', ...Object.entries(SERVER_FRAMES).map(([event, frame]) => `| \`${event}\` | ${fields(frame.schema)} | ${cell(frame.summary)} |`)].join('\n'),
    'Limits per user (README, "Limits"): every action is limited per user across all connections: `sendMessage`, `typing`, `markRead`, `ping`, and frames no route matches (unknown action, not JSON) together; over a limit a frame is answered `RATE_LIMITED` with `retryAfter` (and its `action`, if it had one) and has no effect. A keep-alive `ping` every 30 s or slower on each connection stays well inside its limit. A user holds at most a set number of live connections: a new connection over the cap closes the oldest, which first receives a `RATE_LIMITED` error frame (`retryAfter`: wait that long before reconnecting it). Opening connections is limited too (over it, `$connect` answers 429).',
    'Sessions: logging out everywhere or changing the password closes every connection opened with an older token, including connections opened while the change happens; a frame arriving on such a connection is answered `UNAUTHORIZED` and the connection is closed. Frames over 128 KB: up to 1 MB they are answered `PAYLOAD_TOO_LARGE` and the connection stays; larger ones close the connection with 1009, as API Gateway does.',
    'Every Message carries `seq`, contiguous per conversation (1, 2, 3, ...). A message is stored before it is pushed, and a push can be lost or arrive out of order: order by `seq`; when seq S+2 arrives before S+1 (or getlist shows `last_seq` above your newest) and the gap is still open after about 2 s, fetch `GET /message/history/{id}?after_seq=S`. After a reconnect, catch up the same way. A seq you may not see (hidden from you) never arrives: a history page past it closes the gap. A resend with the same `clientMessageId` is stored once.',
    'Every `sendMessage` gets an `ack` or an `error` frame, never silence; an error is never given for a message that was stored. A busy conversation answers `RATE_LIMITED` with `retryAfter` before storing. In a large group the ack comes first and the other members\' pushes follow from the fan-out, so a push may arrive after later messages or (rarely, after a retried push) twice: order and de-duplicate by `seq`.',
  ].join('\n\n');
}

/** A pipe inside a table cell would end the cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** A frame's fields besides `event`, optional ones marked `?`. */
function fields(schema: z.ZodObject): string {
  return Object.entries(schema.shape).filter(([name]) => name !== 'event').map(([name, field]) => `\`${name}${field instanceof z.ZodOptional ? '?' : ''}\``).join(', ');
}

function frameSchema(schema: z.core.$ZodType): unknown {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
