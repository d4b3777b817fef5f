import * as z from 'zod';
import { STATUS_BY_CODE, type ErrorCode } from '../errors.ts';
import { httpRoutes, wsRoutes, type HttpRoute } from '../routes.ts';
import { RESPONSES, errorEnvelope } from './response-schemas.ts';
import { legacyImageFields } from '../schemas.ts';
import { websocketProtocolMarkdown } from './websocket-doc.ts';

/**
 * The OpenAPI 3.1 document, generated from the route table and the same zod schemas the handlers validate with
 * (requests) and answer with (shared/http/response-schemas.ts). Nothing here is written per endpoint by hand.
 */

export type JsonSchema = Record<string, unknown>;
export type Components = Record<string, JsonSchema>;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 400: 'Bad request', 401: 'Missing, invalid or expired token', 403: 'Not allowed', 404: 'Not found',
  409: 'Conflict', 413: 'Payload too large', 415: 'Unsupported media type', 429: 'Too many requests', 500: 'Internal error', 503: 'Service unavailable, retry',
};

/**
 * JSON Schema for a zod schema; named schemas (`.meta({ id })`) go to components and are referenced from there.
 * OpenAPI 3.1 takes draft 2020-12; AsyncAPI 3.0's schema format is draft 07 (shared/ws/asyncapi.ts).
 */
export function toSchema(schema: z.core.$ZodType, io: 'input' | 'output', components: Components, target: 'draft-2020-12' | 'draft-07' = 'draft-2020-12'): JsonSchema {
  const { $schema: _, $defs, definitions, ...rest } = z.toJSONSchema(schema, { io, target, unrepresentable: 'any' }) as JsonSchema & { $defs?: Components; definitions?: Components };
  for (const [name, definition] of Object.entries({ ...$defs, ...definitions })) components[name] = tidy(definition) as JsonSchema;
  return tidy(rest) as JsonSchema;
}

/** Local `$defs` references point at components; the long generated date-time regex gives way to `format`. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (typeof node !== 'object' || node === null) return node;
  const entries = Object.entries(node).filter(([key]) => !(key === 'pattern' && (node as JsonSchema).format === 'date-time'));
  return Object.fromEntries(entries.map(([key, value]) => [key, key === '$ref' && typeof value === 'string' ? value.replace(/^#\/(\$defs|definitions)\//, '#/components/schemas/') : tidy(value)]));
}

/** Path or query parameters from an object schema: one OpenAPI parameter per property. */
function parameters(schema: z.core.$ZodType | undefined, where: 'path' | 'query', components: Components) {
  if (!schema) return [];
  const object = toSchema(schema, 'input', components) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || (object.required ?? []).includes(name), ...(description ? { description } : {}), schema: rest };
  });
}

/** Failures every route of this kind can answer, plus the ones its own logic raises. */
function errorCodes(row: HttpRoute, own: ErrorCode[]): Map<number, ErrorCode[]> {
  const codes = new Set<ErrorCode>(own);
  const { body, query, params, multipart } = row.request ?? {};
  if (body || query || params || multipart) codes.add('VALIDATION_FAILED');
  if (body || multipart) codes.add('PAYLOAD_TOO_LARGE');
  if (row.auth) codes.add('UNAUTHORIZED');
  codes.add('SERVICE_UNAVAILABLE');
  codes.add('INTERNAL_ERROR');
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(STATUS_BY_CODE[code], [...(byStatus.get(STATUS_BY_CODE[code]) ?? []), code]);
  return byStatus;
}

function operation(row: HttpRoute, components: Components) {
  const documented = RESPONSES[row.name];
  if (!documented) throw new Error(`Route ${row.name} has no documented responses in shared/http/response-schemas.ts`);
  const { body, query, params, multipart } = row.request ?? {};
  const responses: Record<string, unknown> = {};
  for (const { status, body: reply } of documented.success) {
    const schema = toSchema(reply, 'output', components);
    const description = typeof schema.description === 'string' ? schema.description : (STATUS_TEXT[status] ?? 'Success');
    responses[status] = { description, content: { 'application/json': { schema } } };
  }
  for (const [status, codes] of [...errorCodes(row, documented.errors)].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}: ${codes.join(', ')}`,
      content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/ErrorEnvelope' }, { properties: { code: { enum: codes } } }] } } },
    };
  }
  const requestContent: Record<string, unknown> = {};
  if (body) requestContent['application/json'] = { schema: toSchema(body, 'input', components) };
  if (multipart) {
    // The seed's upload: the file in `image`, plus the route's text fields.
    const fields = toSchema(legacyImageFields, 'input', components) as { properties?: JsonSchema };
    requestContent['multipart/form-data'] = {
      schema: { type: 'object', properties: { image: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The image file (≤ 5 MB; jpeg, png, gif or webp by its bytes)' }, ...fields.properties }, required: ['image'] },
    };
  }
  return {
    operationId: row.name,
    summary: row.summary,
    tags: [row.path.split('/')[1]!],
    ...(row.auth ? { security: [{ token: [] }, { bearer: [] }] } : { security: [] }),
    parameters: [...parameters(params, 'path', components), ...parameters(query, 'query', components)],
    ...(Object.keys(requestContent).length ? { requestBody: { required: true, content: requestContent } } : {}),
    responses,
  };
}

export function buildOpenApiDocument(options: { serverUrl?: string } = {}) {
  const components: Components = {};
  toSchema(errorEnvelope, 'output', components); // registers the shared ErrorEnvelope component
  const paths: Record<string, Record<string, unknown>> = {};
  for (const row of httpRoutes) (paths[row.path] ??= {})[row.method.toLowerCase()] = operation(row, components);
  return {
    openapi: '3.1.0',
    info: {
      title: '聊天室 — chat backend API',
      version: '1.0.0',
      description: [
        'Every JSON response has `success` and `message`; failures add a stable `code`. Status codes are real (see each operation).',
        'IDs are JSON integers below 2^53; path and query ids may be decimal strings. Times are ISO-8601 UTC.',
        websocketProtocolMarkdown(wsRoutes),
      ].join('\n\n'),
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        token: { type: 'apiKey', in: 'header', name: 'token', description: 'The JWT from POST /user/login (the seed document\'s way)' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
    },
  };
}
