import { httpRoute } from '../shared/http/adapter.ts';
import { messageDelete } from '../shared/routes.ts';
import { deleteForMe } from '../shared/domain/lifecycle.ts';

export const handler = httpRoute(messageDelete, async ({ userId, body }) => {
  await deleteForMe(userId, body.conversationId, body.messageId);
  return { message: '已删除' };
});
