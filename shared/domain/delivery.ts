import { NotFoundError } from '../errors.ts';
import { listConnections } from '../data/connections.ts';
import { advanceReadMarker, getConversation, getMembership, type MembershipRecord } from '../data/conversations.ts';
import { getMessage, getMessageById } from '../data/messages.ts';
import { broadcast } from './broadcast.ts';
import { resolveAudience } from './membership.ts';
import { consume } from './limits.ts';
import { config } from '../config.ts';

/**
 * Live delivery: the one place that pushes to members' connections (read markers and typing here, messages through
 * sending.ts), for the WebSocket actions and POST /message/send alike.
 */

export type ReadMarker = { messageId: number; seq?: undefined } | { seq: number; messageId?: undefined };

/**
 * Moves the caller's read marker to the message (forward only) and tells the others, with its seq. Constant cost
 * whatever the conversation's length: the membership, the conversation's last seq and the message are Gets, and
 * unread is derived from the marker (lastSeq − readSeq − the not-unread seqs above it). A marker that does not move
 * writes nothing and tells nobody.
 */
export async function markRead(userId: number, conversationId: number, marker: ReadMarker): Promise<void> {
  await consume(config.limits.markRead, String(userId)); // first: a refused frame of a flood costs one counter write, no reads
  const [audience, conversation, bySeq] = await Promise.all([
    resolveAudience(userId, conversationId),
    getConversation(conversationId, true),
    marker.seq !== undefined ? getMessage(conversationId, marker.seq) : undefined,
  ]);
  const message = marker.seq !== undefined ? bySeq : await getMessageById(conversationId, marker.messageId, conversation?.lastSeq ?? 0);
  if (!message || message.hiddenFrom?.includes(userId)) throw new NotFoundError('消息不存在');
  const [moved, connections] = await Promise.all([
    moveReadMarker(audience.membership, message.seq),
    listConnections(audience.visibleTo.filter((id) => id !== userId)),
  ]);
  if (!moved) return; // a replayed or older markRead: nothing changed, nothing to tell
  await broadcast(connections, () => ({ event: 'read', conversationId, userId, messageId: message.id, seq: message.seq }));
}

/** Forward only, retried when a send or another read of the same member changed the item in between. */
async function moveReadMarker(read: MembershipRecord, seq: number): Promise<boolean> {
  let membership: MembershipRecord | undefined = read;
  for (let attempt = 0; attempt < 4 && membership; attempt++) {
    if (seq <= membership.readSeq) return false;
    if (await advanceReadMarker(membership.userId, membership.conversationId, membership, seq)) return true;
    membership = await getMembership(read.userId, read.conversationId);
  }
  throw new Error('read marker kept changing');
}

/** Typing reaches the other members' connections (not those who block the typist) and is never stored. */
export async function typing(userId: number, conversationId: number): Promise<void> {
  await consume(config.limits.typing, String(userId)); // first: a refused frame of a flood costs one counter write, no reads
  const audience = await resolveAudience(userId, conversationId);
  const connections = await listConnections(audience.visibleTo.filter((id) => id !== userId));
  await broadcast(connections, () => ({ event: 'typing', conversationId, userId }));
}
