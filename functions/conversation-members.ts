import { httpRoute } from '../shared/http/adapter.ts';
import { conversationMembers } from '../shared/routes.ts';
import { listOtherMembers } from '../shared/domain/conversations.ts';

export const handler = httpRoute(conversationMembers, async ({ userId, query }) => {
  return { message: '查询成功', members: await listOtherMembers(userId, query.conversationId) };
});
