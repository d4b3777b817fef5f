import { z } from 'zod';
import type { HttpRoute } from '../../shared/routes.ts';

/** What the builders need of a row, HTTP or WebSocket (a WebSocket action's frame is its `body`). */
export type RouteRow = { name: string; request?: { body?: z.core.$ZodType; query?: z.core.$ZodType; params?: z.core.$ZodType } };

/**
 * Requests built from route-table rows, for the generated security suites (authorization matrix, fuzzing):
 * a route's inputs are read from its zod schemas (as JSON Schema), so a new row is covered without test changes.
 */
export type Where = 'params' | 'query' | 'body';
export type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
};
export type Field = { where: Where; name: string; required: boolean; schema: JsonSchema };

/** What an input field refers to: a conversation, a message, a user, or a plain value. */
export type FieldKind = 'conversation' | 'message' | 'user' | 'value';

export function jsonSchemaOf(schema: z.core.$ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

export function fieldsOf(route: RouteRow): Field[] {
  const fields: Field[] = [];
  for (const where of ['params', 'query', 'body'] as const) {
    const schema = route.request?.[where];
    if (!schema) continue;
    const json = jsonSchemaOf(schema);
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      fields.push({ where, name, required: json.required?.includes(name) ?? false, schema: property });
    }
  }
  return fields;
}

const isIdSchema = (schema: JsonSchema) => !!schema.anyOf?.some((s) => s.type === 'number') && !!schema.anyOf?.some((s) => s.pattern?.includes('\\d'));

export function kindOf(field: Field): FieldKind {
  if (/conversation/i.test(field.name)) return 'conversation';
  if (/^message/i.test(field.name)) return 'message';
  if (isIdSchema(field.schema) || /id$/i.test(field.name)) return 'user';
  return 'value';
}

export type RouteValues = { params: Record<string, unknown>; query: Record<string, unknown>; body?: unknown };

/** Percent-encodes every UTF-8 byte (unlike encodeURIComponent, never throws: a lone surrogate becomes U+FFFD). */
function encodeSegment(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

/** The HTTP request for a row and its input values (path parameters substituted and encoded). */
export function requestFor(route: HttpRoute, values: RouteValues): { method: string; path: string; body?: unknown } {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeSegment(String(values.params[name] ?? '')));
  const query = new URLSearchParams(Object.entries(values.query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return { method: route.method, path: query ? `${path}?${query}` : path, ...(values.body !== undefined ? { body: values.body } : {}) };
}

/**
 * Fills every required field: ids from `ids` by kind, plain values from `examples` (a missing example fails loudly).
 * `overrides` set named fields of any kind (a group route's `userId` aims at a member, not the caller).
 */
export function fill(route: RouteRow, ids: Record<Exclude<FieldKind, 'value'>, number>, examples: Record<string, unknown>, overrides: Record<string, unknown> = {}): RouteValues {
  const values: RouteValues = { params: {}, query: {}, body: route.request?.body ? {} : undefined };
  for (const field of fieldsOf(route)) {
    if (!field.required) continue;
    const kind = kindOf(field);
    let value: unknown;
    if (field.name in overrides) value = overrides[field.name];
    else if (kind !== 'value') value = ids[kind];
    else if (field.name in examples) value = examples[field.name];
    else throw new Error(`No example value for required field "${field.name}" of route ${route.name}: add one to the suite's examples`);
    if (field.where === 'body') (values.body as Record<string, unknown>)[field.name] = value;
    else values[field.where][field.name] = value;
  }
  return values;
}
