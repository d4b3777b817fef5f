import { httpRoute } from '../shared/http/adapter.ts';
import { conversationDisband } from '../shared/routes.ts';
import { disbandGroup } from '../shared/domain/groups.ts';

export const handler = httpRoute(conversationDisband, async ({ userId, body }) => {
  return { message: '群聊已解散', ...(await disbandGroup(userId, body.conversationId)) };
});
