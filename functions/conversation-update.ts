import { httpRoute } from '../shared/http/adapter.ts';
import { conversationUpdate } from '../shared/routes.ts';
import { updateGroup } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationUpdate, async ({ userId, body }) => {
  const { conversationId, ...update } = body;
  return { message: '修改成功', ...(await updateGroup(userId, conversationId, update)) };
});
