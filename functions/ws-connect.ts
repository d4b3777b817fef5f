import { wsRoute } from '../shared/ws/adapter.ts';
import { wsConnect } from '../shared/routes.ts';
import { openConnection } from '../shared/domain/sessions.ts';

export const handler = wsRoute(wsConnect, async ({ caller, connectionId, event }) => {
  await openConnection(caller, connectionId, new Date(event.requestContext.connectedAt));
});
