import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { db, TABLE } from './client.ts';
import { batchGet, batchPut, queryPrefix, transactWrite, ifCondition } from './operations.ts';
import type { Key } from './table.ts';

export type ConversationType = 'single' | 'group';

/**
 * The newest message as the conversation item keeps it. Its seq is the item's lastSeq (both change in one update)
 * and its id follows from draftId and that seq (messageIdFor in messages.ts), so neither is stored twice.
 */
export type LastMessage = {
  draftId: number;
  senderId: number;
  content: string;
  type: 'text' | 'image' | 'system';
  sentAt: string;
  /** System messages: the group change they record. */
  system?: SystemEvent;
  /** Members it @-mentions, and whether it mentions everyone (@所有人). */
  mentions?: number[];
  mentionAll?: boolean;
  /** Recalled (撤回): the content is erased and `recalledBy` says who took it back. */
  recalled?: boolean;
  recalledBy?: number;
  clientMessageId?: string;
  hiddenFrom?: number[];
};

/** What a system message records: the change, who made it, and whom it concerns. */
export type SystemEvent = { event: string; actorId: number; userIds: number[] };

/** What only a group's META item carries: its settings, owner and admins, and a version every change moves. */
export type GroupFields = {
  name: string | null;
  ownerId: number;
  admins: number[];
  announcement: string;
  avatarKey: string | null;
  invite: 'all' | 'admins';
  /** Bumped by every membership or role change: each change is conditional on the version it read. */
  version: number;
  /** Set by disband: the conversation's members are gone and nothing more can happen in it. */
  disbanded?: boolean;
  /**
   * Users a change removed whose member items are still being deleted (a change too big for one transaction):
   * a send that takes its seq meanwhile pushes to none of them. Cleared once the items are gone.
   */
  removing?: number[];
};

/**
 * The conversation item (META). It stays small whatever the group's size: no member list (membership items are
 * the authority on who is in it), so the one write every send makes to it costs one write unit.
 */
export type ConversationRecord = {
  id: number;
  type: ConversationType;
  createdBy: number;
  createdAt: string;
  lastActivityAt: string;
  /** The newest seq handed out (0 before the first message): seqs are 1..lastSeq. */
  lastSeq: number;
  memberCount: number;
  /** The first members (at most MEMBER_PREVIEW_MAX), so getlist names a group's members without a Query per group. */
  memberPreview: number[];
  lastMessage?: LastMessage;
  /** The newest @所有人 message's seq, and whom it does not mention: its sender and the members who block them. */
  mentionAllSeq?: number;
  mentionAllFrom?: { senderId: number; hiddenFrom?: number[] };
} & Partial<GroupFields>;

/** Kept small on purpose: the conversation item is written by every send, and it must stay under 1 KB. */
export const MEMBER_PREVIEW_MAX = 20;

/** What creating a conversation needs: the record and who is in it (written as membership items, not into META). */
export type NewConversation = Omit<ConversationRecord, 'lastSeq' | 'memberCount' | 'memberPreview'> & { memberIds: number[] };

/**
 * A member's side of a conversation (USER#u / CONV#c), also the authority on membership: the send path's
 * membership check is a Get of this item, and it holds everything per member that a send or a read changes.
 */
export type MembershipRecord = {
  userId: number;
  conversationId: number;
  type: ConversationType;
  joinedAt: string;
  /** Groups: the first seq this member may see (their join's system message); 1 for the founders. */
  joinedSeq?: number;
  /** Single conversations: the other member, so getlist needs no member Query. */
  peerId?: number;
  /** The read marker as a seq (0 before any read). */
  readSeq: number;
  /**
   * Seqs above readSeq that are never unread to this member: their own messages and those hidden from them. So
   * unread = lastSeq − readSeq − (entries above readSeq), with no Query over the messages.
   */
  notUnread?: number[];
  /** The newest seq that @-mentions this member: getlist's `mentioned` while it is above readSeq. */
  mentionedSeq?: number;
  /** Seqs this member deleted for themselves (POST /message/delete): absent from their history. */
  deletedSeqs?: Set<number>;
  /** Recent client message ids of this member's sends here: hash → "seq:id" (see messages.ts). */
  clientIds?: Record<string, string>;
  /**
   * For a member who blocks someone: the newest message visible to them, kept when a hidden message replaced it as
   * the conversation's last message, so their getlist neither moves nor changes its preview for hidden messages.
   */
  lastVisible?: LastMessage & { seq: number };
};

export const conversationKey = (id: number): Key => ({ PK: `CONV#${id}`, SK: 'META' });
export const membershipKey = (userId: number, conversationId: number): Key => ({ PK: `USER#${userId}`, SK: `CONV#${conversationId}` });
/** The roster entry (CONV#c / MEMBER#u): listing a conversation's members is one Query of these. */
export const rosterKey = (conversationId: number, userId: number): Key => ({ PK: `CONV#${conversationId}`, SK: `MEMBER#${userId}` });
/** The pair item makes the single conversation between two users unique, whoever creates it and however often. */
export const pairKey = (a: number, b: number): Key => {
  const [low, high] = a < b ? [a, b] : [b, a];
  return { PK: `PAIR#${low}#${high}`, SK: 'PAIR' };
};

function metaItem(conversation: NewConversation): ConversationRecord & Key {
  const { memberIds, ...rest } = conversation;
  return { ...conversationKey(conversation.id), ...rest, lastSeq: 0, memberCount: memberIds.length, memberPreview: memberIds.slice(0, MEMBER_PREVIEW_MAX) };
}

/** A roster entry: who, since when (GET /conversation/members shows it). */
export type RosterRecord = { userId: number; joinedAt: string };

/**
 * The two items each member gets: their membership and the conversation's roster entry. A member who joins a
 * group later starts at `joinedSeq` (their join's system message), with everything before it out of reach and
 * not unread.
 */
export function memberItems(conversation: Pick<NewConversation, 'id' | 'type' | 'memberIds'>, userId: number, joinedAt: string, joinedSeq = 1): [MembershipRecord & Key, RosterRecord & Key] {
  const peerId = conversation.type === 'single' ? conversation.memberIds.find((id) => id !== userId) : undefined;
  const membership: MembershipRecord & Key = {
    ...membershipKey(userId, conversation.id),
    userId,
    conversationId: conversation.id,
    type: conversation.type,
    joinedAt,
    ...(conversation.type === 'group' ? { joinedSeq } : {}),
    readSeq: joinedSeq - 1,
    notUnread: [],
    clientIds: {},
    ...(peerId !== undefined ? { peerId } : {}),
  };
  return [membership, { ...rosterKey(conversation.id, userId), userId, joinedAt }];
}

export async function getPairConversationId(a: number, b: number): Promise<number | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: pairKey(a, b), ConsistentRead: true }));
  return Item?.conversationId as number | undefined;
}

/** Creates a single conversation unless the pair already has one: 'exists' tells the caller to read it. */
export async function putSingleConversation(conversation: NewConversation): Promise<'created' | 'exists'> {
  const [a, b] = conversation.memberIds as [number, number];
  try {
    await transactWrite({
      TransactItems: [
        { Put: { TableName: TABLE, Item: { ...pairKey(a, b), conversationId: conversation.id }, ConditionExpression: 'attribute_not_exists(PK)' } },
        { Put: { TableName: TABLE, Item: metaItem(conversation), ConditionExpression: 'attribute_not_exists(PK)' } },
        ...[a, b].flatMap((id) => memberItems(conversation, id, conversation.createdAt)).map((Item) => ({ Put: { TableName: TABLE, Item } })),
      ],
    });
    return 'created';
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) return 'exists';
    throw error;
  }
}

/**
 * A group: the conversation item and every member's two items, written in parallel (a group may exceed a
 * transaction's 100 items; batches of 25, so 2,000 members are 160 BatchWrites).
 */
export async function putGroupConversation(conversation: NewConversation): Promise<void> {
  await Promise.all([
    db.send(new PutCommand({ TableName: TABLE, Item: metaItem(conversation), ConditionExpression: 'attribute_not_exists(PK)' })),
    batchPut(conversation.memberIds.flatMap((id) => memberItems(conversation, id, conversation.createdAt))),
  ]);
}

export async function getConversation(id: number, consistent = false): Promise<ConversationRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: conversationKey(id), ConsistentRead: consistent }));
  return Item as ConversationRecord | undefined;
}

export async function getConversations(ids: readonly number[]): Promise<ConversationRecord[]> {
  return (await batchGet(ids.map(conversationKey))) as ConversationRecord[];
}

/** Strongly consistent: it is the membership check, and it holds the read state a send or a read moves. */
export async function getMembership(userId: number, conversationId: number): Promise<MembershipRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: membershipKey(userId, conversationId), ConsistentRead: true }));
  return Item as MembershipRecord | undefined;
}

export async function listMemberships(userId: number): Promise<MembershipRecord[]> {
  return (await queryPrefix(`USER#${userId}`, 'CONV#')) as MembershipRecord[];
}

/** The roster with join times, strongly consistent: what a group change is decided on. */
export async function listRoster(conversationId: number): Promise<RosterRecord[]> {
  return (await queryPrefix(`CONV#${conversationId}`, 'MEMBER#', { ConsistentRead: true, ProjectionExpression: 'userId, joinedAt' })) as RosterRecord[];
}

/**
 * Who is in a conversation: a Query of its roster (paged; 2,000 members are one page of about 160 KB). Strongly
 * consistent when it decides who a stored message reaches (it then sees every group change committed before).
 */
export async function listMemberIds(conversationId: number, consistent = false): Promise<number[]> {
  const items = await queryPrefix(`CONV#${conversationId}`, 'MEMBER#', { ProjectionExpression: 'userId', ConsistentRead: consistent });
  return items.map((item) => item.userId as number);
}

/**
 * Moves a read marker forward only (a late or replayed markRead never moves it back), keeping the not-unread seqs
 * above it. Conditional on the state it was computed from, so a send or read racing it is never overwritten:
 * undefined then, and the caller reads again.
 */
export async function advanceReadMarker(userId: number, conversationId: number, from: MembershipRecord, readSeq: number): Promise<boolean | undefined> {
  const kept = [...new Set((from.notUnread ?? []).filter((seq) => seq > readSeq))];
  const moved = await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: membershipKey(userId, conversationId),
    UpdateExpression: 'SET readSeq = :to, notUnread = :kept',
    ConditionExpression: 'readSeq = :from AND size(notUnread) = :count',
    ExpressionAttributeValues: { ':to': readSeq, ':from': from.readSeq, ':kept': kept, ':count': from.notUnread?.length ?? 0 },
  })));
  return moved ? true : undefined;
}
