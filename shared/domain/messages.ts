import { messageIdFor, newId } from '../ids.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { logger, METRIC, countMetric } from '../observability.ts';
import { getConversation, listMemberIds, type LastMessage } from '../data/conversations.ts';
import {
  allocateSeq,
  deleteMessage,
  findClientId,
  fromLastMessage,
  getMessage,
  getMessageById,
  putMessage,
  queryMessages,
  recordHidden,
  recordMention,
  recordOwnSend,
  type MessageRecord,
  type MessageType,
} from '../data/messages.ts';
import { requireMembership, type Audience } from './membership.ts';
import { windowFull, windowOf } from './limits.ts';
import { config } from '../config.ts';

/** A message as clients see it (the seed's Messages model, plus its seq). */
export type MessageView = {
  id: number;
  seq: number;
  conversation_id: number;
  sender_id: number;
  content: string;
  type: MessageType;
  sent_at: string;
  received_at: string | null;
  clientMessageId?: string;
  /** The members it @-mentions, and @所有人 (present only when set). */
  mentions?: number[];
  mention_all?: true;
  /** Recalled: the content is "" and recalled_by says who took it back. */
  recalled?: true;
  recalled_by?: number;
  /** System messages (type "system"): the group change, who made it, whom it concerns. */
  system?: { event: string; actor_id: number; user_ids: number[] };
  /** Image messages, once passed through withImageUrls (shared/domain/images.ts): a short-lived GET link. */
  url?: string;
};

export function toMessageView(message: MessageRecord): MessageView {
  return {
    id: message.id,
    seq: message.seq,
    conversation_id: message.conversationId,
    sender_id: message.senderId,
    content: message.content,
    type: message.type,
    sent_at: message.sentAt,
    received_at: message.receivedAt ?? null,
    ...(message.clientMessageId ? { clientMessageId: message.clientMessageId } : {}),
    ...(message.mentions?.length ? { mentions: message.mentions } : {}),
    ...(message.mentionAll ? { mention_all: true as const } : {}),
    ...(message.recalled ? { recalled: true as const, recalled_by: message.recalledBy ?? message.senderId } : {}),
    ...(message.system ? { system: { event: message.system.event, actor_id: message.system.actorId, user_ids: message.system.userIds } } : {}),
  };
}

export type SendInput = { conversationId: number; content: string; type: MessageType; clientMessageId?: string; mentions?: number[]; mentionAll?: boolean };
/**
 * Who a newly stored message may reach: the members once its seq was taken (the roster read after it, strongly
 * consistent, less anyone a too-big change is still removing), and the group's version then. A member removed
 * before the seq is not among them; one removed after it moves the version, which queued shards check.
 */
export type Reach = { memberIds: ReadonlySet<number>; version: number };
/** `reach` undefined: the roster could not be read; the message is stored (and acked), the members catch up. */
export type StoreResult = { message: MessageRecord; duplicate: true } | { message: MessageRecord; duplicate: false; reach: Reach | undefined };

/**
 * Stores a message before anything is pushed (a failed push never loses it), hidden from the members who block
 * the sender. The writes, after the caller's round trip that read the sender's membership (`audience`):
 *   1. the conversation item hands out the seq (allocateSeq);
 *   2. in parallel: the message, the sender's membership (own seq not unread, client id), each blocker's, and
 *      the roster once more (who the message reaches: see Reach).
 * A resend with the same clientMessageId returns the stored original instead of storing twice: found in the
 * sender's membership, or by the seq allocation when it is the newest message, or by the membership write when
 * two copies raced (the later copy is removed again). Sending goes through shared/domain/delivery.ts.
 */
export async function storeNewMessage(senderId: number, input: SendInput, audience: Audience): Promise<StoreResult> {
  const { membership, hiddenFrom } = audience;
  const { conversationId, clientMessageId } = input;
  const earlier = clientMessageId ? findClientId(membership, clientMessageId) : undefined;
  if (earlier) return resend(conversationId, earlier, input, senderId);
  const last: LastMessage = {
    draftId: newId(),
    senderId,
    content: input.content,
    type: input.type,
    sentAt: new Date().toISOString(),
    ...(clientMessageId ? { clientMessageId } : {}),
    ...(hiddenFrom.length ? { hiddenFrom } : {}),
    ...(input.mentions?.length ? { mentions: input.mentions } : {}),
    ...(input.mentionAll ? { mentionAll: true } : {}),
  };
  const allocation = await allocateSeq(conversationId, last, windowOf(config.limits.conversationSend, String(conversationId)));
  if ('windowFull' in allocation) throw windowFull(config.limits.conversationSend, String(conversationId));
  if ('disbanded' in allocation) throw new ForbiddenError('你不是该会话的成员');
  if ('duplicateOf' in allocation) return resend(conversationId, allocation.duplicateOf, input, senderId);
  const message = fromLastMessage(conversationId, last, allocation.seq);
  const [members, stored, own, ...hidden] = await Promise.allSettled([
    // A single conversation's two members never change: the roster read before the seq is the one after it.
    membership.type === 'group' ? reachAfterSeq(conversationId, allocation.group) : { memberIds: new Set([...audience.visibleTo, ...hiddenFrom]), version: 0 },
    putMessage(message),
    recordOwnSend(membership, message.seq, message.id, clientMessageId),
    ...hiddenFrom.map((blockerId) => recordHidden(blockerId, conversationId, message.seq, allocation.previous)),
    // Mentioned members who can see the message (checked members by the send path), marked for getlist's `mentioned`.
    ...(input.mentions ?? []).filter((id) => id !== senderId && !hiddenFrom.includes(id)).map((id) => recordMention(id, conversationId, message.seq)),
  ]);
  // A write whose answer was lost and whose resends failed may have committed all the same: look before saying 503.
  if (stored.status === 'rejected' && (await getMessage(conversationId, message.seq).catch(() => undefined))?.draftId !== message.draftId) throw stored.reason;
  // A faster resend of this very send found our seq and stored the message for us: it answered and pushed it.
  if (stored.status === 'fulfilled' && stored.value.draftId !== message.draftId) return { message: stored.value, duplicate: true };
  if (own.status === 'fulfilled' && own.value !== 'recorded') {
    // Another copy of this send recorded its client id first: this copy goes, the first one answers.
    await deleteMessage(conversationId, message.seq);
    return resend(conversationId, own.value.taken, input, senderId);
  }
  // The message is stored, so the send succeeds: a failed bookkeeping write only shows it as unread to that member.
  for (const result of [own, ...hidden]) if (result.status === 'rejected') logger.warn('message stored, read state not updated', { error: (result.reason as Error).name });
  countMetric(METRIC.messagesSent); // here, not in the HTTP or WebSocket handler: every path that stores counts once
  return { message, duplicate: false, reach: reached(members) };
}

/**
 * The roster read after a seq was taken, in the same round trip as the message's writes (no added latency). A
 * resend storing an earlier attempt's seq reads the group's state now instead (later than its seq: stricter).
 */
async function reachAfterSeq(conversationId: number, group?: { version: number; removing: number[] }): Promise<Reach> {
  const [ids, now] = await Promise.all([listMemberIds(conversationId, true), group ? undefined : getConversation(conversationId, true)]);
  const { version, removing } = group ?? { version: now?.version ?? 0, removing: now?.removing ?? [] };
  const memberIds = new Set(ids);
  for (const id of removing) memberIds.delete(id);
  return { memberIds, version };
}

function reached(read: PromiseSettledResult<Reach>): Reach | undefined {
  if (read.status === 'fulfilled') return read.value;
  logger.warn('roster not read after the seq: message stored, not pushed', { error: (read.reason as Error).name });
  return undefined;
}

/**
 * A resend of a send that already has a seq (found in the sender's membership or as the conversation's newest):
 * the message stored there, or — when that first attempt got its seq but failed before storing the message — this
 * resend stores it in that slot now, under the id the first attempt was given.
 */
async function resend(conversationId: number, earlier: { seq: number; id: number }, input: SendInput, senderId: number): Promise<StoreResult> {
  const original = await getMessage(conversationId, earlier.seq);
  if (original) return { message: original, duplicate: true };
  const sentAt = new Date().toISOString();
  const message: MessageRecord = { draftId: earlier.id, senderId, content: input.content, type: input.type, sentAt, clientMessageId: input.clientMessageId, id: earlier.id, seq: earlier.seq, conversationId, receivedAt: sentAt };
  const [members, stored] = await Promise.allSettled([reachAfterSeq(conversationId), putMessage(message)]);
  if (stored.status === 'rejected') throw stored.reason;
  // The first attempt stored it meanwhile (it was only slower than this resend): that one answers and pushes.
  if (stored.value.draftId !== message.draftId) return { message: stored.value, duplicate: true };
  countMetric(METRIC.messagesSent);
  return { message, duplicate: false, reach: reached(members) };
}

export type HistoryQuery = { limit: number; before?: number; after?: number; before_seq?: number; after_seq?: number };
export type HistoryPage = { messages: MessageRecord[]; next_cursor: number | null; next_seq: number | null; last_seq: number };

/** How many Queries one history page may read while messages hidden from the caller keep it from filling. */
const HISTORY_READS_MAX = 8;
const HISTORY_READ_MIN = 25;

/**
 * A page of history, oldest first. Without a cursor, the newest page; `before`/`before_seq` page back in time,
 * `after`/`after_seq` catch up forward (ids are the seed's cursors, seqs the gap fetch). Messages hidden from the
 * caller are left out and the page keeps reading past them until it is full or the conversation ends (at most
 * HISTORY_READS_MAX Queries), so a page is never short because of them. `next_cursor` is the id of the page's
 * edge message the caller can see, `next_seq` the seq to continue from: neither is ever a hidden message's id or time.
 */
export async function getHistory(callerId: number, conversationId: number, query: HistoryQuery): Promise<HistoryPage> {
  if (query.before !== undefined && query.before_seq !== undefined) throw new ValidationError('before 与 before_seq 只能用一个', 'before_seq');
  if (query.after !== undefined && query.after_seq !== undefined) throw new ValidationError('after 与 after_seq 只能用一个', 'after_seq');
  const [membership, conversation] = await Promise.all([requireMembership(callerId, conversationId), getConversation(conversationId, true)]);
  // A member who joined a group later sees it from their join's system message on, and no id before it resolves.
  const minSeq = membership.joinedSeq ?? 1;
  const lastSeq = conversation?.lastSeq ?? 0;
  const newestId = conversation?.lastMessage ? messageIdFor(conversation.lastMessage.draftId, lastSeq) : 0;
  // An id cursor is a message the caller can see; one that is none is still a place in time when it lies past
  // either end of the conversation (ids are time-ordered): 0 is before the first message, lastSeq + 1 after the last.
  const seqOf = async (id: number | undefined) => {
    if (id === undefined) return undefined;
    const [message, first] = await Promise.all([getMessageById(conversationId, id, lastSeq), getMessage(conversationId, 1)]);
    // Before a late joiner's join, an id is a place in time just before it.
    if (message && !message.hiddenFrom?.includes(callerId)) return Math.max(message.seq, minSeq - 1);
    if (id > newestId) return lastSeq + 1;
    if (!first || id < first.id) return 0;
    throw new NotFoundError('消息不存在');
  };
  const [beforeSeq, afterSeq] = await Promise.all([query.before_seq ?? seqOf(query.before), query.after_seq ?? seqOf(query.after)]);
  if (beforeSeq !== undefined && afterSeq !== undefined && afterSeq >= beforeSeq) throw new ValidationError('after 必须小于 before', 'after');

  const forward = afterSeq !== undefined;
  let range = { beforeSeq, afterSeq };
  const shown: MessageRecord[] = [];
  let more = true;
  for (let reads = 0; more && shown.length < query.limit && reads < HISTORY_READS_MAX; reads++) {
    // Reads at least a batch at a time, so a long run of hidden messages costs few Queries even for a small page.
    const page = await queryMessages(conversationId, { limit: Math.max(query.limit - shown.length, HISTORY_READ_MIN), minSeq, ...range });
    // Nearest to the cursor first: what is past the page's end is left for the next page.
    const inOrder = forward ? page.messages : [...page.messages].reverse();
    more = page.hasMore;
    for (const message of inOrder) {
      if (shown.length === query.limit) {
        more = true;
        break;
      }
      if (!message.hiddenFrom?.includes(callerId) && !membership.deletedSeqs?.has(message.seq)) shown.push(message);
      range = forward ? { ...range, afterSeq: message.seq } : { ...range, beforeSeq: message.seq };
    }
  }
  if (!forward) shown.reverse();
  const edgeShown = forward ? shown.at(-1) : shown[0];
  return {
    messages: shown,
    next_cursor: more && edgeShown ? edgeShown.id : null,
    next_seq: more ? (forward ? range.afterSeq! : range.beforeSeq!) : null,
    last_seq: lastSeq,
  };
}
