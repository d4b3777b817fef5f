import { beforeAll, describe, expect, it } from 'vitest';
import { Parser, type AsyncAPIDocumentInterface, type Diagnostic } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { wsRoutes } from '../../shared/routes.ts';
import { buildAsyncApiDocument, clientMessageKey, GATEWAY_ERROR_KEY, pushOperationId, serverMessageKey } from '../../shared/ws/asyncapi.ts';
import { CLIENT_FRAMES, CONNECTION_EVENTS, GATEWAY_ERROR_FRAME, SERVER_FRAMES, type FrameDoc } from '../../shared/ws/frames.ts';

/**
 * The AsyncAPI document checked with the official parser (and its Spectral rules), every route row against its
 * operation, and every example against both its zod schema and the JSON Schema the document publishes.
 */

/**
 * What the parser may say besides nothing, each with why it stays. Severity: 0 error, 1 warning, 2 info, 3 hint.
 * A new diagnostic fails the test until it is fixed or listed here.
 */
const ACCEPTED_DIAGNOSTICS: Record<string, string> = {
  // The brief asks for AsyncAPI 3.0; 3.1 changes nothing this document uses.
  'asyncapi-latest-version': '3.0.0 on purpose',
};

const SERVER_URL = 'wss://abc123.execute-api.eu-west-1.amazonaws.com/prod';
const raw = buildAsyncApiDocument({ serverUrl: SERVER_URL }) as any;
let parsed: AsyncAPIDocumentInterface;
let diagnostics: Diagnostic[];

beforeAll(async () => {
  const result = await new Parser().parse(structuredClone(raw));
  diagnostics = result.diagnostics;
  parsed = result.document!;
}, 60_000);

/** A validator of the document's published schemas: a payload, with `$ref`s into components.schemas. */
function publishedSchemas() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'doc', components: raw.components }, 'doc');
  const rebase = (node: unknown): unknown =>
    Array.isArray(node) ? node.map(rebase)
      : node && typeof node === 'object' ? Object.fromEntries(Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? `doc${v}` : rebase(v)]))
        : node;
  return (schema: object) => ajv.compile(rebase(schema) as object);
}

describe('AsyncAPI document', () => {
  it('parses with the official parser: no errors, and only the accepted diagnostics', () => {
    const errors = diagnostics.filter((d) => d.severity === 0).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`);
    expect(errors).toEqual([]);
    expect(parsed).toBeDefined();
    expect(parsed.version()).toBe('3.0.0');
    const others = diagnostics.filter((d) => d.severity !== 0).map((d) => String(d.code));
    expect(others.filter((code) => !(code in ACCEPTED_DIAGNOSTICS))).toEqual([]);
  });

  it('has a receive operation for every WebSocket route row, with its frame', () => {
    for (const row of wsRoutes) {
      const operation = parsed.operations().get(row.name);
      expect(operation, row.name).toBeDefined();
      expect(operation!.action()).toBe('receive');
      expect(raw.operations[row.name]['x-route-key']).toBe(row.routeKey);
      const messages = operation!.messages().all().map((m) => m.name());
      if (CLIENT_FRAMES[row.routeKey]) {
        expect(messages).toEqual([row.routeKey]);
        // Replies: the server frames that answer this action, `error` always among them.
        expect(operation!.reply()?.messages().all().map((m) => m.name())).toContain('error');
      } else {
        // $connect and $disconnect take no frame: the operation says what they mean.
        expect(messages, row.routeKey).toEqual([]);
        expect(CONNECTION_EVENTS[row.routeKey], row.routeKey).toBeDefined();
        expect(raw.operations[row.name].description).toBe(CONNECTION_EVENTS[row.routeKey]);
      }
    }
    // An action row's frame is the route's own body schema plus its `action`.
    for (const row of wsRoutes.filter((r) => r.request?.body)) {
      expect(raw.channels.chat.messages[clientMessageKey(row.routeKey)].payload).toBeDefined();
      expect(CLIENT_FRAMES[row.routeKey]!.schema.safeParse({ ...(CLIENT_FRAMES[row.routeKey]!.examples[0]!.payload as object), action: 'other' }).success).toBe(false);
    }
    // $connect's query string: the token its authorizer reads.
    expect(raw.channels.chat.bindings.ws.query.required).toEqual(['token']);
    expect(parsed.servers().all().map((s) => `${s.protocol()}://${s.host()}${s.pathname() ?? ''}`)).toEqual([SERVER_URL]);
  });

  it('documents every server frame the code can send, and nothing else', () => {
    // SERVER_FRAMES has exactly the events of the ServerFrame union push() takes (a compile-time check in frames.ts).
    const events = Object.keys(SERVER_FRAMES).sort();
    const sent = parsed.operations().filterBySend().flatMap((op) => op.messages().all().map((m) => m.name()));
    expect(sent.sort()).toEqual([...events, GATEWAY_ERROR_KEY].sort());
    for (const event of events) {
      expect(parsed.operations().get(pushOperationId(event))?.messages().all().map((m) => m.id())).toEqual([serverMessageKey(event)]);
      expect(raw.channels.chat.messages[serverMessageKey(event)].payload.properties.event).toMatchObject({ const: event });
    }
  });

  it('every example validates against its zod schema and against the schema the document publishes', () => {
    const docs: [string, FrameDoc][] = [
      ...Object.entries(CLIENT_FRAMES).map(([routeKey, doc]) => [clientMessageKey(routeKey), doc] as [string, FrameDoc]),
      ...Object.entries(SERVER_FRAMES).map(([event, doc]) => [serverMessageKey(event), doc as FrameDoc] as [string, FrameDoc]),
      [GATEWAY_ERROR_KEY, GATEWAY_ERROR_FRAME],
    ];
    const compile = publishedSchemas();
    const problems: string[] = [];
    let checked = 0;
    for (const message of parsed.messages().all()) {
      const key = message.id();
      const doc = docs.find(([k]) => k === key)?.[1];
      if (!doc) problems.push(`${key}: no frame documentation`);
      const examples = message.examples().all();
      if (!examples.length) problems.push(`${key}: no example`);
      const validate = compile(raw.channels.chat.messages[key].payload);
      for (const example of examples) {
        checked++;
        if (!validate(example.payload())) problems.push(`${key} ${example.name()}: ${JSON.stringify(validate.errors)}`);
        const zod = doc?.schema.safeParse(example.payload());
        if (zod && !zod.success) problems.push(`${key} ${example.name()} (zod): ${zod.error.message}`);
      }
    }
    expect(problems).toEqual([]);
    expect(parsed.messages().all().map((m) => m.id()).sort()).toEqual(docs.map(([key]) => key).sort());
    expect(checked).toBeGreaterThanOrEqual(docs.length);
  });

  it('the example check has teeth: a wrong example fails both schemas', () => {
    const compile = publishedSchemas();
    const wrong = [
      [serverMessageKey('read'), { event: 'read', conversationId: 1, userId: 2, messageId: 3 }], // seq missing
      [serverMessageKey('pong'), { event: 'pong', extra: true }], // frames are strict
      [serverMessageKey('message'), { event: 'message', message: { id: 1 } }], // a Message, through its $ref
      [clientMessageKey('sendMessage'), { action: 'sendMessage', conversationId: 1, content: '' }],
    ] as const;
    for (const [key, payload] of wrong) expect(compile(raw.channels.chat.messages[key].payload)(payload), key).toBe(false);
    expect(SERVER_FRAMES.read.schema.safeParse(wrong[0][1]).success).toBe(false);
    expect(SERVER_FRAMES.pong.schema.safeParse(wrong[1][1]).success).toBe(false);
  });

  it('without a server URL it has no servers (the local stack passes its own)', () => {
    expect(buildAsyncApiDocument()).not.toHaveProperty('servers');
  });
});
