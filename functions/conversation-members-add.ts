import { httpRoute } from '../shared/http/adapter.ts';
import { conversationMembersAdd } from '../shared/routes.ts';
import { addMembers } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationMembersAdd, async ({ userId, body }) => {
  return { message: '添加成功', ...(await addMembers(userId, body.conversationId, body.userIds)) };
});
