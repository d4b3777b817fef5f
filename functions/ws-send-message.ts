import { wsRoute } from '../shared/ws/adapter.ts';
import { wsSendMessage } from '../shared/routes.ts';
import { sendMessage } from '../shared/domain/sending.ts';

export const handler = wsRoute(wsSendMessage, async ({ userId, connectionId, body }) => {
  await sendMessage(userId, body, connectionId);
});
