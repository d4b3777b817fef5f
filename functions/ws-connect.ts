import { wsRoute } from '../shared/ws/adapter.ts';
import { WS } from '../shared/routes.ts';
import { putConnection } from '../shared/data/connections.ts';

export const handler = wsRoute(WS.connect, async ({ userId, connectionId, event }) => {
  await putConnection(userId, connectionId, new Date(event.requestContext.connectedAt));
});
