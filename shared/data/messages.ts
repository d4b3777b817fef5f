import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { db, TABLE } from './client.ts';
import { padId, type Key } from './table.ts';
import { conversationKey, membershipKey } from './conversations.ts';
import { ifCondition, transactWrite } from './operations.ts';

export type MessageType = 'text' | 'image';

export type MessageRecord = {
  id: number;
  conversationId: number;
  senderId: number;
  content: string;
  type: MessageType;
  sentAt: string;
  receivedAt?: string;
  clientMessageId?: string;
  /** Members who block the sender: the message is never pushed to them nor shown in their history. */
  hiddenFrom?: number[];
};

export const messageKey = (conversationId: number, messageId: number): Key => ({ PK: `CONV#${conversationId}`, SK: `MSG#${padId(messageId)}` });
export const clientMessageKey = (conversationId: number, senderId: number, clientMessageId: string): Key => ({
  PK: `CONV#${conversationId}`,
  SK: `CMID#${senderId}#${clientMessageId}`,
});

const LAST_ID = '9'.repeat(16);

/** How long a client message id guards against a duplicate send (a client retrying after a lost ack). */
const CLIENT_MESSAGE_ID_TTL_SECONDS = 7 * 24 * 3600;

/** DynamoDB's limit on the items of one TransactWriteItems. */
const MAX_TRANSACTION_ITEMS = 100;

const countAsRead = (userId: number, conversationId: number) => ({
  TableName: TABLE,
  Key: membershipKey(userId, conversationId),
  UpdateExpression: 'ADD readCount :one',
  ExpressionAttributeValues: { ':one': 1 },
});

export type StoreOutcome = { stored: true } | { stored: false; reason: 'duplicate'; originalId: number } | { stored: false; reason: 'id-taken' | 'not-member' };

/**
 * Stores a message in one transaction with everything that must change with it: the conversation's last message
 * and count (the count only moves when the message is really stored), the sender's own read count (your own
 * message is never unread to you), the read counts of members it is hidden from, and the client-message-id
 * guard that makes retries idempotent. The sender's membership is re-checked atomically.
 */
export async function storeMessage(message: MessageRecord): Promise<StoreOutcome> {
  const { conversationId, senderId, clientMessageId } = message;
  // A transaction holds at most 100 items: read counts that do not fit (a sender blocked by more than ~95 members
  // of a group) are moved just after it, outside the transaction.
  const fixedItems = clientMessageId ? 3 : 2;
  const countsAsRead = [senderId, ...(message.hiddenFrom ?? [])];
  const [inTransaction, afterwards] = [countsAsRead.slice(0, MAX_TRANSACTION_ITEMS - fixedItems), countsAsRead.slice(MAX_TRANSACTION_ITEMS - fixedItems)];
  const items = [
    {
      Put: {
        TableName: TABLE,
        Item: { ...messageKey(conversationId, message.id), ...message },
        ConditionExpression: 'attribute_not_exists(PK)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    },
    {
      Update: {
        TableName: TABLE,
        Key: conversationKey(conversationId),
        UpdateExpression: 'SET lastMessage = :message, lastActivityAt = :at ADD messageCount :one',
        ConditionExpression: 'contains(memberIds, :sender)',
        ExpressionAttributeValues: { ':message': message, ':at': message.sentAt, ':one': 1, ':sender': senderId },
      },
    },
    ...inTransaction.map((userId) => ({ Update: countAsRead(userId, conversationId) })),
    ...(clientMessageId
      ? [{
          Put: {
            TableName: TABLE,
            Item: { ...clientMessageKey(conversationId, senderId, clientMessageId), messageId: message.id, expiresAt: Math.floor(Date.now() / 1000) + CLIENT_MESSAGE_ID_TTL_SECONDS },
            ConditionExpression: 'attribute_not_exists(PK)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        }]
      : []),
  ];
  try {
    await transactWrite({ TransactItems: items });
    // Best effort: a count missed here only shows that hidden message as unread to that member.
    await Promise.allSettled(afterwards.map((userId) => db.send(new UpdateCommand(countAsRead(userId, conversationId)))));
    return { stored: true };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    // An attempt that timed out may have committed after all; when its retry went out as a new call (transactWrite
    // retries a conflict with a new idempotency token), that call finds this very message in place: it is stored
    // (and still to be pushed), neither a client's duplicate nor an id collision.
    const existing = reasons[0]?.Code === 'ConditionalCheckFailed' ? reasons[0].Item : undefined;
    if (existing?.senderId?.N === String(senderId) && existing.sentAt?.S === message.sentAt) return { stored: true };
    const guard = clientMessageId ? reasons[items.length - 1] : undefined;
    if (guard?.Code === 'ConditionalCheckFailed') {
      const originalId = (guard.Item?.messageId as { N?: string } | undefined)?.N;
      return { stored: false, reason: 'duplicate', originalId: originalId ? Number(originalId) : await getClientMessageTarget(conversationId, senderId, clientMessageId!) };
    }
    if (reasons[1]?.Code === 'ConditionalCheckFailed') return { stored: false, reason: 'not-member' };
    if (existing) return { stored: false, reason: 'id-taken' };
    throw error;
  }
}

async function getClientMessageTarget(conversationId: number, senderId: number, clientMessageId: string): Promise<number> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: clientMessageKey(conversationId, senderId, clientMessageId), ConsistentRead: true }));
  return Item?.messageId as number;
}

export async function getMessage(conversationId: number, messageId: number): Promise<MessageRecord | undefined> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: messageKey(conversationId, messageId), ConsistentRead: true }));
  return Item as MessageRecord | undefined;
}

export type MessagePage = { messages: MessageRecord[]; hasMore: boolean };

/**
 * One page of a conversation's messages, always returned oldest first.
 * before: the page just older than that id (or the newest page); after: the page just newer than that id.
 */
export async function queryMessages(conversationId: number, options: { limit: number; before?: number; after?: number }): Promise<MessagePage> {
  const forward = options.after !== undefined;
  const from = forward ? padId(options.after! + 1) : '';
  const to = options.before !== undefined ? padId(options.before - 1) : LAST_ID;
  if (from > to) return { messages: [], hasMore: false };
  const out = await db.send(new QueryCommand({
    TableName: TABLE,
    KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': `CONV#${conversationId}`, ':from': `MSG#${from}`, ':to': `MSG#${to}` },
    ScanIndexForward: forward,
    Limit: options.limit + 1, // one extra tells whether another page exists
  }));
  const items = ((out.Items ?? []) as MessageRecord[]).slice(0, options.limit);
  const hasMore = (out.Items?.length ?? 0) > options.limit;
  return { messages: forward ? items : items.reverse(), hasMore };
}

/** Stamps the first delivery time once (later deliveries leave it alone). */
export async function markReceived(conversationId: number, messageId: number, receivedAt: string): Promise<void> {
  await ifCondition(db.send(new UpdateCommand({
    TableName: TABLE,
    Key: messageKey(conversationId, messageId),
    UpdateExpression: 'SET receivedAt = :at',
    ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(receivedAt)',
    ExpressionAttributeValues: { ':at': receivedAt },
  })));
}

/**
 * How many messages newer than the given one are unread to the reader (for turning a read marker into a read
 * count): their own messages and those hidden from them never count, as storeMessage counts those read at once.
 */
export async function countUnreadAfter(conversationId: number, messageId: number, readerId: number): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      FilterExpression: 'senderId <> :reader AND NOT contains(hiddenFrom, :reader)',
      ExpressionAttributeValues: { ':pk': `CONV#${conversationId}`, ':from': `MSG#${padId(messageId + 1)}`, ':to': `MSG#${LAST_ID}`, ':reader': readerId },
      Select: 'COUNT',
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
    }));
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}
