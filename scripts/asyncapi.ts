import { buildAsyncApiDocument } from '../shared/ws/asyncapi.ts';

/** `npm run asyncapi -- [wss://WebSocketUrl] > asyncapi.json`: the same document the local stack serves, for a deployed API. */
console.log(JSON.stringify(buildAsyncApiDocument({ serverUrl: process.argv[2] }), null, 2));
