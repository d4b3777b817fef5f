import { wsRoute } from '../shared/ws/adapter.ts';
import { wsDisconnect } from '../shared/routes.ts';
import { deleteConnection } from '../shared/data/connections.ts';

export const handler = wsRoute(wsDisconnect, async ({ userId, connectionId }) => {
  await deleteConnection(userId, connectionId);
});
