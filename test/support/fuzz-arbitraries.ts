import fc from 'fast-check';
import type { JsonSchema } from './route-requests.ts';

/**
 * fast-check arbitraries for fuzzing requests: values shaped by a field's JSON Schema (from its zod schema), mixed
 * with hostile values of every kind (wrong types, ids around 2^53, unicode edge cases, injection-looking strings,
 * oversize strings), so each case is either almost valid or deliberately wrong.
 */

const TWO_53 = 2 ** 53;
export const HOSTILE_IDS: unknown[] = [
  0, -1, -0, 1.5, TWO_53 - 1, TWO_53, TWO_53 + 2, 1e308, -1e308, Number.MIN_VALUE,
  '9007199254740991', '9007199254740992', '9007199254740993', '99999999999999999999', '00000000000000001',
  '1e3', ' 1', '0x10', '-1', 'NaN', 'Infinity', '', '1,2,3', '1;2',
];

export const HOSTILE_STRINGS: string[] = [
  "' OR '1'='1", '"; DROP TABLE users; --', '<script>alert(1)</script>', '${jndi:ldap://example/a}', '{{7*7}}', '#{7*7}',
  '../../etc/passwd', '%00', '\u0000', '\u202Eevil', '\u200B', '\uFEFF', 'e\u0301', '\uD800', '\uDFFF', '𝕳𝖊𝖑𝖑𝖔', '👨‍👩‍👧‍👦',
  'İ', 'ß', 'ﷺ', '\r\nSet-Cookie: a=b', 'USER#1', 'CONV#1', 'PK', '#', ':pk', '$ne', '__proto__', 'constructor', 'toString',
  'null', 'true', '[]', '{}', ' ', '\t', 'a'.repeat(4001), '长'.repeat(4001), 'x'.repeat(70 * 1024),
];

/** Any value of the wrong kind (or the right one by chance). */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...HOSTILE_IDS, ...HOSTILE_STRINGS),
  fc.constantFrom({ __proto__: { admin: true } }, { constructor: { prototype: { admin: true } } }, [1, 2, 3], { $ne: null }),
);

const hostileString = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 200 }));

function patterned(pattern: string): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern, 'u'));
  } catch {
    return undefined; // a pattern fast-check cannot generate from: plain strings cover it
  }
}

/** A value for one field: usually shaped by its schema, often hostile. */
export function valueFor(schema: JsonSchema, knownIds: readonly number[]): fc.Arbitrary<unknown> {
  const shaped: fc.Arbitrary<unknown>[] = [];
  if (schema.anyOf) shaped.push(...schema.anyOf.map((s) => valueFor(s, knownIds)));
  if (schema.enum) shaped.push(fc.constantFrom(...schema.enum));
  if (schema.type === 'string') {
    const fromPattern = schema.pattern ? patterned(schema.pattern) : undefined;
    if (fromPattern) shaped.push(fromPattern);
    shaped.push(fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 100, 300) }));
    // Strings that carry ids (a comma-separated contact list, path and query ids): real ids of other users.
    if (knownIds.length) shaped.push(fc.array(fc.constantFrom(...knownIds), { minLength: 1, maxLength: 3 }).map((ids) => ids.join(',')));
  }
  if (schema.type === 'number' || schema.type === 'integer') {
    shaped.push(fc.integer({ min: schema.minimum ?? -10, max: schema.maximum ?? TWO_53 - 1 }));
    if (knownIds.length) shaped.push(fc.constantFrom(...knownIds));
  }
  if (shaped.length === 0) shaped.push(anyJson);
  // Id fields aim at real objects (the caller's own and other users') most of the time, to get past validation.
  const isId = !!schema.anyOf?.some((s) => s.type === 'number');
  if (isId && knownIds.length) shaped.unshift(fc.constantFrom(...knownIds), fc.constantFrom(...knownIds.map(String)));
  return fc.oneof({ weight: 6, arbitrary: fc.oneof(...shaped) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_IDS) }, { weight: 1, arbitrary: hostileString }, { weight: 1, arbitrary: anyJson });
}

/** An object shaped by a schema's properties: each property present or not, plus stray keys sometimes. */
export function objectFor(schema: JsonSchema, knownIds: readonly number[]): fc.Arbitrary<Record<string, unknown>> {
  const model = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, valueFor(property, knownIds)]));
  const present = fc.oneof({ weight: 3, arbitrary: fc.record(model, { requiredKeys: schema.required ?? [] }) }, { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) });
  return fc.tuple(present, fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 2 })).map(([known, stray]) => ({ ...stray, ...known }));
}

/** Deeply nested JSON text (arrays or objects), deeper than any schema: must be refused cleanly, never crash a parser. */
export const deeplyNested = fc.tuple(fc.integer({ min: 1000, max: 200_000 }), fc.boolean()).map(([depth, arrays]) => (arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)));

/** JSON text broken in some way. */
export const malformedJson = fc.oneof(
  fc.constantFrom('{', '}', '{"a":', '{"a":1,}', "{'a':1}", 'undefined', 'NaN', '{"a":01}', '\u0000', '{"a":"\\uZZZZ"}', '[1,2', '"unterminated', '{"a":1}{"b":2}'),
  fc.jsonValue().map((value) => JSON.stringify(value ?? null).slice(0, -1)),
  fc.string({ unit: 'binary', maxLength: 100 }),
);
