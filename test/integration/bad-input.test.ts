import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { httpRoutes } from '../../shared/routes.ts';
import type { TestUser } from '../support/client.ts';

/**
 * Every HTTP route of the route table, fed bad input: each must answer a clear 4xx JSON envelope, never a 5xx.
 * Generated from the table, so a new route is covered without touching this file.
 */
const ctx = useStack();
let user: TestUser;
beforeAll(async () => {
  user = await ctx.api.newUser('bad');
});
// A fresh token for every test: POST /user/logout (and a password change) revoke the ones issued before.
beforeEach(async () => {
  user.token = (await ctx.api.post('/user/login', { username: user.username, password: user.password })).body.token;
});

const badIds = ['abc', '-5', '0', '1.5', '9007199254740992', '123456789012345678901234567890', "1' OR '1'='1", '%F0%9F%92%A9', '1e5'];
const badBodies: Array<[string, string]> = [
  ['malformed JSON', '{"username": '],
  ['a JSON array', '[1,2,3]'],
  ['a JSON string', '"hello"'],
  ['null', 'null'],
  ['wrong types', JSON.stringify({ username: 5, password: [], nickname: {}, id: 'x', conversationId: true, content: 7, contentType: 1, size: 'big' })],
  ['a 1 MB string', JSON.stringify({ username: 'x'.repeat(1024 * 1024), content: 'x'.repeat(10) })],
  ['deep nesting', '['.repeat(5000) + ']'.repeat(5000)],
];

/** GET requests carry no body (fetch refuses one, as browsers do). */
const bodyFor = (method: string) => (method === 'GET' ? {} : { body: {} });

function concretePath(path: string, id: string): string {
  return path.replace(/\{\w+\}/g, id);
}

describe.each(httpRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_, route) => {
  it('answers bad bodies with a 4xx envelope', async () => {
    if (route.method === 'GET' || route.method === 'DELETE') return expect(route.request?.body).toBeUndefined();
    // A route that takes no body ignores one (POST /user/logout): it must still never answer 5xx or a bare error.
    const takesBody = Boolean(route.request?.body);
    for (const [name, raw] of badBodies) {
      const res = await ctx.api.request(route.method, concretePath(route.path, '1') + (route.request?.query ? '?contactId=1' : ''), { token: user.token, raw, headers: { 'content-type': 'application/json' } });
      if (!takesBody) {
        expect(res.status, name).toBeLessThan(500);
        expect(typeof res.body.success, name).toBe('boolean');
        continue;
      }
      expect(res.status, name).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      expect(res.body, name).toMatchObject({ success: false });
      expect(typeof res.body.code, name).toBe('string');
    }
  });

  it('answers bad ids in the path and query with 400 naming the field', async () => {
    const params = route.path.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)) ?? [];
    const queryIds = route.request?.query ? Object.keys((route.request.query as unknown as { shape: object }).shape).filter((k) => /id/i.test(k)) : [];
    for (const bad of badIds) {
      for (const param of params) {
        const res = await ctx.api.request(route.method, concretePath(route.path, encodeURIComponent(bad)), { token: user.token, ...bodyFor(route.method) });
        expect(res.status, `${param}=${bad}`).toBe(400);
        expect(res.body.field, `${param}=${bad}`).toBe(param);
      }
      for (const name of queryIds) {
        const res = await ctx.api.request(route.method, `${concretePath(route.path, '1')}?${name}=${encodeURIComponent(bad)}`, { token: user.token, ...bodyFor(route.method) });
        expect(res.status, `${name}=${bad}`).toBe(400);
        expect(res.body.success).toBe(false);
      }
    }
  });

  it(route.auth ? 'refuses a missing token with 401 before looking at the input' : 'is public', async () => {
    const res = await ctx.api.request(route.method, concretePath(route.path, '1'), route.method === 'GET' ? {} : { raw: '{' });
    expect(res.status).toBe(route.auth ? 401 : 400);
  });
});

describe('requests no route serves ($default row)', () => {
  it.each([['GET', '/nope'], ['GET', '/user/profile/'], ['POST', '/user/profile/1/extra'], ['PUT', '/'], ['GET', '/user/register/%F0%9F%92%A9']])(
    '%s %s answers 404 with the envelope',
    async (method, path) => {
      const res = await ctx.api.request(method, path, { token: user.token, ...(method === 'GET' ? {} : { raw: '{}' }) });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND', message: expect.any(String) });
    },
  );

  it.each(httpRoutes.map((row) => [row.method === 'DELETE' ? 'POST' : 'DELETE', row.path, row.method] as const))(
    '%s %s answers 405 naming the methods the path has',
    async (method, path, allowed) => {
      const res = await ctx.api.request(method, concretePath(path, '1'), { token: user.token, raw: '{}' });
      expect(res.status).toBe(405);
      expect(res.body).toMatchObject({ success: false, code: 'METHOD_NOT_ALLOWED', allow: [allowed] });
      expect(res.headers.get('allow')).toBe(allowed);
    },
  );
});
