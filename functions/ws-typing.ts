import { wsRoute } from '../shared/ws/adapter.ts';
import { WS } from '../shared/routes.ts';
import { typing } from '../shared/domain/delivery.ts';

export const handler = wsRoute(WS.typing, async ({ userId, body }) => {
  await typing(userId, body.conversationId);
});
