import { buildOpenApiDocument } from '../shared/http/openapi.ts';

/** `npm run openapi -- [serverUrl] > openapi.json`: the same document the local stack serves, for a deployed API. */
console.log(JSON.stringify(buildOpenApiDocument({ serverUrl: process.argv[2] }), null, 2));
