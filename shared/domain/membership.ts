import { ForbiddenError, NotFoundError } from '../errors.ts';
import { listBlockers } from '../data/blocks.ts';
import { getConversation, getMembership, listMemberIds, type MembershipRecord } from '../data/conversations.ts';

/*
 * Who is in a conversation, from membership items (the authority): the caller's own item is the membership check,
 * the conversation's roster is who a message, read marker or typing event reaches.
 */

/** The caller's membership: 404 when the conversation does not exist, 403 when the caller is not in it. */
export async function requireMembership(callerId: number, conversationId: number): Promise<MembershipRecord> {
  const membership = await getMembership(callerId, conversationId);
  if (membership) return membership;
  // Only a refused call pays this read: it tells "no such conversation" from "not yours".
  throw (await getConversation(conversationId)) ? notMember() : notFound();
}

const notMember = () => new ForbiddenError('你不是该会话的成员');
const notFound = () => new NotFoundError('会话不存在');

/** Who a user's message, typing or read event reaches: every member except those who block the user. */
export type Audience = { membership: MembershipRecord; visibleTo: number[]; hiddenFrom: number[] };

/**
 * A single conversation's two members never change (only group routes change a roster), so a container remembers
 * them: a repeat send, read or typing in a 1:1 conversation skips the roster Query. Oldest forgotten first.
 */
const SINGLE_ROSTERS_MAX = 10_000;
const singleRosters = new Map<number, number[]>();

/** One round trip: the user's membership, the roster (unless remembered) and the user's blockers, read in parallel. */
export async function resolveAudience(userId: number, conversationId: number): Promise<Audience> {
  const remembered = singleRosters.get(conversationId);
  const [membership, memberIds, blockers] = await Promise.all([getMembership(userId, conversationId), remembered ?? listMemberIds(conversationId), listBlockers(userId)]);
  if (!membership) throw memberIds.length ? notMember() : notFound();
  if (membership.type === 'single' && !remembered) {
    if (singleRosters.size >= SINGLE_ROSTERS_MAX) singleRosters.delete(singleRosters.keys().next().value!);
    singleRosters.set(conversationId, memberIds);
  }
  return {
    membership,
    visibleTo: memberIds.filter((id) => !blockers.has(id)),
    hiddenFrom: memberIds.filter((id) => blockers.has(id)),
  };
}
