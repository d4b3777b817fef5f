import * as z from 'zod';
import type { ErrorCode } from '../errors.ts';
import { STATUS_BY_CODE } from '../errors.ts';
import { conversationView, id, messageView } from '../http/response-schemas.ts';
import { WS } from '../routes.ts';
import type { ServerFrame } from './push.ts';

/**
 * The WebSocket frames as zod schemas with examples: the AsyncAPI document (shared/ws/asyncapi.ts) and the
 * protocol section of the OpenAPI document are generated from them, and tests validate the examples and the frames
 * the server really sends against them. Documentation only: the handlers import none of this (push.ts only its type
 * check), so no function bundle carries it.
 */

/**
 * A frame kind as documented: its schema, when it is sent, examples that must validate, and (client frames) the
 * server frames that answer it besides `error`.
 */
export type FrameDoc<S extends z.ZodType = z.ZodType> = { schema: S; summary: string; examples: { name: string; payload: z.input<S> }[]; replies?: ServerFrame['event'][] };

const frameDoc = <S extends z.ZodType>(doc: FrameDoc<S>) => doc;

const exampleMessage = {
  id: 1733097600123456, seq: 42, conversation_id: 1733090000000001, sender_id: 1733080000000007, content: '今晚七点开会', type: 'text',
  sent_at: '2026-12-01T23:00:00.123Z', received_at: '2026-12-01T23:00:00.140Z', clientMessageId: 'c-7f3a',
} satisfies z.input<typeof messageView>;

const exampleSystemMessage = {
  id: 1733097600999999, seq: 43, conversation_id: 1733090000000001, sender_id: 1733080000000007, content: 'alice 将群名称修改为「周末爬山」', type: 'system',
  sent_at: '2026-12-01T23:01:00.000Z', received_at: '2026-12-01T23:01:00.000Z', system: { event: 'renamed', actor_id: 1733080000000007, user_ids: [] },
} satisfies z.input<typeof messageView>;

const exampleGroup = {
  id: 1733090000000001, type: 'group', members: [1733080000000008, 1733080000000009], member_count: 3, name: '周末爬山',
  owner_id: 1733080000000007, admins: [1733080000000008], announcement: '', avatar_url: null, invite: 'all',
} satisfies z.input<typeof conversationView>;

const errorCodes = Object.keys(STATUS_BY_CODE) as [ErrorCode, ...ErrorCode[]];
const conversationId = id.meta({ description: 'The conversation' });

/**
 * Every frame the server pushes, by its `event`. Exactly the events of ServerFrame (push.ts): the `satisfies`
 * below fails to compile when either side has one the other lacks, and SameFields checks each frame's fields.
 */
export const SERVER_FRAMES = {
  message: frameDoc({
    schema: z.strictObject({ event: z.literal('message'), message: messageView }),
    summary: 'A new message in one of your conversations (a group change comes as a `system` message)',
    examples: [{ name: 'text', payload: { event: 'message', message: exampleMessage } }, { name: 'groupChange', payload: { event: 'message', message: exampleSystemMessage } }],
  }),
  ack: frameDoc({
    schema: z.strictObject({ event: z.literal('ack'), clientMessageId: z.string().nullable().meta({ description: "The sendMessage frame's clientMessageId, or null" }), message: messageView }),
    summary: 'To the sender of a `sendMessage` frame, once the message is stored (also for a resend of a stored `clientMessageId`)',
    examples: [{ name: 'stored', payload: { event: 'ack', clientMessageId: 'c-7f3a', message: exampleMessage } }],
  }),
  read: frameDoc({
    schema: z.strictObject({ event: z.literal('read'), conversationId, userId: id.meta({ description: 'Who read' }), messageId: id, seq: messageView.shape.seq }),
    summary: 'A member read up to a message (its seq)',
    examples: [{ name: 'read', payload: { event: 'read', conversationId: 1733090000000001, userId: 1733080000000008, messageId: 1733097600123456, seq: 42 } }],
  }),
  typing: frameDoc({
    schema: z.strictObject({ event: z.literal('typing'), conversationId, userId: id.meta({ description: 'Who is typing' }) }),
    summary: 'A member is typing',
    examples: [{ name: 'typing', payload: { event: 'typing', conversationId: 1733090000000001, userId: 1733080000000008 } }],
  }),
  conversation: frameDoc({
    schema: z.strictObject({ event: z.literal('conversation'), conversation: conversationView }),
    summary: 'A group you are in changed (members, name, announcement, avatar, invite rule, roles); comes with the `system` message that records it',
    examples: [{ name: 'renamed', payload: { event: 'conversation', conversation: exampleGroup } }],
  }),
  recalled: frameDoc({
    schema: z.strictObject({ event: z.literal('recalled'), conversationId, messageId: id, by: id.meta({ description: 'Who recalled it (the sender, or a group owner or admin)' }) }),
    summary: 'A message was recalled: show its slot as recalled (history now has it with `recalled: true` and no content)',
    examples: [{ name: 'recalled', payload: { event: 'recalled', conversationId: 1733090000000001, messageId: 1733097600123456, by: 1733080000000007 } }],
  }),
  removed: frameDoc({
    schema: z.strictObject({ event: z.literal('removed'), conversationId }),
    summary: 'You are no longer in the group (removed, left, or it was disbanded): nothing more of it reaches you',
    examples: [{ name: 'removed', payload: { event: 'removed', conversationId: 1733090000000001 } }],
  }),
  pong: frameDoc({
    schema: z.strictObject({ event: z.literal('pong') }),
    summary: 'The answer to `ping`',
    examples: [{ name: 'pong', payload: { event: 'pong' } }],
  }),
  error: frameDoc({
    schema: z.strictObject({
      event: z.literal('error'),
      code: z.enum(errorCodes).meta({ description: 'The same codes as HTTP' }),
      message: z.string().meta({ description: 'Human-readable text (Chinese)' }),
      action: z.string().max(64).optional().meta({ description: "The refused frame's action, when it had one" }),
      clientMessageId: z.string().max(64).optional().meta({ description: "The refused frame's clientMessageId, when it had one" }),
      retryAfter: z.number().int().min(0).optional().meta({ description: 'RATE_LIMITED and SERVICE_UNAVAILABLE: seconds to wait, then resend the same clientMessageId' }),
    }),
    summary: 'A frame could not be handled (same codes as HTTP); the connection stays open, except after UNAUTHORIZED. `RATE_LIMITED` and `SERVICE_UNAVAILABLE` carry `retryAfter` (seconds): resend the same `clientMessageId` after it. Over the connection cap, the oldest connection gets RATE_LIMITED before it is closed',
    examples: [
      { name: 'invalid', payload: { event: 'error', code: 'VALIDATION_FAILED', message: '参数 content 无效: must not be empty', action: 'sendMessage', clientMessageId: 'c-7f3b' } },
      { name: 'rateLimited', payload: { event: 'error', code: 'RATE_LIMITED', message: '请求过于频繁，请稍后再试', action: 'typing', retryAfter: 2 } },
      { name: 'unknownAction', payload: { event: 'error', code: 'VALIDATION_FAILED', message: '未知的 action，可用: sendMessage, markRead, typing, ping', action: 'shout' } },
    ],
  }),
} satisfies { [E in ServerFrame['event']]: FrameDoc };

/** Compile-time: each documented frame has exactly the fields of its ServerFrame member. */
type SameFields<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const sameFields: { [E in ServerFrame['event']]: SameFields<Extract<ServerFrame, { event: E }>, z.output<(typeof SERVER_FRAMES)[E]['schema']>> } = {
  message: true, ack: true, read: true, typing: true, conversation: true, recalled: true, removed: true, pong: true, error: true,
};
void sameFields;

/**
 * What API Gateway itself sends when a route's function fails (no `event`): the client cannot tell which frame it
 * was, so it treats it like an INTERNAL_ERROR for its pending request.
 */
export const GATEWAY_ERROR_FRAME = frameDoc({
  schema: z.strictObject({ message: z.literal('Internal server error'), connectionId: z.string(), requestId: z.string() }),
  summary: "API Gateway's own frame when a route's function failed (no `event`)",
  examples: [{ name: 'integrationFailed', payload: { message: 'Internal server error', connectionId: 'L0SM9cOFvHcCIhw=', requestId: 'L0SM9FQRvHcFUBg=' } }],
});

/** A client frame: its route's `action`, then the route's body (the schema its handler validates with). */
const action = <K extends string>(routeKey: K) => z.object({ action: z.literal(routeKey).meta({ description: 'Selects the route ($request.body.action)' }) });
const withBody = <K extends string, B extends z.core.SomeType>(row: { routeKey: K; request: { body: B } }, doc: Omit<FrameDoc<z.ZodIntersection<ReturnType<typeof action<K>>, B>>, 'schema'>) =>
  frameDoc({ schema: z.intersection(action(row.routeKey), row.request.body), ...doc });

/**
 * The frames a client sends, by route key: every WebSocket row but $connect and $disconnect (which take no frame),
 * built from the row itself.
 */
export const CLIENT_FRAMES: Record<string, FrameDoc> = {
  [WS.sendMessage.routeKey]: withBody(WS.sendMessage, {
    summary: 'Send a message: answered with `ack` (or `error`), pushed to the other members as `message`',
    replies: ['ack'],
    examples: [
      { name: 'text', payload: { action: 'sendMessage', conversationId: 1733090000000001, content: '今晚七点开会', type: 'text', clientMessageId: 'c-7f3a' } },
      { name: 'image', payload: { action: 'sendMessage', conversationId: 1733090000000001, content: 'conversations/1733090000000001/1733097600200001.png', type: 'image', clientMessageId: 'c-7f3c' } },
      { name: 'mention', payload: { action: 'sendMessage', conversationId: '1733090000000001', content: '@bob 看一下', mentions: [1733080000000008] } },
    ],
  }),
  [WS.markRead.routeKey]: withBody(WS.markRead, {
    summary: 'Mark a conversation read up to a message (by id or seq); the members get `read`',
    examples: [
      { name: 'byMessageId', payload: { action: 'markRead', conversationId: 1733090000000001, messageId: 1733097600123456 } },
      { name: 'bySeq', payload: { action: 'markRead', conversationId: 1733090000000001, seq: 42 } },
    ],
  }),
  [WS.typing.routeKey]: withBody(WS.typing, {
    summary: 'Tell the other members you are typing (they get `typing`)',
    examples: [{ name: 'typing', payload: { action: 'typing', conversationId: 1733090000000001 } }],
  }),
  [WS.ping.routeKey]: frameDoc({ schema: action(WS.ping.routeKey), summary: 'Keep-alive: answered with `pong`', replies: ['pong'], examples: [{ name: 'ping', payload: { action: 'ping' } }] }),
  [WS.fallback.routeKey]: frameDoc({
    schema: z.looseObject({ action: z.string().optional().meta({ description: 'Anything but the actions above' }) }),
    summary: 'Any other frame (no or an unknown action, or not JSON): answered with a VALIDATION_FAILED `error`',
    examples: [{ name: 'unknownAction', payload: { action: 'shout', text: 'hello' } }],
  }),
};

/** The rows that take no frame: what they mean for the connection. */
export const CONNECTION_EVENTS: Record<string, string> = {
  [WS.connect.routeKey]: 'Opening the WebSocket (the HTTP upgrade). Without a valid `token` in the query string the authorizer refuses it (401); opening connections too fast answers 429. Over the per-user connection cap the oldest connection gets a RATE_LIMITED `error` and is closed.',
  [WS.disconnect.routeKey]: 'The connection closed (by the client, by the server after logout or a password change, or by API Gateway): the server forgets it.',
};
