import { ForbiddenError } from '../errors.ts';
import { whoHaveContact } from '../data/contacts.ts';
import type { UserRecord } from '../data/users.ts';

/**
 * Consent to be put in a group (at create or members/add): a user whose groupInvites is 'contacts' accepts only
 * people on their own contact list. The contact items are read in the caller's first round trip, alongside the
 * users themselves; the returned check then throws 403 INVITE_NOT_ALLOWED naming the first user who refuses.
 */
export async function checkInviteConsent(callerId: number, userIds: readonly number[]): Promise<(users: Map<number, UserRecord>) => void> {
  const haveCaller = await whoHaveContact(userIds, callerId);
  return (users) => {
    const refusing = userIds.find((id) => users.get(id)?.settings?.groupInvites === 'contacts' && !haveCaller.has(id));
    if (refusing === undefined) return;
    const nickname = users.get(refusing)!.nickname;
    throw new ForbiddenError(`${nickname}（${refusing}）只允许联系人邀请入群`, 'INVITE_NOT_ALLOWED', { userId: refusing });
  };
}
