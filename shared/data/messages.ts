import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { db, TABLE } from './client.ts';
import { padId, type Key } from './table.ts';
import { batchGet, ifCondition } from './operations.ts';
import { conversationKey, membershipKey, type LastMessage, type MembershipRecord } from './conversations.ts';
import { ID_SEQUENCE_SPACE, messageIdFor } from '../ids.ts';

export type MessageType = LastMessage['type'];

/** A stored message (CONV#c / MSG#<seq>). */
export type MessageRecord = LastMessage & {
  id: number;
  seq: number;
  conversationId: number;
  /** Stamped when stored: the time the service received it (see README, "Delivery"). */
  receivedAt: string;
};

/** Messages are keyed by seq, so a page of history, a gap fetch and "the newest" are one key-range Query. */
export const messageKey = (conversationId: number, seq: number): Key => ({ PK: `CONV#${conversationId}`, SK: `MSG#${padId(seq)}` });

export const fromLastMessage = (conversationId: number, last: LastMessage, seq: number): MessageRecord => ({
  ...last,
  id: messageIdFor(last.draftId, seq),
  seq,
  conversationId,
  receivedAt: last.sentAt,
});

/** How many client message ids a member's item keeps per conversation (the newest, by seq). */
export const CLIENT_IDS_KEPT = 12;
/** Past this many own or hidden seqs above a member's read marker, their own send moves the marker instead. */
export const NOT_UNREAD_MAX = 64;
/** A blocker's hidden seqs above their marker are kept up to this many; beyond, a hidden message counts unread. */
const HIDDEN_KEPT_MAX = 500;

/** Client ids are up to 64 characters: the item keeps a 72-bit hash of each, so 12 fit in well under 1 KB. */
const clientIdKey = (clientMessageId: string) => createHash('sha256').update(clientMessageId).digest('base64url').slice(0, 12);
const clientIdEntry = (seq: number, id: number) => `${seq}:${id}`;

/** The seq and id a member's earlier send with this client id got, if their item still keeps it. */
export function findClientId(membership: MembershipRecord, clientMessageId: string): { seq: number; id: number } | undefined {
  const entry = membership.clientIds?.[clientIdKey(clientMessageId)];
  if (!entry) return undefined;
  const [seq, id] = entry.split(':').map(Number) as [number, number];
  return { seq, id };
}

/**
 * `group`: the group's state when the seq was taken — its version (every membership change moves it) and the users
 * a too-big change is still removing — so the send can tell who may still receive it.
 */
export type SeqAllocation =
  | { seq: number; previous?: LastMessage & { seq: number }; group: { version: number; removing: number[] } }
  | { duplicateOf: MessageRecord }
  | { windowFull: true }
  | { disbanded: true };

/**
 * The conversation's send limit, counted on its own item by the same UpdateItem that hands out the seq (an
 * attribute per window, the previous one removed): a hot conversation is refused before anything is stored, and the
 * limit costs no write of its own.
 */
export type SendWindow = { start: number; seconds: number; max: number };

/**
 * Write 2 of a send: hands out the next seq and makes the message the conversation's last, in one UpdateItem
 * (ADD is atomic: concurrent senders get distinct, contiguous seqs). The condition lets a retried call recognise
 * its own committed attempt (same draft id: the seq is the one already taken) and catches a concurrent resend of
 * the newest message (same sender and client id): no second seq for either.
 */
export async function allocateSeq(conversationId: number, last: LastMessage, window: SendWindow): Promise<SeqAllocation> {
  const names = { '#window': `sends${window.start}`, '#previous': `sends${window.start - window.seconds}` };
  try {
    const out = await db.send(new UpdateCommand({
      TableName: TABLE,
      Key: conversationKey(conversationId),
      // An @所有人 message is also remembered as the conversation's newest one (its seq: lastSeq before the ADD, + 1).
      UpdateExpression: `SET lastMessage = :message, lastActivityAt = :at${last.mentionAll ? ', mentionAllSeq = lastSeq + :one, mentionAllFrom = :mentionAll' : ''} ADD lastSeq :one, #window :one REMOVE #previous`,
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(disbanded) AND (attribute_not_exists(#window) OR #window < :windowMax) AND (attribute_not_exists(lastMessage) OR NOT (lastMessage.draftId = :draft OR (lastMessage.senderId = :sender AND lastMessage.clientMessageId = :client)))',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ':windowMax': window.max, ':message': last, ':at': last.sentAt, ':one': 1, ':draft': last.draftId, ':sender': last.senderId, ':client': last.clientMessageId ?? '',
        ...(last.mentionAll ? { ':mentionAll': { senderId: last.senderId, ...(last.hiddenFrom ? { hiddenFrom: last.hiddenFrom } : {}) } } : {}),
      },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
    const old = out.Attributes ?? {};
    const seq = ((old.lastSeq as number | undefined) ?? 0) + 1;
    return { seq, group: groupState(old), ...(old.lastMessage ? { previous: { ...(old.lastMessage as LastMessage), seq: seq - 1 } } : {}) };
  } catch (error) {
    const old = error instanceof ConditionalCheckFailedException && error.Item ? unmarshall(error.Item) : undefined;
    // A disband committed after the sender's membership was read: nothing more is sent to the group.
    if (old?.disbanded) return { disbanded: true };
    if (!old?.lastMessage) throw error; // no conversation item: the caller's membership check has already failed
    const committed = fromLastMessage(conversationId, old.lastMessage as LastMessage, old.lastSeq as number);
    // A retry whose first attempt committed: still the newest message, so no group change came after its seq.
    if (committed.draftId === last.draftId) return { seq: committed.seq, group: groupState(old) };
    if (((old[names['#window']] as number | undefined) ?? 0) >= window.max) return { windowFull: true };
    return { duplicateOf: committed };
  }
}

const groupState = (meta: Record<string, unknown>) => ({ version: (meta.version as number | undefined) ?? 0, removing: (meta.removing as number[] | undefined) ?? [] });

/**
 * Write 3: the message itself, into its seq's slot, once. The slot already holding this message (same id: an
 * earlier attempt of this write whose answer was lost, or the original a resend wanted to store for it) is no
 * error: the message stored there is returned. A different message in the slot throws (the conditional check's
 * exception): a seq is handed out once, so that cannot happen.
 */
export async function putMessage(message: MessageRecord): Promise<MessageRecord> {
  try {
    await db.send(new PutCommand({
      TableName: TABLE,
      Item: { ...messageKey(message.conversationId, message.seq), ...message },
      ConditionExpression: 'attribute_not_exists(PK)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
    return message;
  } catch (error) {
    const existing = error instanceof ConditionalCheckFailedException && error.Item ? (unmarshall(error.Item) as MessageRecord) : undefined;
    if (existing?.id !== message.id) throw error;
    return existing;
  }
}

/** Undoes a message stored by a resend that lost the race for its client id (storeNewMessage): its seq stays empty. */
export async function deleteMessage(conversationId: number, seq: number): Promise<void> {
  await db.send(new DeleteCommand({ TableName: TABLE, Key: messageKey(conversationId, seq) }));
}

/**
 * Write 4: the sender's own membership item records the send — the seq is never unread to them, and the client id
 * maps to the seq for later resends. When everything between their marker and this seq is already not-unread
 * (they have read what came before), the marker moves instead, so the list stays short. Conditional on the item
 * (the membership check again) and on the client id being free or already this message's.
 * 'taken': another send with the same client id recorded first; the caller answers with that one.
 */
export async function recordOwnSend(membership: MembershipRecord, seq: number, id: number, clientMessageId?: string): Promise<'recorded' | { taken: { seq: number; id: number } }> {
  const { userId, conversationId, readSeq } = membership;
  const notUnread = membership.notUnread ?? [];
  const between = Array.from({ length: Math.max(0, seq - readSeq - 1) }, (_, i) => readSeq + 1 + i);
  const moveMarker = notUnread.length >= NOT_UNREAD_MAX || between.every((s) => notUnread.includes(s));
  const clientIds = clientMessageId ? keptClientIds(membership, clientIdKey(clientMessageId), clientIdEntry(seq, id)) : undefined;
  const attempt = (marker: boolean) => db.send(new UpdateCommand({
    TableName: TABLE,
    Key: membershipKey(userId, conversationId),
    UpdateExpression: [
      marker ? 'SET readSeq = :seq, notUnread = :kept' : 'SET notUnread = list_append(notUnread, :own)',
      ...(clientIds ? [clientIds.replace ? 'clientIds = :clientIds' : 'clientIds.#client = :entry'] : []),
    ].join(', '),
    ConditionExpression: [
      marker ? 'readSeq = :readSeq AND size(notUnread) = :count' : 'attribute_exists(PK)',
      ...(clientIds ? ['(attribute_not_exists(clientIds.#client) OR clientIds.#client = :entry)'] : []),
    ].join(' AND '),
    ...(clientIds ? { ExpressionAttributeNames: { '#client': clientIds.key } } : {}),
    ExpressionAttributeValues: {
      ...(marker ? { ':seq': seq, ':kept': notUnread.filter((s) => s > seq), ':readSeq': readSeq, ':count': notUnread.length } : { ':own': [seq] }),
      ...(clientIds ? { ':entry': clientIds.entry, ...(clientIds.replace ? { ':clientIds': clientIds.replace } : {}) } : {}),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }));
  try {
    await attempt(moveMarker);
    return 'recorded';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const now = error.Item ? (unmarshall(error.Item) as MembershipRecord) : undefined;
    const taken = now && clientMessageId ? findClientId(now, clientMessageId) : undefined;
    if (taken && taken.seq !== seq) return { taken };
    if (!moveMarker || !now) throw error;
    // A send or read of the same member moved the item since it was read: append instead (one more round trip).
    await attempt(false);
    return 'recorded';
  }
}

/** The client-id map with this entry added: a SET of one key, or the newest entries rewritten once it is full. */
function keptClientIds(membership: MembershipRecord, key: string, entry: string) {
  const current = membership.clientIds ?? {};
  if (Object.keys(current).length < CLIENT_IDS_KEPT || key in current) return { key, entry };
  const newest = Object.entries(current).sort(([, a], [, b]) => Number(b.split(':')[0]) - Number(a.split(':')[0])).slice(0, CLIENT_IDS_KEPT / 2 - 1);
  return { key, entry, replace: Object.fromEntries([...newest, [key, entry]]) };
}

/**
 * A message hidden from a member (they block its sender): its seq is never unread to them, and when it replaced a
 * message they could see as the conversation's last, that one is kept as theirs, so their getlist does not move.
 * One UpdateItem per blocker, in parallel: the cost grows with the sender's blockers in it, not with the group.
 */
export async function recordHidden(blockerId: number, conversationId: number, seq: number, previous?: LastMessage & { seq: number }): Promise<void> {
  const keepPrevious = previous && !previous.hiddenFrom?.includes(blockerId);
  const update = (withPrevious: boolean) => db.send(new UpdateCommand({
    TableName: TABLE,
    Key: membershipKey(blockerId, conversationId),
    UpdateExpression: `SET notUnread = list_append(notUnread, :hidden)${withPrevious ? ', lastVisible = :previous' : ''}`,
    ConditionExpression: `attribute_exists(PK) AND size(notUnread) < :max${withPrevious ? ' AND (attribute_not_exists(lastVisible) OR lastVisible.seq < :previousSeq)' : ''}`,
    ExpressionAttributeValues: { ':hidden': [seq], ':max': HIDDEN_KEPT_MAX, ...(withPrevious ? { ':previous': previous, ':previousSeq': previous!.seq } : {}) },
  }));
  try {
    await update(Boolean(keepPrevious));
  } catch (error) {
    // A newer visible message is already kept (or the list is full): record the seq alone.
    if (!(error instanceof ConditionalCheckFailedException) || !keepPrevious) throw error;
    await update(false).catch((retryError) => {
      if (!(retryError instanceof ConditionalCheckFailedException)) throw retryError;
    });
  }
}

export async function getMessage(conversationId: number, seq: number): Promise<MessageRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: messageKey(conversationId, seq), ConsistentRead: true }));
  return Item as MessageRecord | undefined;
}

/**
 * The message with this id, from its seq's low 12 bits: the newest seq ≤ lastSeq with those bits is the one in
 * all but conversations past 4,096 messages, whose older candidates (4,096 apart) are read in the same round trip
 * (a BatchGet beside the newest one's GetItem: one more read unit per 4,096 messages, where waiting for the miss
 * first cost a history page or a markRead a 4th sequential round trip).
 */
export async function getMessageById(conversationId: number, messageId: number, lastSeq: number): Promise<MessageRecord | undefined> {
  const low = messageId % ID_SEQUENCE_SPACE;
  const candidates: number[] = [];
  for (let seq = low + Math.floor((lastSeq - low) / ID_SEQUENCE_SPACE) * ID_SEQUENCE_SPACE; seq >= 1; seq -= ID_SEQUENCE_SPACE) candidates.push(seq);
  if (candidates.length === 0) return undefined;
  const [newest, ...older] = candidates;
  // The newest candidate may have just been written: read strongly consistent. The older ones are long settled.
  const [first, rest] = await Promise.all([getMessage(conversationId, newest!), older.length ? batchGet(older.map((seq) => messageKey(conversationId, seq))) : []]);
  if (first?.id === messageId) return first;
  return rest.find((item) => item.id === messageId) as MessageRecord | undefined;
}

export type MessagePage = { messages: MessageRecord[]; hasMore: boolean };

/**
 * One page of a conversation's messages by seq, always returned oldest first. beforeSeq: the page just older than
 * it (or the newest page); afterSeq: the page just newer; minSeq: nothing older (a group member's join).
 */
export async function queryMessages(conversationId: number, options: { limit: number; beforeSeq?: number; afterSeq?: number; minSeq?: number }): Promise<MessagePage> {
  const forward = options.afterSeq !== undefined;
  const from = Math.max(forward ? options.afterSeq! + 1 : 1, options.minSeq ?? 1);
  const to = options.beforeSeq !== undefined ? options.beforeSeq - 1 : Number.MAX_SAFE_INTEGER;
  if (from > to) return { messages: [], hasMore: false };
  const out = await db.send(new QueryCommand({
    TableName: TABLE,
    KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': `CONV#${conversationId}`, ':from': `MSG#${padId(from)}`, ':to': `MSG#${padId(to)}` },
    ScanIndexForward: forward,
    Limit: options.limit + 1, // one extra tells whether another page exists
  }));
  const items = ((out.Items ?? []) as MessageRecord[]).slice(0, options.limit);
  const hasMore = (out.Items?.length ?? 0) > options.limit;
  return { messages: forward ? items : items.reverse(), hasMore };
}

/**
 * Recalls a message: its content is erased in place (the slot stays, as a tombstone) and, when it is still the
 * conversation's newest, the META item's copy too, so getlist's last_message shows the recall. 'already' when it
 * was recalled before (a second recall changes nothing). The META write is conditional on the seq still being the
 * newest: a message sent meanwhile has replaced it there.
 */
export async function eraseMessage(conversationId: number, seq: number, by: number): Promise<'recalled' | 'already'> {
  const erase = { ':empty': '', ':yes': true, ':by': by };
  const [message] = await Promise.all([
    ifCondition(db.send(new UpdateCommand({
      TableName: TABLE,
      Key: messageKey(conversationId, seq),
      UpdateExpression: 'SET content = :empty, recalled = :yes, recalledBy = :by',
      ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(recalled)',
      ExpressionAttributeValues: erase,
    }))),
    ifCondition(db.send(new UpdateCommand({
      TableName: TABLE,
      Key: conversationKey(conversationId),
      UpdateExpression: 'SET lastMessage.content = :empty, lastMessage.recalled = :yes, lastMessage.recalledBy = :by',
      ConditionExpression: 'lastSeq = :seq',
      ExpressionAttributeValues: { ...erase, ':seq': seq },
    }))),
  ]);
  return message ? 'recalled' : 'already';
}

/** Hides a message from one member's own history (delete for me): its seq joins the member's deleted set. */
export async function hideForMember(userId: number, conversationId: number, seq: number, max: number): Promise<boolean> {
  const hidden = await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: membershipKey(userId, conversationId),
    UpdateExpression: 'ADD deletedSeqs :seq',
    ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(deletedSeqs) OR size(deletedSeqs) < :max)',
    ExpressionAttributeValues: { ':seq': new Set([seq]), ':max': max },
  })));
  return hidden !== undefined;
}

/** Marks a member as @-mentioned by the message at `seq` (forward only: an older mention never replaces a newer one). */
export async function recordMention(userId: number, conversationId: number, seq: number): Promise<void> {
  await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: membershipKey(userId, conversationId),
    UpdateExpression: 'SET mentionedSeq = :seq',
    ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(mentionedSeq) OR mentionedSeq < :seq)',
    ExpressionAttributeValues: { ':seq': seq },
  })));
}
