import { wsAuthorizer } from '../shared/ws/adapter.ts';

/** The $connect authorizer: no valid `?token=`, no connection. */
export const handler = wsAuthorizer();
