import { wsRoute } from '../shared/ws/adapter.ts';
import { wsDefault } from '../shared/routes.ts';
import { config } from '../shared/config.ts';
import { ValidationError } from '../shared/errors.ts';

/** Frames no route matched (unknown or missing action, or not JSON at all): an error frame, the connection stays. */
export const handler = wsRoute(wsDefault, async () => {
  throw new ValidationError('未知的 action，可用: sendMessage, markRead, typing, ping', 'action');
}, { limit: config.limits.unknownFrame });
