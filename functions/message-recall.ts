import { httpRoute } from '../shared/http/adapter.ts';
import { messageRecall } from '../shared/routes.ts';
import { recallMessage } from '../shared/domain/lifecycle.ts';

export const handler = httpRoute(messageRecall, async ({ userId, body }) => {
  return { message: '已撤回', ...(await recallMessage(userId, body.conversationId, body.messageId)) };
});
