import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from './client.ts';
import { batchDelete, batchPut, ifCondition, transactWrite } from './operations.ts';
import { conversationKey, getConversation, membershipKey, rosterKey, type GroupFields, type MembershipRecord, type RosterRecord } from './conversations.ts';
import { messageKey, type MessageRecord } from './messages.ts';
import type { Key } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * One change of a group (members added or removed, settings, roles, disband), decided on the META item and roster
 * as read. `from` is what was read: the change holds only if neither the version (any membership or role change)
 * nor lastSeq (any message) moved since, so two changes racing — two admins removing each other, an add and a
 * disband — never both apply; the loser reads again and decides anew.
 */
export type GroupChange = {
  conversationId: number;
  from: { version: number; lastSeq: number };
  fields: Partial<GroupFields> & { memberCount: number; memberPreview: number[] };
  /** The system messages recording it, at seqs from.lastSeq + 1, + 2, ... */
  messages: MessageRecord[];
  added: Array<[MembershipRecord & Key, RosterRecord & Key]>;
  removed: number[];
};

/** Items a transaction holds besides the META item and the messages (DynamoDB's limit is 100). */
const TRANSACTION_ITEMS_MAX = 100;

/**
 * Commits the change: META, its system messages and every membership and roster write in one transaction when they
 * fit in 100 items (every change but the biggest adds, removals and disbands). Beyond that, META and the messages
 * commit first (the decision), then the member items are written in batches of 25; an add whose batch lands after
 * a disband that read the roster too early removes its own items again, so a disbanded group keeps no member.
 * 'conflict': something changed since `from` was read.
 */
export async function commitGroupChange(change: GroupChange): Promise<'committed' | 'conflict'> {
  const memberWrites: TransactItem[] = [
    ...change.added.flatMap((items) => items.map((Item, i) => ({ Put: { TableName: TABLE, Item, ...(i === 0 ? { ConditionExpression: 'attribute_not_exists(PK)' } : {}) } }))),
    ...change.removed.flatMap((userId) => [membershipKey(userId, change.conversationId), rosterKey(change.conversationId, userId)].map((Key) => ({ Delete: { TableName: TABLE, Key } }))),
  ];
  const messages: TransactItem[] = change.messages.map((message) => ({
    Put: { TableName: TABLE, Item: { ...messageKey(change.conversationId, message.seq), ...message }, ConditionExpression: 'attribute_not_exists(PK)' },
  }));
  const atomic = 1 + messages.length + memberWrites.length <= TRANSACTION_ITEMS_MAX;
  // Too big for one transaction: until the batches have deleted them, the META item names the users being removed,
  // so a send that takes its seq meanwhile pushes to none of them (shared/domain/messages.ts, Reach). A disband needs
  // no such list: once it commits, no send gets a seq at all.
  const removing = !atomic && change.removed.length && !change.fields.disbanded ? change.removed : undefined;
  try {
    await transactWrite({ TransactItems: [metaUpdate(change, removing), ...messages, ...(atomic ? memberWrites : [])] });
  } catch (error) {
    if (error instanceof TransactionCanceledException && error.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')) return 'conflict';
    throw error;
  }
  if (!atomic) await writeMembersInBatches(change, removing);
  return 'committed';
}

function metaUpdate(change: GroupChange, removing: number[] | undefined): TransactItem {
  const last = change.messages.at(-1)!;
  const { id: _id, seq: _seq, conversationId: _c, receivedAt: _r, ...lastMessage } = last;
  const fields = Object.entries({ ...change.fields, ...(removing ? { removing } : {}) });
  const names = Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name]));
  const values = Object.fromEntries(fields.map(([, value], i) => [`:f${i}`, value]));
  return {
    Update: {
      TableName: TABLE,
      Key: conversationKey(change.conversationId),
      UpdateExpression: `SET ${[...fields.map((_, i) => `#f${i} = :f${i}`), 'version = :next', 'lastSeq = :seq', 'lastMessage = :last', 'lastActivityAt = :at'].join(', ')}`,
      ConditionExpression: 'version = :version AND lastSeq = :lastSeq AND attribute_not_exists(disbanded)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ...values,
        ':next': change.from.version + 1,
        ':version': change.from.version,
        ':lastSeq': change.from.lastSeq,
        ':seq': last.seq,
        ':last': lastMessage,
        ':at': last.sentAt,
      },
    },
  };
}

async function writeMembersInBatches(change: GroupChange, removing: number[] | undefined): Promise<void> {
  const removedKeys = change.removed.flatMap((userId) => [membershipKey(userId, change.conversationId), rosterKey(change.conversationId, userId)]);
  const addedItems = change.added.flat();
  await Promise.all([batchDelete(removedKeys), batchPut(addedItems)]);
  // Conditional: a later change may have named users of its own meanwhile.
  if (removing) await ifCondition(db.send(new UpdateCommand({ TableName: TABLE, Key: conversationKey(change.conversationId), UpdateExpression: 'REMOVE removing', ConditionExpression: 'removing = :removing', ExpressionAttributeValues: { ':removing': removing } })));
  if (addedItems.length && (await getConversation(change.conversationId, true))?.disbanded) {
    await batchDelete(addedItems.map(({ PK, SK }) => ({ PK, SK })));
  }
}
