import * as z from 'zod/mini';
import { IMAGE_CONTENT_TYPES } from './image-types.ts';
import { LIMITS } from './limits.ts';
import { hasInvisible, mixesConfusableScripts } from './names.ts';

/**
 * Request schemas: the handlers validate with them and the OpenAPI document is generated from them.
 * Their limits are the product's published ones (shared/limits.ts).
 *
 * Written with zod/mini (functions and `.check()` instead of methods): every Lambda bundles these, and zod's
 * classic API is ~90 KB that esbuild cannot shake (its methods reach every schema type), mini ~20 KB. The schemas
 * are the same zod core objects, so the OpenAPI document (classic zod, never bundled) reads them unchanged.
 */
/**
 * Every schema below is built inside a call marked pure, so esbuild drops the ones a bundle does not reach: a
 * handler carries, and builds at load, only its own route's schemas (and zod only the types those use). zod/mini
 * loads no locale (its messages would be a bare "Invalid input"): the first schema built sets the product's own
 * messages, in Chinese like the rest of the API, in a few hundred bytes where zod's English locale was 2.7 KB per
 * bundle; a bundle that validates nothing carries neither. The messages a schema sets itself (refine, error) win.
 */
let localized = false;
const shakable = <T>(build: () => T): T => {
  if (!localized) z.config({ customError: issueMessage });
  localized = true;
  return build();
};

const UNITS: Record<string, string> = { string: ' 个字符', array: ' 项' };
function issueMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type': return `应为 ${issue.expected}`;
    case 'too_small': return `${issue.inclusive === false ? '须大于' : '至少'} ${issue.minimum}${UNITS[issue.origin] ?? ''}`;
    case 'too_big': return `${issue.inclusive === false ? '须小于' : '至多'} ${issue.maximum}${UNITS[issue.origin] ?? ''}`;
    case 'invalid_format': return `格式不正确（${issue.format}）`;
    case 'invalid_value': return `只能是 ${issue.values.map(String).join(' | ')}`;
    case 'unrecognized_keys': return `不支持的字段 ${issue.keys.join(', ')}`;
    default: return '无效';
  }
}

/** `.meta()` of classic zod: the description and example the OpenAPI document shows. */
const described = <S extends z.ZodMiniType>(schema: S, meta: z.core.GlobalMeta): S => (z.globalRegistry.add(schema, meta), schema);

const safeId = /* @__PURE__ */ shakable(() => z.number().check(z.refine((value) => Number.isSafeInteger(value) && value > 0, 'must be a positive integer below 2^53')));
const decimalId = /* @__PURE__ */ shakable(() => z.pipe(z.pipe(z.string().check(z.trim(), z.regex(/^\d{1,16}$/, 'must be a decimal id')), z.transform(Number)), safeId));

/** An id: a JSON integer or a decimal string, positive and at most 2^53 − 1. */
export const id = /* @__PURE__ */ shakable(() => described(z.union([safeId, decimalId], { error: 'must be a positive integer id (at most 2^53 − 1)' }), {
  description: 'Id: integer (or decimal string) between 1 and 2^53 − 1',
  example: 1234567890123,
}));

/** A name people read (a nickname): trimmed, 1..max characters, nothing invisible or reordering (shared/names.ts). */
const visible = (max: number) =>
  z.pipe(shown(), z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`)));

/** Checked before trimming, since trim() silently drops some invisible characters (U+FEFF) that should be refused. */
const shown = () => z.string().check(z.refine((s) => !hasInvisible(s), 'must not contain control, format, zero-width or invisible characters'));

/**
 * Checked and stored in NFKC form (what uniqueness is decided on, with case folding: shared/data/users.ts), so
 * `ａｄｍｉｎ` is stored as `admin` and collides with it.
 */
export const username = /* @__PURE__ */ shakable(() => described(
  z.pipe(
    z.pipe(shown(), z.transform((s) => s.trim().normalize('NFKC'))),
    z.string().check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(LIMITS.usernameMax, `must be at most ${LIMITS.usernameMax} characters`),
      z.regex(/^[\p{L}\p{N}_.\-@]+$/u, 'may contain letters, digits, _ . - @ only'),
      z.refine((s) => !mixesConfusableScripts(s), 'must not mix Latin, Cyrillic and Greek letters'),
    ),
  ),
  { description: 'Unique after NFKC normalization and case folding (ａｄｍｉｎ is admin); letters, digits, _ . - @; no invisible, format or bidi characters; not mixing Latin, Cyrillic and Greek letters' },
));

export const password = /* @__PURE__ */ shakable(() => z.string().check(
  z.refine((s) => Buffer.byteLength(s) >= LIMITS.passwordMinBytes, `must be at least ${LIMITS.passwordMinBytes} bytes`),
  z.refine((s) => Buffer.byteLength(s) <= LIMITS.passwordMaxBytes, `must be at most ${LIMITS.passwordMaxBytes} bytes`),
));

/** A string of at most `max` characters, for fields whose only limit is their length. */
const upTo = (max: number, message?: string) => z.string().check(z.maxLength(max, message));

export const registerBody = /* @__PURE__ */ shakable(() => z.object({
  username,
  password,
  nickname: visible(LIMITS.nicknameMax),
  // Seed clients send "" for no email: treat it as absent.
  email: z.pipe(z.transform((value) => (value === '' ? undefined : value)), z.nullish(z.email().check(z.maxLength(LIMITS.emailMax)))),
}));

export const loginBody = /* @__PURE__ */ shakable(() => z.object({
  username: upTo(LIMITS.usernameMax * 4, 'is too long'),
  password: upTo(1024, 'is too long'),
}));

export const changePasswordBody = /* @__PURE__ */ shakable(() => z.object({
  oldPassword: upTo(1024, 'is too long'),
  newPassword: password,
}));

export const contactBody = /* @__PURE__ */ shakable(() => z.object({ id }));

export const idParam = <N extends string>(name: N) => z.object({ [name]: id } as Record<N, typeof id>);

const groupName = /* @__PURE__ */ shakable(() => visible(LIMITS.groupNameMax));

export const createConversationQuery = /* @__PURE__ */ shakable(() => z.object({
  name: described(z.optional(groupName), { description: 'Groups only: the group name (1–64 characters)' }),
  contactId: z.pipe(
    z.pipe(
      upTo(LIMITS.conversationCreateIdsMax * 18, `allows at most ${LIMITS.conversationCreateIdsMax} ids`),
      z.transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean)),
    ),
    z.array(decimalId).check(z.minLength(1, 'needs at least one id'), z.maxLength(LIMITS.conversationCreateIdsMax, `allows at most ${LIMITS.conversationCreateIdsMax} ids`)),
  ),
}));

export const conversationQuery = /* @__PURE__ */ shakable(() => z.object({ conversationId: id }));

/** A whole number from a JSON number or a query string, between min and max. */
const coercedInt = (min: number, max: number, messages: { type?: string; min?: string } = {}) =>
  z.coerce.number({ error: messages.type }).check(z.int('must be an integer'), z.minimum(min, messages.min), z.maximum(max));

/** A message's position in its conversation: 1, 2, 3, ... (a JSON integer or a decimal string). */
export const seq = /* @__PURE__ */ shakable(() => described(coercedInt(1, Number.MAX_SAFE_INTEGER, { type: 'must be a positive integer seq', min: 'must be at least 1' }), {
  description: 'A message seq: 1, 2, 3, ... per conversation',
  example: 42,
}));

export const historyQuery = /* @__PURE__ */ shakable(() => z.object({
  limit: z._default(coercedInt(1, LIMITS.historyPageMax), LIMITS.historyPageDefault),
  before: z.optional(id),
  after: z.optional(id),
  before_seq: z.optional(seq),
  after_seq: described(z.optional(coercedInt(0, Number.MAX_SAFE_INTEGER)), { description: 'The messages after this seq (0: from the first)' }),
}));

export const messageType = /* @__PURE__ */ shakable(() => z.enum(['text', 'image']));

export const sendMessageBody = /* @__PURE__ */ shakable(() => z.object({
  conversationId: id,
  content: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(LIMITS.textMax, `must be at most ${LIMITS.textMax} characters`)),
  type: z._default(messageType, 'text'),
  clientMessageId: z.optional(z.string().check(z.minLength(1), z.maxLength(LIMITS.clientMessageIdMax), z.regex(/^[\w.:-]+$/, 'may contain letters, digits, _ . : - only'))),
  mentions: described(z.optional(z.array(id).check(z.maxLength(LIMITS.mentionsMax, `allows at most ${LIMITS.mentionsMax} ids`))), { description: 'Members this message @-mentions (member ids only)' }),
  mentionAll: described(z.optional(z.boolean()), { description: 'Groups: @所有人 (owner and admins only)' }),
}));

/** Asking for a presigned image upload; the size cap is configuration (IMAGE_MAX_BYTES), checked by the domain. */
export const imageUploadBody = /* @__PURE__ */ shakable(() => z.object({
  contentType: z.enum(IMAGE_CONTENT_TYPES, { error: `must be one of ${IMAGE_CONTENT_TYPES.join(', ')}` }),
  size: z.number().check(z.int('must be an integer'), z.minimum(1, 'must be at least 1 byte')),
  conversationId: id,
}));

/** The legacy multipart body's optional text field. */
export const legacyImageFields = /* @__PURE__ */ shakable(() => z.object({ conversationId: z.optional(id) }));

/** WebSocket frames: `action` selects the route (API Gateway reads it); the rest is validated like a body. */
export const markReadBody = /* @__PURE__ */ shakable(() => z.union(
  [z.object({ conversationId: id, messageId: id }), z.object({ conversationId: id, seq })],
  { error: 'needs conversationId and messageId or seq' },
));

export const typingBody = /* @__PURE__ */ shakable(() => z.object({ conversationId: id }));

/** Group management bodies (POST /conversation/...). */
const userIds = /* @__PURE__ */ shakable(() => z.array(id).check(z.minLength(1, 'needs at least one id'), z.maxLength(LIMITS.groupChangeIdsMax, `allows at most ${LIMITS.groupChangeIdsMax} ids`)));
export const conversationBody = /* @__PURE__ */ shakable(() => z.object({ conversationId: id }));
export const groupMembersBody = /* @__PURE__ */ shakable(() => z.object({ conversationId: id, userIds }));
export const groupInvite = /* @__PURE__ */ shakable(() => described(z.enum(['all', 'admins']), { description: '`all`: any member may add people; `admins`: only the owner and admins' }));
export const groupUpdateBody = /* @__PURE__ */ shakable(() => z.object({
  conversationId: id,
  name: z.optional(groupName),
  announcement: z.optional(upTo(LIMITS.groupAnnouncementMax, `must be at most ${LIMITS.groupAnnouncementMax} characters`)),
  avatarKey: described(z.optional(upTo(200)), { description: 'An image key uploaded for this conversation (POST /message/image)' }),
  invite: z.optional(groupInvite),
}));
export const groupAdminBody = /* @__PURE__ */ shakable(() => z.object({ conversationId: id, userId: id, admin: z.boolean() }));
export const groupTransferBody = /* @__PURE__ */ shakable(() => z.object({ conversationId: id, userId: id }));

export const groupInvites = /* @__PURE__ */ shakable(() => described(z.enum(['anyone', 'contacts']), { description: '`anyone` (the default) or `contacts`: only people on my contact list may put me in a group' }));
export const userSettingsBody = /* @__PURE__ */ shakable(() => z.object({ groupInvites }));

/** A message in a conversation, by its id (recall, delete for me). */
export const messageActionBody = /* @__PURE__ */ shakable(() => z.object({ conversationId: id, messageId: id }));

export const getlistQuery = /* @__PURE__ */ shakable(() => z.object({
  limit: z._default(coercedInt(1, LIMITS.getlistPageMax), LIMITS.getlistPageDefault),
  cursor: described(z.optional(upTo(200)), { description: 'The `next_cursor` of the previous page (opaque)' }),
}));
