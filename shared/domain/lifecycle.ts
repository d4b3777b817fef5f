import { config } from '../config.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { logger } from '../observability.ts';
import { listConnections } from '../data/connections.ts';
import { getConversation, listMemberIds, type MembershipRecord } from '../data/conversations.ts';
import { deleteImage } from '../data/images.ts';
import { eraseMessage, getMessageById, hideForMember, type MessageRecord } from '../data/messages.ts';
import { broadcast } from './broadcast.ts';
import { requireMembership } from './membership.ts';
import { roleOf } from './conversations.ts';

/*
 * A message after it is sent: recalled by its sender (within the recall window) or a group's owner and admins
 * (any time), or deleted by one member for themselves.
 */

/** How many messages one member may delete for themselves per conversation (their membership item holds the seqs). */
export const DELETED_PER_CONVERSATION_MAX = 1000;

/** The message as the caller may see it: a member's, not hidden from them, not before their join. */
async function visibleMessage(callerId: number, conversationId: number, messageId: number, withMembers: boolean) {
  const [membership, conversation, memberIds] = await Promise.all([requireMembership(callerId, conversationId), getConversation(conversationId, true), withMembers ? listMemberIds(conversationId) : []]);
  const message = await getMessageById(conversationId, messageId, conversation?.lastSeq ?? 0);
  if (!message || !conversation || !canSee(membership, message)) throw new NotFoundError('消息不存在');
  return { membership, conversation, memberIds, message };
}

const canSee = (membership: MembershipRecord, message: MessageRecord) => !message.hiddenFrom?.includes(membership.userId) && message.seq >= (membership.joinedSeq ?? 1);

/**
 * Recalls a message: its content is erased from the table (an image's object is deleted from the bucket), history
 * keeps a tombstone, last_message follows, and everyone who could see it gets `recalled`. A second recall answers
 * the same and tells nobody again. Round trips: membership, conversation and roster; the message; the erase (with
 * the connections listed alongside).
 */
export async function recallMessage(callerId: number, conversationId: number, messageId: number): Promise<{ messageId: number; recalled_by: number }> {
  const { conversation, memberIds, message } = await visibleMessage(callerId, conversationId, messageId, true);
  if (message.type === 'system') throw new ValidationError('系统消息不能撤回', 'messageId');
  if (message.recalled) return { messageId, recalled_by: message.recalledBy ?? callerId };
  const moderator = conversation.type === 'group' && roleOf(conversation, callerId) !== 'member';
  if (!moderator) {
    if (message.senderId !== callerId) throw new ForbiddenError('只能撤回自己的消息');
    if (Date.now() - Date.parse(message.sentAt) > config.recallWindowSeconds * 1000) throw new ForbiddenError(`超过 ${config.recallWindowSeconds} 秒的消息不能撤回`, 'RECALL_WINDOW_PASSED');
  }
  const audience = memberIds.filter((id) => !message.hiddenFrom?.includes(id));
  const [outcome, connections] = await Promise.all([eraseMessage(conversationId, message.seq, callerId), listConnections(audience).catch(() => [])]);
  if (outcome === 'already') return { messageId, recalled_by: callerId };
  await Promise.all([
    message.type === 'image' ? deleteImage(message.content).catch((error: Error) => logger.warn('recalled image not deleted', { error: error.name })) : undefined,
    broadcast(connections, () => ({ event: 'recalled', conversationId, messageId, by: callerId })),
  ]);
  return { messageId, recalled_by: callerId };
}

/** Hides a message from the caller's own history; nobody else is affected. Deleting it twice answers the same. */
export async function deleteForMe(callerId: number, conversationId: number, messageId: number): Promise<void> {
  const { membership, message } = await visibleMessage(callerId, conversationId, messageId, false);
  if (membership.deletedSeqs?.has(message.seq)) return;
  if (!(await hideForMember(callerId, conversationId, message.seq, DELETED_PER_CONVERSATION_MAX))) {
    throw new ValidationError(`每个会话最多删除 ${DELETED_PER_CONVERSATION_MAX} 条消息`, 'messageId');
  }
}
