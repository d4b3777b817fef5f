/**
 * On every API response: answers are per-user and must never sit in a shared or browser cache, and a browser must
 * never sniff a JSON body into something it runs. The Lambda adapters set them (so API Gateway passes them on), and
 * the local gateway adds them to its own answers. No imports: the local gateway loads this before any config.
 */
export const API_SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } as const;

/**
 * The web client's policy: its own scripts and styles only, no framing by any origin (frame-ancestors works only
 * as an HTTP header, never from <meta>), images from the bucket's presigned URLs or picked files, and fetch/WebSocket
 * to the API wherever it is hosted.
 */
export const WEB_CLIENT_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: http: https:",
  "connect-src 'self' http: https: ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
