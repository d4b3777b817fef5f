import { wsRoute } from '../shared/ws/adapter.ts';
import { wsMarkRead } from '../shared/routes.ts';
import { markRead } from '../shared/domain/delivery.ts';

export const handler = wsRoute(wsMarkRead, async ({ userId, body }) => {
  await markRead(userId, body.conversationId, 'messageId' in body ? { messageId: body.messageId } : { seq: body.seq });
});
