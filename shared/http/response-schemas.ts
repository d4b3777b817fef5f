import * as z from 'zod';
import type { ErrorCode } from '../errors.ts';
import { messageType } from '../schemas.ts';
import type { HTTP } from '../routes.ts';

/**
 * What the handlers answer, as zod schemas: the OpenAPI document is generated from them, and an integration test
 * checks real responses against them, so the document cannot drift from the code. Objects are strict: a field the
 * handlers add without documenting it fails that test.
 */

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).meta({ description: 'Id: integer between 1 and 2^53 − 1', example: 1234567890123 });
const isoTime = z.iso.datetime().meta({ description: 'ISO-8601 UTC time' });

export const publicUser = z.strictObject({
  id,
  userId: id.meta({ description: 'Repeats `id` (the seed document shows both)' }),
  username: z.string(),
  nickname: z.string(),
  email: z.string().nullable(),
  authority: z.string(),
  created_at: isoTime,
}).meta({ id: 'User' });

export const contact = z.strictObject({ id, username: z.string(), nickname: z.string() }).meta({ id: 'Contact' });

export const member = z.strictObject({ id, userId: id, username: z.string(), nickname: z.string() }).meta({ id: 'Member' });

export const messageView = z.strictObject({
  id,
  conversation_id: id,
  sender_id: id,
  content: z.string().meta({ description: 'The text, or for an image message the object key' }),
  type: messageType,
  sent_at: isoTime,
  received_at: isoTime.nullable(),
  clientMessageId: z.string().optional().meta({ description: "The sender's idempotency key, when it gave one" }),
  url: z.url().optional().meta({ description: 'Image messages: a presigned GET URL that expires' }),
}).meta({ id: 'Message' });

export const conversationView = z.strictObject({
  id,
  type: z.enum(['single', 'group']),
  members: z.array(id).meta({ description: 'The other members (not the caller)' }),
}).meta({ id: 'Conversation' });

export const conversationListItem = conversationView.extend({
  last_message: messageView.nullable(),
  unread: z.number().int().min(0),
  created_at: isoTime,
  updated_at: isoTime.meta({ description: 'Time of the last activity' }),
}).meta({ id: 'ConversationListItem' });

const envelope = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject({ success: z.literal(true), message: z.string().meta({ description: 'Human-readable text (Chinese, as in the seed)' }), ...shape });

/** POST /message/image with JSON: where to upload (a browser-style POST: every field, then the file as `file`). */
const presignedUpload = envelope({
  upload: z.strictObject({ url: z.url(), fields: z.record(z.string(), z.string()).meta({ description: 'Form fields to send before the file' }) }),
  key: z.string().meta({ description: 'The object key: send it as the content of an `image` message' }),
  expiresAt: isoTime.meta({ description: 'The upload must start before this' }),
}).meta({ description: 'JSON request (200): a presigned POST upload' });

/** POST /message/image with the seed's multipart body: stored by the function. */
const legacyUpload = envelope({
  key: z.string(),
  contentType: z.string(),
  size: z.number().int().positive(),
  url: z.url().meta({ description: 'A presigned GET URL that expires' }),
}).meta({ description: 'Multipart request (201): the image was stored' });

export const errorEnvelope = z.strictObject({
  success: z.literal(false),
  code: z.string().meta({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED, UNAUTHORIZED, NOT_FOUND' }),
  message: z.string(),
  field: z.string().optional().meta({ description: 'VALIDATION_FAILED: the offending field' }),
  retryAfter: z.number().int().optional().meta({ description: 'RATE_LIMITED and SERVICE_UNAVAILABLE: seconds to wait before retrying (also the Retry-After header)' }),
}).meta({ id: 'ErrorEnvelope' });

/** One route's documented outcomes: its success statuses and body, and the error codes its logic can raise. */
export type RouteResponses = { success: { status: number; body: z.ZodType }[]; errors: ErrorCode[] };

/** The same body for each success status. */
const ok = (body: z.ZodType, ...statuses: number[]) => statuses.map((status) => ({ status, body }));

/**
 * Keyed by route-table name. The generic failures (400 for routes with input, 401 for authenticated routes, 413 for
 * routes with a body, 5xx for everyone) are added by the generator; `errors` lists what the route's own logic raises.
 * Partial on purpose: a new row without an entry still type-checks, but the OpenAPI test fails until it is documented.
 */
export const RESPONSES: Partial<Record<keyof typeof HTTP | (string & {}), RouteResponses>> = {
  userRegister: { success: ok(envelope({ user: publicUser }), 201), errors: ['USERNAME_TAKEN', 'RATE_LIMITED'] },
  userLogin: { success: ok(envelope({ token: z.string().meta({ description: 'JWT (HS256): send it in the `token` header or as `Authorization: Bearer`' }), user: publicUser }), 200), errors: ['UNAUTHORIZED', 'RATE_LIMITED'] },
  userLogout: { success: ok(envelope({}), 200), errors: [] },
  userPassword: {
    success: ok(envelope({ token: z.string().meta({ description: 'A fresh JWT: every token issued before the change stops working' }) }), 200),
    errors: ['RATE_LIMITED'],
  },
  userProfile: { success: ok(envelope({ user: publicUser }), 200), errors: ['NOT_FOUND'] },
  userProfileById: { success: ok(envelope({ user: publicUser }), 200), errors: ['NOT_FOUND'] },
  contactsAdd: { success: ok(envelope({ contact }), 200), errors: ['NOT_FOUND', 'ALREADY_CONTACT'] },
  contactsRemove: { success: ok(envelope({}), 200), errors: ['NOT_FOUND'] },
  contactsList: { success: ok(envelope({ contacts: z.array(contact) }), 200), errors: [] },
  userBan: { success: ok(envelope({}), 200), errors: ['NOT_FOUND'] },
  userUnban: { success: ok(envelope({}), 200), errors: ['NOT_FOUND'] },
  conversationCreate: {
    success: ok(envelope({ conversation: conversationView, conversations: z.array(conversationView).meta({ description: "The same conversation, in a list (the seed's shape)" }) }), 201, 200),
    errors: ['NOT_FOUND', 'BLOCKED'],
  },
  conversationGetlist: { success: ok(envelope({ conversations: z.array(conversationListItem) }), 200), errors: [] },
  conversationMembers: { success: ok(envelope({ members: z.array(member) }), 200), errors: ['NOT_FOUND', 'FORBIDDEN'] },
  messageHistory: {
    success: ok(
      envelope({
        messages: z.array(messageView).meta({ description: 'Oldest first within the page' }),
        next_cursor: id.nullable().meta({ description: 'Pass as `before` (or `after` when paging forward) for the next page; null at the end' }),
      }),
      200,
    ),
    errors: ['NOT_FOUND', 'FORBIDDEN'],
  },
  messageImage: {
    success: [
      { status: 200, body: presignedUpload },
      { status: 201, body: legacyUpload },
    ],
    errors: ['NOT_FOUND', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE'],
  },
  messageSend: { success: ok(envelope({ data: messageView }), 201, 200), errors: ['NOT_FOUND', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED'] },
};
