import { httpRoute } from '../shared/http/adapter.ts';
import { HTTP } from '../shared/routes.ts';
import { deleteForMe } from '../shared/domain/lifecycle.ts';

export const handler = httpRoute(HTTP.messageDelete, async ({ userId, body }) => {
  await deleteForMe(userId, body.conversationId, body.messageId);
  return { message: '已删除' };
});
