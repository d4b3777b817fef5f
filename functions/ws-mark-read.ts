import { wsRoute } from '../shared/ws/adapter.ts';
import { WS } from '../shared/routes.ts';
import { markRead } from '../shared/domain/delivery.ts';

export const handler = wsRoute(WS.markRead, async ({ userId, body }) => {
  await markRead(userId, body.conversationId, 'messageId' in body ? { messageId: body.messageId } : { seq: body.seq });
});
