import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { newId, idTime } from '../../shared/ids.ts';
import { hashPassword } from '../../shared/auth/passwords.ts';
import { issueToken } from '../../shared/auth/tokens.ts';
import { db, TABLE } from '../../shared/data/client.ts';
import { batchPut, chunk } from '../../shared/data/operations.ts';
import { userKey, usernameKey, type UserRecord } from '../../shared/data/users.ts';
import { contactKey } from '../../shared/data/contacts.ts';
import { conversationKey, putGroupConversation, putSingleConversation, type LastMessage, type NewConversation } from '../../shared/data/conversations.ts';
import { fromLastMessage, messageKey } from '../../shared/data/messages.ts';

/**
 * Fixture data written straight through the data layer's key builders with BatchWrite, not through the API:
 * 100,000 messages over HTTP would take longer than the whole benchmark. Only what is measured goes through HTTP.
 * Items are the same shape the handlers write, so the handlers cannot tell the difference.
 */
export type BenchUser = { id: number; username: string; password: string; token: string };

/**
 * Fixture writes go out at most 8 at a time, 100 items (4 BatchWrites) each: a burst of hundreds of requests makes
 * DynamoDB Local accept connections slower than the data layer's 1 s connection timeout on a busy machine.
 */
const fixtureLimit = pLimit(8);
const put = (items: readonly Record<string, unknown>[]) => Promise.all(chunk(items, 100).map((part) => fixtureLimit(() => batchPut(part))));

export const BENCH_PASSWORD = 'bench-password-1';
let passwordHash: Promise<string> | undefined;

/** Users with one shared bcrypt hash (hashed once, at the configured cost) and a signed token each. */
export async function seedUsers(count: number, prefix: string): Promise<BenchUser[]> {
  passwordHash ??= hashPassword(BENCH_PASSWORD);
  const hash = await passwordHash;
  const createdAt = new Date().toISOString();
  const records: UserRecord[] = Array.from({ length: count }, (_, i) => ({
    id: newId(),
    username: `${prefix}_${i}_${Math.random().toString(36).slice(2, 8)}`,
    nickname: `${prefix} ${i}`,
    authority: 'user',
    passwordHash: hash,
    createdAt,
    tokenVersion: 0,
  }));
  await put(records.flatMap((user) => [{ ...usernameKey(user.username), userId: user.id }, { ...userKey(user.id), ...user }]));
  return Promise.all(records.map(async (user) => ({ id: user.id, username: user.username, password: BENCH_PASSWORD, token: await issueToken(user.id, user.tokenVersion) })));
}

export async function seedContacts(owner: BenchUser, contacts: readonly BenchUser[]): Promise<void> {
  const createdAt = new Date().toISOString();
  await put(contacts.map((c) => ({ ...contactKey(owner.id, c.id), ownerId: owner.id, contactId: c.id, username: c.username, nickname: c.username, createdAt })));
}

function conversationRecord(type: NewConversation['type'], memberIds: number[]): NewConversation {
  const now = new Date().toISOString();
  return { id: newId(), type, memberIds, createdBy: memberIds[0]!, createdAt: now, lastActivityAt: now };
}

export async function seedSingle(a: BenchUser, b: BenchUser): Promise<number> {
  const conversation = conversationRecord('single', [a.id, b.id]);
  if ((await putSingleConversation(conversation)) !== 'created') throw new Error('fixture pair already has a conversation');
  return conversation.id;
}

/** A group as conversation/create makes one, owned by its first member (so group changes apply to it too). */
export async function seedGroup(memberIds: number[]): Promise<number> {
  const conversation = { ...conversationRecord('group', memberIds), name: null, ownerId: memberIds[0]!, admins: [], announcement: '', avatarKey: null, invite: 'all' as const, version: 0 };
  await fixtureLimit(() => putGroupConversation(conversation));
  return conversation.id;
}

/**
 * `count` messages from the sender, oldest first, after those already there: the seqs are taken from the
 * conversation item first (as storeMessage does, `count` at once), then the messages written. Returns the ids in order.
 */
export async function seedMessages(conversationId: number, senderId: number, count: number): Promise<number[]> {
  const drafts: LastMessage[] = Array.from({ length: count }, (_, i) => {
    const draftId = newId();
    return { draftId, senderId, content: `fixture message ${i} `.padEnd(80, '.'), type: 'text', sentAt: idTime(draftId).toISOString() };
  });
  const last = drafts.at(-1)!;
  const { Attributes } = await fixtureLimit(() => db.send(new UpdateCommand({
    TableName: TABLE,
    Key: conversationKey(conversationId),
    UpdateExpression: 'SET lastMessage = :message, lastActivityAt = :at ADD lastSeq :count',
    ExpressionAttributeValues: { ':message': last, ':at': last.sentAt, ':count': count },
    ReturnValues: 'UPDATED_NEW',
  })));
  const firstSeq = (Attributes!.lastSeq as number) - count + 1;
  const messages = drafts.map((draft, i) => fromLastMessage(conversationId, draft, firstSeq + i));
  await put(messages.map((message) => ({ ...messageKey(conversationId, message.seq), ...message })));
  return messages.map((message) => message.id);
}
