import { describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';

const ctx = useStack({ BCRYPT_COST: '4' });

describe('getlist paging', () => {
  it('pages 250 conversations most recently active first, stable while messages arrive between pages', async () => {
    const [me, a, b] = await Promise.all([ctx.api.newUser('pager'), ctx.api.newUser('a'), ctx.api.newUser('b')]);
    const ids: number[] = [];
    for (let i = 0; i < 250; i += 25) ids.push(...(await Promise.all(Array.from({ length: 25 }, () => ctx.api.conversation(me.token, a.id, b.id)))));
    const page = (query: string) => ctx.api.get(`/conversation/getlist${query}`, me.token);

    const first = await page('?limit=100');
    expect(first.status).toBe(200);
    expect(first.body.conversations).toHaveLength(100);
    expect(typeof first.body.next_cursor).toBe('string');
    // Messages arrive in conversations already seen: they move to the top, and later pages neither repeat nor lose any.
    const seen = first.body.conversations.map((c: { id: number }) => c.id);
    await Promise.all(seen.slice(50, 60).map((conversationId: number) => ctx.api.post('/message/send', { conversationId, content: 'bump' }, a.token)));
    const second = await page(`?limit=100&cursor=${first.body.next_cursor}`);
    await Promise.all(seen.slice(0, 5).map((conversationId: number) => ctx.api.post('/message/send', { conversationId, content: 'bump' }, b.token)));
    const third = await page(`?limit=100&cursor=${second.body.next_cursor}`);
    expect(second.body.conversations).toHaveLength(100);
    expect(third.body.conversations).toHaveLength(50);
    expect(third.body.next_cursor).toBeNull();
    const all = [...seen, ...second.body.conversations.map((c: { id: number }) => c.id), ...third.body.conversations.map((c: { id: number }) => c.id)];
    expect(new Set(all).size).toBe(250);
    expect([...all].sort()).toEqual([...ids].sort());
    // Within a page: most recently active first.
    const times = second.body.conversations.map((c: { updated_at: string }) => c.updated_at);
    expect(times).toEqual([...times].sort().reverse());
    // A fresh first page shows the bumped ones on top; the default (no limit) is 100.
    const fresh = await page('');
    expect(fresh.body.conversations).toHaveLength(100);
    expect(fresh.body.conversations.slice(0, 5).map((c: { id: number }) => c.id).sort()).toEqual(seen.slice(0, 5).sort());
  }, 120_000);

  it('refuses a tampered cursor and an out-of-range limit with 400', async () => {
    const [me, a, b] = await Promise.all([ctx.api.newUser('pager'), ctx.api.newUser('a'), ctx.api.newUser('b')]);
    await ctx.api.conversation(me.token, a.id, b.id);
    await ctx.api.conversation(me.token, a.id);
    const first = await ctx.api.get('/conversation/getlist?limit=1', me.token);
    const cursor: string = first.body.next_cursor;
    const decoded = Buffer.from(cursor, 'base64url').toString();
    const forged = Buffer.from(decoded.replace(/"id":\d+/, '"id":1')).toString('base64url');
    for (const bad of [forged, 'garbage', cursor.slice(0, -2), Buffer.from('{"t":1}|x').toString('base64url')]) {
      const res = await ctx.api.get(`/conversation/getlist?cursor=${encodeURIComponent(bad)}`, me.token);
      expect([res.status, res.body.code, res.body.field]).toEqual([400, 'VALIDATION_FAILED', 'cursor']);
    }
    for (const limit of ['0', '101', 'x']) expect((await ctx.api.get(`/conversation/getlist?limit=${limit}`, me.token)).status).toBe(400);
    expect((await ctx.api.get(`/conversation/getlist?cursor=${cursor}`, me.token)).body).toMatchObject({ next_cursor: null, conversations: [expect.any(Object)] });
  });
});
