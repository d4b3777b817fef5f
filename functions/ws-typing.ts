import { wsRoute } from '../shared/ws/adapter.ts';
import { wsTyping } from '../shared/routes.ts';
import { typing } from '../shared/domain/delivery.ts';

export const handler = wsRoute(wsTyping, async ({ userId, body }) => {
  await typing(userId, body.conversationId);
});
