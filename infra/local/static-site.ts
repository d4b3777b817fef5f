import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildOpenApiDocument } from '../../shared/http/openapi.ts';
import { buildAsyncApiDocument } from '../../shared/ws/asyncapi.ts';
import { asyncApiPage } from './docs/asyncapi-page.ts';
import type { StaticHandler } from './http-gateway.ts';
import { API_SECURITY_HEADERS, WEB_CLIENT_CSP } from '../../shared/http/security-headers.ts';

/**
 * The local stack's extra pages, beside the API: the generated OpenAPI document (/openapi.json), its rendered
 * reference (/docs, Swagger UI from the swagger-ui-dist package, no CDN), the WebSocket API's AsyncAPI document
 * (/asyncapi.json) and its plain HTML page (/docs/asyncapi), the web client (/, infra/web) and the client's
 * /config.json, which tells it where the API and the WebSocket are.
 */
const WEB_ROOT = resolve(import.meta.dirname, '../web');
const DOCS_ROOT = resolve(import.meta.dirname, 'docs');
const SWAGGER_ROOT = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** What the web client reads from /config.json. `apiUrl` '' means "this origin". */
export type WebClientConfig = { apiUrl: string; wsUrl: string | null };

export function staticSite(options: { config: () => WebClientConfig }): StaticHandler {
  let openApi: string | undefined;
  // Built on first use, and again if the WebSocket gateway's URL (the document's server) was not known yet.
  let asyncApi: { wsUrl: string | null; json: string; page: string } | undefined;
  const asyncApiDocument = () => {
    const { wsUrl } = options.config();
    if (asyncApi?.wsUrl !== wsUrl) {
      const document = buildAsyncApiDocument({ serverUrl: wsUrl });
      asyncApi = { wsUrl, json: JSON.stringify(document, null, 2), page: asyncApiPage(document) };
    }
    return asyncApi;
  };
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const { pathname } = new URL(req.url ?? '/', 'http://local');
    if (pathname === '/openapi.json') {
      openApi ??= JSON.stringify(buildOpenApiDocument(), null, 2);
      return sendBody(req, res, 200, CONTENT_TYPES['.json']!, openApi);
    }
    if (pathname === '/asyncapi.json') return sendBody(req, res, 200, CONTENT_TYPES['.json']!, asyncApiDocument().json);
    if (pathname === '/docs/asyncapi') return sendBody(req, res, 200, CONTENT_TYPES['.html']!, asyncApiDocument().page);
    if (pathname === '/config.json') return sendBody(req, res, 200, CONTENT_TYPES['.json']!, JSON.stringify(options.config()));
    if (pathname === '/docs' || pathname === '/docs/') return serveFile(req, res, DOCS_ROOT, 'index.html');
    if (pathname === '/docs/init.js') return serveFile(req, res, DOCS_ROOT, 'init.js');
    if (pathname.startsWith('/docs/swagger-ui/')) return serveFile(req, res, SWAGGER_ROOT, pathname.slice('/docs/swagger-ui/'.length));
    return serveFile(req, res, WEB_ROOT, pathname === '/' ? 'index.html' : pathname.slice(1));
  };
}

/** Serves a file under root; anything outside it (../ tricks) or missing is left to the gateway's 404. */
function serveFile(req: IncomingMessage, res: ServerResponse, root: string, relative: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return false;
  }
  const file = normalize(join(root, decoded));
  const type = CONTENT_TYPES[extname(file)];
  if (!file.startsWith(root + sep) || !type) return false;
  readFile(file).then(
    (content) => sendBody(req, res, 200, type, content),
    () => sendBody(req, res, 404, CONTENT_TYPES['.json']!, JSON.stringify({ message: 'Not Found' })),
  );
  return true;
}

function sendBody(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string | Buffer): true {
  // no-cache: the files change while developing, and the config with every start. The CSP forbids framing.
  // The web client gets its full policy; Swagger UI (/docs, which styles itself inline) only the framing ban.
  const csp = new URL(req.url ?? '/', 'http://local').pathname.startsWith('/docs') ? "frame-ancestors 'none'" : WEB_CLIENT_CSP;
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-cache', 'x-content-type-options': API_SECURITY_HEADERS['x-content-type-options'], 'content-security-policy': csp });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
