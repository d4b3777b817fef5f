import { describe, expect, it } from 'vitest';
import { useSockets, useStack } from '../support/context.ts';
import { isEvent, type Frame } from '../support/ws-client.ts';
import { buildAsyncApiDocument } from '../../shared/ws/asyncapi.ts';
import { SERVER_FRAMES } from '../../shared/ws/frames.ts';
import { wsRoutes } from '../../shared/routes.ts';

/** Two connections per user at most, so the eviction frame (the oldest connection's RATE_LIMITED) is reachable. */
const ctx = useStack({ LIMIT_CONNECTIONS_PER_USER: '2', BCRYPT_COST: '4' });
const connect = useSockets(ctx);

describe('AsyncAPI document on the local stack', () => {
  it('serves /asyncapi.json: the generated document, with this stack as its server', async () => {
    const res = await fetch(`${ctx.stack.httpUrl}/asyncapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const served = (await res.json()) as { servers: { chat: unknown } };
    expect(served).toEqual(JSON.parse(JSON.stringify(buildAsyncApiDocument({ serverUrl: ctx.stack.wsUrl }))));
    expect(served.servers.chat).toEqual({ host: new URL(ctx.stack.wsUrl).host, protocol: 'ws' });
  });

  it('shows it on /docs/asyncapi as a plain page linked from /docs: every operation and frame, nothing from outside', async () => {
    const docs = await (await fetch(`${ctx.stack.httpUrl}/docs`)).text();
    expect(docs).toContain('href="/docs/asyncapi"');
    expect(docs).toContain('href="/asyncapi.json"');
    const res = await fetch(`${ctx.stack.httpUrl}/docs/asyncapi`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).not.toMatch(/<script|https?:\/\//);
    for (const row of wsRoutes) expect(page, row.routeKey).toContain(`id="operation-${row.name}"`);
    for (const event of Object.keys(SERVER_FRAMES)) expect(page, event).toContain(`id="message-${event}Event"`);
    expect(page).toContain('id="schema-Message"');
  });
});

describe('the frames the server really sends', () => {
  it('are each valid against their documented schema, and the scenario reaches every documented event', async () => {
    const [alice, bob, carol, dave] = await Promise.all([ctx.api.newUser('alice'), ctx.api.newUser('bob'), ctx.api.newUser('carol'), ctx.api.newUser('dave')]);
    const group = await ctx.api.conversation(alice.token, bob.id, carol.id);
    const [aliceWs, bobWs] = await Promise.all([connect(alice), connect(bob)]);

    const ack = await aliceWs.request({ action: 'sendMessage', conversationId: group, content: 'hi', clientMessageId: 'a-1' }, isEvent('ack'));
    await bobWs.waitFor(isEvent('message'));
    bobWs.send({ action: 'markRead', conversationId: group, messageId: ack.message.id });
    await aliceWs.waitFor(isEvent('read'));
    bobWs.send({ action: 'typing', conversationId: group });
    await aliceWs.waitFor(isEvent('typing'));
    await aliceWs.request({ action: 'ping' }, isEvent('pong'));
    await aliceWs.request({ action: 'shout' }, isEvent('error'));
    await aliceWs.request({ action: 'sendMessage', conversationId: group, content: 'x'.repeat(200 * 1024) }, (f) => f.code === 'PAYLOAD_TOO_LARGE');

    expect((await ctx.api.post('/conversation/update', { conversationId: group, name: 'renamed' }, alice.token)).status).toBe(200);
    await bobWs.waitFor(isEvent('conversation'));
    const sent = await ctx.api.post('/message/send', { conversationId: group, content: 'oops' }, alice.token);
    expect((await ctx.api.post('/message/recall', { conversationId: group, messageId: sent.body.data.id }, alice.token)).status).toBe(200);
    await bobWs.waitFor(isEvent('recalled'));
    expect((await ctx.api.post('/conversation/members/remove', { conversationId: group, userIds: [bob.id] }, alice.token)).status).toBe(200);
    await bobWs.waitFor(isEvent('removed'));

    // Over the connection cap the oldest of dave's connections is told why it is closed.
    const daveFirst = await connect(dave);
    await connect(dave);
    await connect(dave);
    await daveFirst.waitFor((f) => f.event === 'error' && f.code === 'RATE_LIMITED');

    const frames: Frame[] = [aliceWs, bobWs, daveFirst].flatMap((client) => client.received());
    const problems = frames.flatMap((frame) => {
      const doc = SERVER_FRAMES[frame.event as keyof typeof SERVER_FRAMES];
      if (!doc) return [`undocumented frame: ${JSON.stringify(frame).slice(0, 200)}`];
      const parsed = doc.schema.safeParse(frame);
      return parsed.success ? [] : [`${frame.event}: ${parsed.error.message} in ${JSON.stringify(frame).slice(0, 300)}`];
    });
    expect(problems).toEqual([]);
    expect([...new Set(frames.map((f) => f.event))].sort()).toEqual(Object.keys(SERVER_FRAMES).sort());
  });
});
