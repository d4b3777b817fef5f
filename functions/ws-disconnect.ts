import { wsRoute } from '../shared/ws/adapter.ts';
import { WS } from '../shared/routes.ts';
import { deleteConnection } from '../shared/data/connections.ts';

export const handler = wsRoute(WS.disconnect, async ({ userId, connectionId }) => {
  await deleteConnection(userId, connectionId);
});
