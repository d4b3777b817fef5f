import { httpRoute } from '../shared/http/adapter.ts';
import { conversationGetlist } from '../shared/routes.ts';
import { listConversations } from '../shared/domain/conversations.ts';

export const handler = httpRoute(conversationGetlist, async ({ userId, query }) => {
  return { message: '查询成功', ...(await listConversations(userId, query)) };
});
