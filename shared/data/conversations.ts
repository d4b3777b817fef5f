import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { db, TABLE } from './client.ts';
import { batchGet, batchPut, queryPrefix, transactWrite, ifCondition } from './operations.ts';
import type { Key } from './table.ts';
import type { MessageRecord } from './messages.ts';

export type ConversationType = 'single' | 'group';

export type ConversationRecord = {
  id: number;
  type: ConversationType;
  memberIds: number[];
  createdBy: number;
  createdAt: string;
  lastActivityAt: string;
  /** Count of messages ever stored; with a member's readCount it gives the unread count without a Query. */
  messageCount: number;
  lastMessage?: MessageRecord;
};

export type MembershipRecord = {
  userId: number;
  conversationId: number;
  type: ConversationType;
  joinedAt: string;
  /** How many of the conversation's messages this member has read (or sent). */
  readCount: number;
  lastReadMessageId?: number;
};

export const conversationKey = (id: number): Key => ({ PK: `CONV#${id}`, SK: 'META' });
export const membershipKey = (userId: number, conversationId: number): Key => ({ PK: `USER#${userId}`, SK: `CONV#${conversationId}` });
/** The pair item makes the single conversation between two users unique, whoever creates it and however often. */
export const pairKey = (a: number, b: number): Key => {
  const [low, high] = a < b ? [a, b] : [b, a];
  return { PK: `PAIR#${low}#${high}`, SK: 'PAIR' };
};

function membership(conversation: ConversationRecord, userId: number): MembershipRecord & Key {
  return {
    ...membershipKey(userId, conversation.id),
    userId,
    conversationId: conversation.id,
    type: conversation.type,
    joinedAt: conversation.createdAt,
    readCount: 0,
  };
}

export async function getPairConversationId(a: number, b: number): Promise<number | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: pairKey(a, b), ConsistentRead: true }));
  return Item?.conversationId as number | undefined;
}

/** Creates a single conversation unless the pair already has one: 'exists' tells the caller to read it. */
export async function putSingleConversation(conversation: ConversationRecord): Promise<'created' | 'exists'> {
  const [a, b] = conversation.memberIds as [number, number];
  try {
    await transactWrite({
      TransactItems: [
        { Put: { TableName: TABLE, Item: { ...pairKey(a, b), conversationId: conversation.id }, ConditionExpression: 'attribute_not_exists(PK)' } },
        { Put: { TableName: TABLE, Item: { ...conversationKey(conversation.id), ...conversation }, ConditionExpression: 'attribute_not_exists(PK)' } },
        { Put: { TableName: TABLE, Item: membership(conversation, a) } },
        { Put: { TableName: TABLE, Item: membership(conversation, b) } },
      ],
    });
    return 'created';
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) return 'exists';
    throw error;
  }
}

/**
 * A group: the conversation item and every membership, written in parallel (a group may exceed a
 * transaction's 100 items). The conversation item is the authority on who is a member.
 */
export async function putGroupConversation(conversation: ConversationRecord): Promise<void> {
  await Promise.all([
    db.send(new PutCommand({ TableName: TABLE, Item: { ...conversationKey(conversation.id), ...conversation }, ConditionExpression: 'attribute_not_exists(PK)' })),
    batchPut(conversation.memberIds.map((id) => membership(conversation, id))),
  ]);
}

export async function getConversation(id: number): Promise<ConversationRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: conversationKey(id) }));
  return Item as ConversationRecord | undefined;
}

export async function getConversations(ids: readonly number[]): Promise<ConversationRecord[]> {
  return (await batchGet(ids.map(conversationKey))) as ConversationRecord[];
}

export async function getMembership(userId: number, conversationId: number): Promise<MembershipRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: membershipKey(userId, conversationId) }));
  return Item as MembershipRecord | undefined;
}

export async function listMemberships(userId: number): Promise<MembershipRecord[]> {
  return (await queryPrefix(`USER#${userId}`, 'CONV#')) as MembershipRecord[];
}

/** Moves a read marker forward only (a late or replayed markRead never moves it back). False if it did not move. */
export async function advanceReadMarker(userId: number, conversationId: number, messageId: number, readCount: number): Promise<boolean> {
  const update = db.send(new UpdateCommand({
    TableName: TABLE,
    Key: membershipKey(userId, conversationId),
    UpdateExpression: 'SET lastReadMessageId = :m, readCount = :c',
    ConditionExpression: 'attribute_exists(PK) AND (attribute_not_exists(lastReadMessageId) OR lastReadMessageId < :m)',
    ExpressionAttributeValues: { ':m': messageId, ':c': readCount },
  }));
  return (await ifCondition(update)) !== undefined;
}
