import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { fill, requestFor } from '../support/route-requests.ts';
import { sideEffects } from '../support/side-effects.ts';
import { makePng } from '../support/images.ts';
import { httpRoutes, writesNothing, type HttpRoute } from '../../shared/routes.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * A revoked token gets 401 on every route, and the route leaves nothing behind: no item, no object, no push.
 * Generated from the route table, so a new row with a side effect that runs alongside the token check fails here.
 * (On main the revoked-token multipart image upload answered 401 and stored the image.)
 */
let stack: LocalStack;
let api: Api;
let owner: TestUser;
let peer: TestUser;
let conversationId: number;
let messageId: number;
let revoked: string;
let effects: ReturnType<typeof sideEffects>;

beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4' });
  api = new Api(stack.httpUrl);
  [owner, peer] = await Promise.all([api.newUser('owner'), api.newUser('peer')]) as [TestUser, TestUser];
  conversationId = await api.conversation(owner.token, peer.id);
  messageId = (await api.post('/message/send', { conversationId, content: 'hello' }, owner.token)).body.data.id;
  revoked = (await api.post('/user/login', { username: owner.username, password: owner.password })).body.token;
  expect((await api.post('/user/logout', undefined, revoked)).status).toBe(200);
  // The owner's live token again (logout revoked every token of the owner), for the control case.
  owner = { ...owner, token: (await api.post('/user/login', { username: owner.username, password: owner.password })).body.token };
  effects = sideEffects(stack);
});
afterAll(() => stack?.stop());

const examples = () => ({ content: 'probe', oldPassword: owner.password, newPassword: owner.password, contentType: 'image/png', size: 1024, userIds: [peer.id], admin: true, groupInvites: 'anyone' });

/** Every way a route can be called validly: its JSON request, and the multipart form where the row accepts one. */
function requests(route: HttpRoute, token: string): Array<() => Promise<{ status: number; body: any }>> {
  const { method, path, body } = requestFor(route, fill(route, { conversation: conversationId, message: messageId, user: peer.id }, examples()));
  const calls: Array<() => Promise<{ status: number; body: any }>> = [() => api.request(method, path, { token, ...(body !== undefined ? { body } : {}) })];
  if (route.request?.multipart) {
    calls.push(async () => {
      const form = new FormData();
      form.append('conversationId', String(conversationId));
      form.append('image', new Blob([makePng(4, 4, Date.now() % 1000)]), 'a.png');
      const res = await fetch(stack.httpUrl + route.path, { method: route.method, body: form, headers: { token } });
      return { status: res.status, body: (await res.json()) as any };
    });
  }
  return calls;
}

describe('a revoked token leaves no trace (generated from the route table)', () => {
  it.each(httpRoutes.filter((route) => route.auth).map((route) => [route.name, route] as const))('%s: 401 and nothing written, stored or pushed', async (_, route) => {
    for (const call of requests(route, revoked)) {
      const before = await effects.snapshot();
      const res = await call();
      const changed = effects.diff(before, await effects.snapshot());
      expect([res.status, res.body.code, changed]).toEqual([401, 'UNAUTHORIZED', []]);
    }
  });

  it('the detector sees what a live token writes: the same multipart upload stores the image', async () => {
    const upload = requests(httpRoutes.find((route) => route.request?.multipart)!, owner.token).at(-1)!;
    const before = await effects.snapshot();
    expect((await upload()).status).toBe(201);
    expect(effects.diff(before, await effects.snapshot())).toEqual([expect.stringMatching(/^object stored: conversations\//)]);
  });

  it('only routes that write nothing anywhere run alongside the token check', () => {
    const alongside = httpRoutes.filter((route) => route.auth && writesNothing(route.access)).map((route) => route.name);
    expect(alongside).not.toContain('messageImage');
    expect(alongside.length).toBeGreaterThan(0);
  });
});
