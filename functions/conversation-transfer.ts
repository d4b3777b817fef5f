import { httpRoute } from '../shared/http/adapter.ts';
import { conversationTransfer } from '../shared/routes.ts';
import { transferOwnership } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationTransfer, async ({ userId, body }) => {
  return { message: '转让成功', ...(await transferOwnership(userId, body.conversationId, body.userId)) };
});
