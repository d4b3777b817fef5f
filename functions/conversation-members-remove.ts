import { httpRoute } from '../shared/http/adapter.ts';
import { conversationMembersRemove } from '../shared/routes.ts';
import { removeMembers } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationMembersRemove, async ({ userId, body }) => {
  return { message: '移除成功', ...(await removeMembers(userId, body.conversationId, body.userIds)) };
});
