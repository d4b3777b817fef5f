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
    : ['| `sendMessage` | `{conversationId, content, type: "text" or "image", clientMessageId?}` | |', '| `markRead` | `{conversationId, messageId}` | |', '| `typing` | `{conversationId}` | |', '| `ping` | keep-alive | |'];
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
      '| `{"event":"read","conversationId":..,"userId":..,"messageId":..}` | a member read up to a message |',
      '| `{"event":"typing","conversationId":..,"userId":..}` | a member is typing |',
      '| `{"event":"pong"}` | the answer to `ping` |',
      '| `{"event":"error","code":"..","message":"..","action"?:"..","clientMessageId"?:"..","retryAfter"?:..}` | a frame could not be handled (same codes as HTTP); `RATE_LIMITED` and `SERVICE_UNAVAILABLE` carry `retryAfter` (seconds): resend the same `clientMessageId` after it |',
    ].join('\n'),
    'A message is stored before it is pushed: after a reconnect, catch up with `GET /message/history/{id}?after=<last id>`. A resend with the same `clientMessageId` is stored once.',
    'Every `sendMessage` gets an `ack` or an `error` frame, never silence; an error is never given for a message that was stored. A busy conversation answers `RATE_LIMITED` with `retryAfter` before storing. In a large group the ack comes first and the other members\' pushes follow from the fan-out, so a push may arrive after later messages or (rarely, after a retried push) twice: order and de-duplicate by message id, and fetch `?after=` for a gap.',
  ].join('\n\n');
}

/** A pipe inside a table cell would end the cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

function frameSchema(schema: z.ZodType): unknown {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
