import { httpRoute } from '../shared/http/adapter.ts';
import { conversationLeave } from '../shared/routes.ts';
import { leaveGroup } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationLeave, async ({ userId, body }) => {
  return { message: '已退出群聊', ...(await leaveGroup(userId, body.conversationId)) };
});
