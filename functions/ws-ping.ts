import { wsRoute } from '../shared/ws/adapter.ts';
import { wsPing } from '../shared/routes.ts';
import { config } from '../shared/config.ts';
import { push } from '../shared/ws/push.ts';

export const handler = wsRoute(wsPing, async ({ connectionId }) => {
  await push(connectionId, { event: 'pong' });
}, { limit: config.limits.ping });
