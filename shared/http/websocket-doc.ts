import * as z from 'zod';
import type { WsRoute } from '../routes.ts';

/**
 * The WebSocket protocol, as a Markdown section of the API reference. The client actions come from the route
 * table's WebSocket rows (with their frame schemas when a row has one); the frames themselves are SPEC.md's.
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
    'Server → client frames:',
    [
      '| event | when |',
      '|---|---|',
      '| `{"event":"message","message":{...Message}}` | a new message in one of your conversations |',
      '| `{"event":"ack","clientMessageId":"..","message":{...Message}}` | to the sender, once the message is stored |',
      '| `{"event":"read","conversationId":..,"userId":..,"messageId":..,"seq":..}` | a member read up to a message (its seq) |',
      '| `{"event":"typing","conversationId":..,"userId":..}` | a member is typing |',
      '| `{"event":"conversation","conversation":{...Conversation}}` | a group you are in changed (members, name, announcement, avatar, invite rule, roles); comes with the `system` message that records it |',
      '| `{"event":"recalled","conversationId":..,"messageId":..,"by":..}` | a message was recalled: show its slot as recalled (history now has it with `recalled: true` and no content) |',
      '| `{"event":"removed","conversationId":..}` | you are no longer in the group (removed, left, or it was disbanded): nothing more of it reaches you |',
      '| `{"event":"pong"}` | the answer to `ping` |',
      '| `{"event":"error","code":"..","message":"..","action"?:"..","clientMessageId"?:"..","retryAfter"?:..}` | a frame could not be handled (same codes as HTTP); `RATE_LIMITED` and `SERVICE_UNAVAILABLE` carry `retryAfter` (seconds): resend the same `clientMessageId` after it |',
    ].join('\n'),
    'Limits per user (README, "Limits"): `typing` and `markRead` frames are counted per user across all connections; over the limit a frame is answered `RATE_LIMITED` with `retryAfter` and has no effect. A user holds at most a set number of live connections: a new connection over the cap closes the oldest, which first receives a `RATE_LIMITED` error frame (`retryAfter`: wait that long before reconnecting it). Opening connections is limited too (over it, `$connect` answers 429).',
    'Sessions: logging out everywhere or changing the password closes every connection opened with an older token, including connections opened while the change happens; a frame arriving on such a connection is answered `UNAUTHORIZED` and the connection is closed. Frames over 128 KB: up to 1 MB they are answered `PAYLOAD_TOO_LARGE` and the connection stays; larger ones close the connection with 1009, as API Gateway does.',
    'Every Message carries `seq`, contiguous per conversation (1, 2, 3, ...). A message is stored before it is pushed, and a push can be lost or arrive out of order: order by `seq`; when seq S+2 arrives before S+1 (or getlist shows `last_seq` above your newest) and the gap is still open after about 2 s, fetch `GET /message/history/{id}?after_seq=S`. After a reconnect, catch up the same way. A seq you may not see (hidden from you) never arrives: a history page past it closes the gap. A resend with the same `clientMessageId` is stored once.',
    'Every `sendMessage` gets an `ack` or an `error` frame, never silence; an error is never given for a message that was stored. A busy conversation answers `RATE_LIMITED` with `retryAfter` before storing. In a large group the ack comes first and the other members\' pushes follow from the fan-out, so a push may arrive after later messages or (rarely, after a retried push) twice: order and de-duplicate by `seq`.',
  ].join('\n\n');
}

/** A pipe inside a table cell would end the cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

function frameSchema(schema: z.core.$ZodType): unknown {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
