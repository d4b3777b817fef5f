import { wsRoute } from '../shared/ws/adapter.ts';
import { WS } from '../shared/routes.ts';
import { openConnection } from '../shared/domain/sessions.ts';

export const handler = wsRoute(WS.connect, async ({ caller, connectionId, event }) => {
  await openConnection(caller, connectionId, new Date(event.requestContext.connectedAt));
});
