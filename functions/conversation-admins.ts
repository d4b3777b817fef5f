import { httpRoute } from '../shared/http/adapter.ts';
import { conversationAdmins } from '../shared/routes.ts';
import { setAdmin } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationAdmins, async ({ userId, body }) => {
  return { message: '设置成功', ...(await setAdmin(userId, body.conversationId, body.userId, body.admin)) };
});
