import * as z from 'zod';
import type { ErrorCode } from '../errors.ts';
import { groupInvite, groupInvites, messageType } from '../schemas.ts';
import type { HTTP } from '../routes.ts';

/**
 * What the handlers answer, as zod schemas: the OpenAPI document is generated from them, and an integration test
 * checks real responses against them, so the document cannot drift from the code. Objects are strict: a field the
 * handlers add without documenting it fails that test.
 */

export const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).meta({ description: 'Id: integer between 1 and 2^53 − 1', example: 1234567890123 });
const isoTime = z.iso.datetime().meta({ description: 'ISO-8601 UTC time' });

export const publicUser = z.strictObject({
  id,
  userId: id.meta({ description: 'Repeats `id` (the seed document shows both)' }),
  username: z.string(),
  nickname: z.string(),
  email: z.string().nullable().meta({ description: 'Shown to its owner and to the users the owner added as contacts; null to everyone else' }),
  authority: z.string(),
  created_at: isoTime,
}).meta({ id: 'User' });

export const contact = z.strictObject({ id, username: z.string(), nickname: z.string() }).meta({ id: 'Contact' });

export const member = z.strictObject({
  id,
  userId: id,
  username: z.string(),
  nickname: z.string(),
  role: z.enum(['owner', 'admin', 'member']).meta({ description: 'Single conversations: always `member`' }),
  joined_at: isoTime,
}).meta({ id: 'Member' });

/** The caller's own profile adds their settings (nobody else sees them). */
export const ownUser = publicUser.extend({ settings: z.strictObject({ groupInvites }) }).meta({ id: 'OwnUser' });

const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const messageView = z.strictObject({
  id: id.meta({ description: 'Time-ordered; unique within its conversation' }),
  seq: seq.min(1).meta({ description: 'Position in the conversation: 1, 2, 3, ... contiguous, never reused (a seq the caller may not see is absent)' }),
  conversation_id: id,
  sender_id: id,
  content: z.string().meta({ description: 'The text, or for an image message the object key' }),
  type: z.enum([...messageType.options, 'system']).meta({ description: '`system`: a group change, with `system` saying which' }),
  sent_at: isoTime,
  received_at: isoTime.nullable().meta({ description: 'When the service stored it (received it from the sender)' }),
  clientMessageId: z.string().optional().meta({ description: "The sender's idempotency key, when it gave one" }),
  url: z.url().optional().meta({ description: 'Image messages: a presigned GET URL that expires' }),
  mentions: z.array(id).optional().meta({ description: 'The members it @-mentions (absent when none)' }),
  mention_all: z.literal(true).optional().meta({ description: '@所有人 (absent when not)' }),
  recalled: z.literal(true).optional().meta({ description: 'Recalled (撤回): `content` is "" and there is no `url`' }),
  recalled_by: id.optional().meta({ description: 'Recalled: who took it back (the sender, or a group owner or admin)' }),
  system: z.strictObject({
    event: z.enum(['member_added', 'member_removed', 'member_left', 'renamed', 'announcement', 'avatar', 'invite', 'admin_set', 'admin_unset', 'owner_transferred', 'disbanded']),
    actor_id: id.meta({ description: 'Who made the change' }),
    user_ids: z.array(id).meta({ description: 'Whom it concerns (added, removed, made admin, the new owner)' }),
  }).optional().meta({ description: 'System messages: the group change; `content` says it in Chinese' }),
}).meta({ id: 'Message' });

export const conversationView = z.strictObject({
  id,
  type: z.enum(['single', 'group']),
  members: z.array(id).meta({ description: 'The other members (not the caller); in getlist, a group names its first 19 others at most (GET /conversation/members lists them all)' }),
  member_count: z.number().int().positive().optional().meta({ description: 'Groups: how many members it has, the caller included' }),
  name: z.string().nullable().optional().meta({ description: 'Groups: the name (null until one is given)' }),
  owner_id: id.optional().meta({ description: 'Groups: the owner' }),
  admins: z.array(id).optional().meta({ description: 'Groups: the admins (the owner is not among them)' }),
  announcement: z.string().optional().meta({ description: 'Groups: the announcement ("" for none)' }),
  avatar_url: z.url().nullable().optional().meta({ description: 'Groups: a presigned GET URL of the avatar that expires, or null' }),
  invite: z.optional(groupInvite),
}).meta({ id: 'Conversation' });

export const conversationListItem = conversationView.extend({
  last_message: messageView.nullable(),
  unread: z.number().int().min(0),
  mentioned: z.boolean().meta({ description: 'An unread message @-mentions the caller or everyone (有人@我); cleared by reading past it' }),
  last_seq: seq.meta({ description: "The conversation's newest seq: above the newest seq a client holds, it fetches history ?after_seq=" }),
  read_seq: seq.meta({ description: "The caller's read marker as a seq (0 before any read)" }),
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
  userId: id.optional().meta({ description: 'INVITE_NOT_ALLOWED: the user who does not accept the caller' }),
}).meta({ id: 'ErrorEnvelope' });

/** One route's documented outcomes: its success statuses and body, and the error codes its logic can raise. */
export type RouteResponses = { success: { status: number; body: z.ZodType }[]; errors: ErrorCode[] };

/** A group change answers the group as the caller now sees it and the system messages that record the change. */
const groupChange = (...errors: ErrorCode[]): RouteResponses => ({
  success: ok(envelope({
    conversation: conversationView.nullable().meta({ description: 'The group after the change; null once the caller is out of it (left, disbanded)' }),
    messages: z.array(messageView).meta({ description: 'The system messages recording the change (empty when nothing changed)' }),
  }), 200),
  errors,
});

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
  userProfile: { success: ok(envelope({ user: ownUser }), 200), errors: ['NOT_FOUND'] },
  userSettings: { success: ok(envelope({ settings: z.strictObject({ groupInvites }) }), 200), errors: ['NOT_FOUND'] },
  userProfileById: { success: ok(envelope({ user: publicUser }), 200), errors: ['NOT_FOUND'] },
  contactsAdd: { success: ok(envelope({ contact }), 200), errors: ['NOT_FOUND', 'ALREADY_CONTACT'] },
  contactsRemove: { success: ok(envelope({}), 200), errors: ['NOT_FOUND'] },
  contactsList: { success: ok(envelope({ contacts: z.array(contact) }), 200), errors: [] },
  userBan: { success: ok(envelope({}), 200), errors: ['NOT_FOUND'] },
  userUnban: { success: ok(envelope({}), 200), errors: ['NOT_FOUND'] },
  conversationCreate: {
    success: ok(envelope({ conversation: conversationView, conversations: z.array(conversationView).meta({ description: "The same conversation, in a list (the seed's shape)" }) }), 201, 200),
    errors: ['NOT_FOUND', 'BLOCKED', 'INVITE_NOT_ALLOWED', 'RATE_LIMITED'],
  },
  conversationMembersAdd: groupChange('NOT_FOUND', 'FORBIDDEN', 'BLOCKED', 'INVITE_NOT_ALLOWED', 'ALREADY_MEMBER', 'SERVICE_UNAVAILABLE'),
  conversationMembersRemove: groupChange('NOT_FOUND', 'FORBIDDEN', 'SERVICE_UNAVAILABLE'),
  conversationLeave: groupChange('NOT_FOUND', 'FORBIDDEN', 'SERVICE_UNAVAILABLE'),
  conversationUpdate: groupChange('NOT_FOUND', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE', 'SERVICE_UNAVAILABLE'),
  conversationAdmins: groupChange('NOT_FOUND', 'FORBIDDEN', 'SERVICE_UNAVAILABLE'),
  conversationTransfer: groupChange('NOT_FOUND', 'FORBIDDEN', 'SERVICE_UNAVAILABLE'),
  conversationDisband: groupChange('NOT_FOUND', 'FORBIDDEN', 'SERVICE_UNAVAILABLE'),
  conversationGetlist: {
    success: ok(envelope({
      conversations: z.array(conversationListItem).meta({ description: 'Most recently active first' }),
      next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null at the end' }),
    }), 200),
    errors: [],
  },
  conversationMembers: { success: ok(envelope({ members: z.array(member) }), 200), errors: ['NOT_FOUND', 'FORBIDDEN'] },
  messageHistory: {
    success: ok(
      envelope({
        messages: z.array(messageView).meta({ description: 'Oldest first within the page' }),
        next_cursor: id.nullable().meta({ description: 'Pass as `before` (or `after` when paging forward) for the next page; null at the end' }),
        next_seq: seq.nullable().meta({ description: 'Pass as `before_seq` (or `after_seq` when paging forward) for the next page; null at the end' }),
        last_seq: seq.meta({ description: "The conversation's newest seq" }),
      }),
      200,
    ),
    errors: ['NOT_FOUND', 'FORBIDDEN'],
  },
  messageRecall: {
    success: ok(envelope({ messageId: id, recalled_by: id }), 200),
    errors: ['NOT_FOUND', 'FORBIDDEN', 'RECALL_WINDOW_PASSED'],
  },
  messageDelete: { success: ok(envelope({}), 200), errors: ['NOT_FOUND', 'FORBIDDEN'] },
  messageImage: {
    success: [
      { status: 200, body: presignedUpload },
      { status: 201, body: legacyUpload },
    ],
    errors: ['NOT_FOUND', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE'],
  },
  messageSend: { success: ok(envelope({ data: messageView }), 201, 200), errors: ['NOT_FOUND', 'FORBIDDEN', 'UNSUPPORTED_MEDIA_TYPE', 'RATE_LIMITED'] },
};
