import { wsRoute } from '../shared/ws/adapter.ts';
import { WS } from '../shared/routes.ts';
import { sendMessage } from '../shared/domain/sending.ts';

export const handler = wsRoute(WS.sendMessage, async ({ userId, connectionId, body }) => {
  await sendMessage(userId, body, connectionId);
});
