import { randomBytes } from 'node:crypto';

/* The formats API Gateway writes into its events' values, shared by the local HTTP and WebSocket gateways. */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` / `requestTime`: the access log's CLF time in UTC, `20/Jan/2024:11:55:08 +0000`. */
export function clfTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * Request, extended-request and connection ids: 16 characters of the URL-safe base64 alphabet ending in '='
 * (`LV7fzho-PHcEJPw=`, `BFaT_fALIAMCKug=`); handlers must treat them as opaque.
 */
export function apiGatewayId(): string {
  return randomBytes(11).toString('base64url').slice(0, 15) + '=';
}

/** The `x-amzn-trace-id` header API Gateway adds: `Root=1-<epoch seconds, hex>-<96 random bits, hex>`. */
export function traceId(date: Date): string {
  return `Root=1-${Math.floor(date.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}
