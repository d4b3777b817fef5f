import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { STATUS_BY_CODE, type AppError } from '../errors.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';

/*
 * The JSON envelope as an HTTP API (payload 2.0) result. Its own module, free of the adapter's imports (zod, the
 * token check, the table), so the $default function that only answers 404/405 bundles none of them.
 */

export function errorResponse(error: AppError): APIGatewayProxyStructuredResultV2 {
  const status = STATUS_BY_CODE[error.code];
  const headers = error.details?.retryAfter ? { 'retry-after': String(error.details.retryAfter) } : undefined;
  return json(status, { success: false, code: error.code, message: error.message, ...error.details }, headers);
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...API_SECURITY_HEADERS, ...headers }, body: JSON.stringify(body) };
}
