import { afterEach, describe, expect, it } from 'vitest';
import { useStack } from '../support/context.ts';
import { WsClient, isEvent } from '../support/ws-client.ts';
import type { TestUser } from '../support/client.ts';

const ctx = useStack();
const sockets: WsClient[] = [];
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

async function connect(user: TestUser): Promise<WsClient> {
  const client = await WsClient.connect(ctx.stack.wsUrl, user.token);
  sockets.push(client);
  return client;
}

/** Fresh users (the first six typed as present, for destructuring). */
type Users = [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser, ...TestUser[]];
const users = (n: number, prefix = 'g') => Promise.all(Array.from({ length: n }, (_, i) => ctx.api.newUser(`${prefix}${i}`))) as Promise<Users>;

async function group(owner: TestUser, members: TestUser[], name?: string): Promise<number> {
  const query = members.map((m) => `contactId=${m.id}`).join('&') + (name ? `&name=${encodeURIComponent(name)}` : '');
  const res = await ctx.api.post(`/conversation/create?${query}`, undefined, owner.token);
  expect(res.status).toBe(201);
  return res.body.conversation.id;
}

const post = (path: string, body: unknown, user: TestUser) => ctx.api.post(path, body, user.token);
const members = async (conversationId: number, user: TestUser) => (await ctx.api.get(`/conversation/members?conversationId=${conversationId}`, user.token)).body.members as Array<{ id: number; role: string; joined_at: string }>;
const roleMap = async (conversationId: number, user: TestUser): Promise<Record<number, string>> => Object.fromEntries((await members(conversationId, user)).map((m) => [m.id, m.role]));
const history = async (conversationId: number, user: TestUser) => ctx.api.get(`/message/history/${conversationId}?limit=100`, user.token);
const listIds = async (user: TestUser) => ((await ctx.api.get('/conversation/getlist', user.token)).body.conversations as Array<{ id: number }>).map((c) => c.id);

/** Memberships, member_count and roles agree, from every member's side and from the roster. */
async function expectConsistent(conversationId: number, expectedIds: number[], viewer: TestUser) {
  const list = await members(conversationId, viewer);
  const ids = [viewer.id, ...list.map((m) => m.id)].sort();
  expect(ids).toEqual([...expectedIds].sort());
  const item = (await ctx.api.get('/conversation/getlist', viewer.token)).body.conversations.find((c: { id: number }) => c.id === conversationId);
  expect(item.member_count).toBe(expectedIds.length);
  const roles: Record<number, string> = { ...(await roleMap(conversationId, viewer)), [viewer.id]: item.owner_id === viewer.id ? 'owner' : item.admins.includes(viewer.id) ? 'admin' : 'member' };
  expect(Object.values(roles).filter((r) => r === 'owner')).toHaveLength(1);
  expect(roles[item.owner_id]).toBe('owner');
  for (const admin of item.admins) expect(roles[admin]).toBe('admin');
}

describe('group objects and roles', () => {
  it('create takes a name; the group object and members carry roles, join times and the new fields', async () => {
    const [owner, a, b] = await users(3);
    const res = await ctx.api.post(`/conversation/create?contactId=${a.id}&contactId=${b.id}&name=${encodeURIComponent('周末爬山')}`, undefined, owner.token);
    expect(res.status).toBe(201);
    expect(res.body.conversation).toMatchObject({ type: 'group', name: '周末爬山', owner_id: owner.id, admins: [], member_count: 3, announcement: '', avatar_url: null, invite: 'all' });
    const list = await members(res.body.conversation.id, a);
    expect(list.find((m) => m.id === owner.id)).toMatchObject({ role: 'owner' });
    expect(list.find((m) => m.id === b.id)).toMatchObject({ role: 'member' });
    expect(new Date(list[0]!.joined_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const item = (await ctx.api.get('/conversation/getlist', b.token)).body.conversations[0];
    expect(item).toMatchObject({ id: res.body.conversation.id, name: '周末爬山', owner_id: owner.id, member_count: 3 });
    // A single conversation keeps the seed's shape and refuses a name.
    const single = await ctx.api.post(`/conversation/create?contactId=${a.id}`, undefined, owner.token);
    expect(Object.keys(single.body.conversation).sort()).toEqual(['id', 'members', 'type']);
    expect((await ctx.api.post(`/conversation/create?contactId=${b.id}&name=x`, undefined, owner.token)).status).toBe(400);
  });

  it('who may do what: owner, admin, member, non-member; single conversations answer 400', async () => {
    const [owner, admin, member, other, outsider, newcomer] = await users(6);
    const id = await group(owner, [admin, member, other]);
    expect((await post('/conversation/admins', { conversationId: id, userId: admin.id, admin: true }, member)).body.code).toBe('FORBIDDEN');
    const made = await post('/conversation/admins', { conversationId: id, userId: admin.id, admin: true }, owner);
    expect(made.status).toBe(200);
    expect(made.body.conversation.admins).toEqual([admin.id]);
    expect(made.body.messages[0]).toMatchObject({ type: 'system', system: { event: 'admin_set', actor_id: owner.id, user_ids: [admin.id] } });
    expect(made.body.messages[0].content).toContain('管理员');

    // members: remove is for owner and admins; admins cannot remove admins or the owner.
    const byMember = await post('/conversation/members/remove', { conversationId: id, userIds: [other.id] }, member);
    expect([byMember.status, byMember.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await post('/conversation/members/remove', { conversationId: id, userIds: [owner.id] }, admin)).status).toBe(403);
    // update: owner and admins; admins, transfer, disband: owner only.
    expect((await post('/conversation/update', { conversationId: id, name: '新名字' }, member)).status).toBe(403);
    expect((await post('/conversation/update', { conversationId: id, name: '新名字' }, admin)).status).toBe(200);
    expect((await post('/conversation/transfer', { conversationId: id, userId: member.id }, admin)).status).toBe(403);
    expect((await post('/conversation/disband', { conversationId: id }, admin)).status).toBe(403);
    expect((await post('/conversation/admins', { conversationId: id, userId: member.id, admin: true }, admin)).status).toBe(403);
    // Non-members get 403 (not FORBIDDEN-by-role: they see nothing of the group), unknown groups 404.
    for (const [path, body] of [
      ['/conversation/members/add', { conversationId: id, userIds: [newcomer.id] }],
      ['/conversation/members/remove', { conversationId: id, userIds: [member.id] }],
      ['/conversation/leave', { conversationId: id }],
      ['/conversation/update', { conversationId: id, name: 'x' }],
      ['/conversation/admins', { conversationId: id, userId: member.id, admin: true }],
      ['/conversation/transfer', { conversationId: id, userId: member.id }],
      ['/conversation/disband', { conversationId: id }],
    ] as const) {
      const res = await post(path, body, outsider);
      expect([path, res.status]).toEqual([path, 403]);
      expect(JSON.stringify(res.body)).not.toContain(owner.username);
      expect((await post(path, { ...body, conversationId: 424242 }, owner)).status).toBe(404);
    }
    // A single conversation: 400 for its own members.
    const single = await ctx.api.conversation(owner.token, member.id);
    const onSingle = await post('/conversation/members/add', { conversationId: single, userIds: [newcomer.id] }, owner);
    expect([onSingle.status, onSingle.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await post('/conversation/leave', { conversationId: single }, member)).status).toBe(400);
    await expectConsistent(id, [owner.id, admin.id, member.id, other.id], owner);
  });

  it('invite rule: "all" lets members add, "admins" only owner and admins; ALREADY_MEMBER when all already are', async () => {
    const [owner, member, third, x, y] = await users(5);
    const id = await group(owner, [member, third]);
    const added = await post('/conversation/members/add', { conversationId: id, userIds: [x.id] }, member);
    expect(added.status).toBe(200);
    expect(added.body.conversation.member_count).toBe(4);
    const again = await post('/conversation/members/add', { conversationId: id, userIds: [x.id, owner.id] }, member);
    expect([again.status, again.body.code]).toEqual([409, 'ALREADY_MEMBER']);
    const rule = await post('/conversation/update', { conversationId: id, invite: 'admins' }, owner);
    expect(rule.body.conversation.invite).toBe('admins');
    expect(rule.body.messages[0].system.event).toBe('invite');
    expect((await post('/conversation/members/add', { conversationId: id, userIds: [y.id] }, member)).status).toBe(403);
    expect((await post('/conversation/members/add', { conversationId: id, userIds: [y.id] }, owner)).status).toBe(200);
    expect((await post('/conversation/members/add', { conversationId: id, userIds: [31337] }, owner)).status).toBe(404);
    await expectConsistent(id, [owner.id, member.id, third.id, x.id, y.id], member);
  });

  it('update: name, announcement, avatar (an uploaded key of this conversation); one system message per change', async () => {
    const [owner, member, third] = await users(3);
    const id = await group(owner, [member, third]);
    const res = await post('/conversation/update', { conversationId: id, name: '读书会', announcement: '每周三晚八点' }, owner);
    expect(res.body.conversation).toMatchObject({ name: '读书会', announcement: '每周三晚八点' });
    expect(res.body.messages.map((m: { system: { event: string } }) => m.system.event)).toEqual(['renamed', 'announcement']);
    expect(res.body.messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);
    const same = await post('/conversation/update', { conversationId: id, name: '读书会' }, owner);
    expect(same.body.messages).toEqual([]);
    expect((await post('/conversation/update', { conversationId: id, name: 'x'.repeat(65) }, owner)).status).toBe(400);
    expect((await post('/conversation/update', { conversationId: id, announcement: 'x'.repeat(2001) }, owner)).status).toBe(400);
    expect((await post('/conversation/update', { conversationId: id, avatarKey: 'conversations/1/2.png' }, owner)).status).toBe(400);
    expect((await post('/conversation/update', { conversationId: id, avatarKey: `conversations/${id}/123.png` }, owner)).status).toBe(400); // not uploaded
    const text = (await history(id, member)).body.messages.map((m: { content: string }) => m.content);
    expect(text).toEqual([expect.stringContaining('读书会'), expect.stringContaining('每周三晚八点')]);
  });

  it('transfer: the old owner becomes an admin; leave hands ownership to the earliest admin, else the earliest member; the last out disbands', async () => {
    const [owner, a, b, c] = await users(4);
    const id = await group(owner, [a, b]);
    await post('/conversation/members/add', { conversationId: id, userIds: [c.id] }, owner);
    const moved = await post('/conversation/transfer', { conversationId: id, userId: a.id }, owner);
    expect(moved.body.conversation).toMatchObject({ owner_id: a.id, admins: [owner.id] });
    await post('/conversation/admins', { conversationId: id, userId: c.id, admin: true }, a);
    // a leaves: the earliest-joined admin is the old owner (joined at creation, before c).
    const left = await post('/conversation/leave', { conversationId: id }, a);
    expect(left.status).toBe(200);
    expect(left.body.conversation).toBeNull();
    expect(left.body.messages.map((m: { system: { event: string } }) => m.system.event)).toEqual(['member_left', 'owner_transferred']);
    expect((await roleMap(id, b))[owner.id]).toBe('owner');
    await post('/conversation/leave', { conversationId: id }, owner); // c is the only admin left
    expect((await roleMap(id, b))[c.id]).toBe('owner');
    await post('/conversation/admins', { conversationId: id, userId: c.id, admin: false }, c).then((r) => expect(r.status).toBe(400));
    await post('/conversation/leave', { conversationId: id }, c); // no admin: the earliest-joined member, b
    expect((await ctx.api.get('/conversation/getlist', b.token)).body.conversations.find((x: { id: number }) => x.id === id).owner_id).toBe(b.id);
    const last = await post('/conversation/leave', { conversationId: id }, b);
    expect(last.body.messages[0].system.event).toBe('disbanded');
    expect(await listIds(b)).not.toContain(id);
    expect((await history(id, b)).status).toBe(403);
  });
});

describe('system messages, pushes and access after a change', () => {
  it('members get the system message and the conversation object; the removed user gets one removed event and nothing after', async () => {
    const [owner, stays, removed] = await users(3);
    const id = await group(owner, [stays, removed]);
    const [staysWs, removedWs] = await Promise.all([connect(stays), connect(removed)]);
    const res = await post('/conversation/members/remove', { conversationId: id, userIds: [removed.id] }, owner);
    expect(res.body.messages[0]).toMatchObject({ type: 'system', seq: 1, system: { event: 'member_removed', actor_id: owner.id, user_ids: [removed.id] } });
    const [message] = await staysWs.waitFor(isEvent('message'));
    expect(message!.message).toMatchObject({ seq: 1, type: 'system', content: expect.stringContaining('移出了群聊') });
    const [object] = await staysWs.waitFor(isEvent('conversation'));
    expect(object!.conversation).toMatchObject({ id, member_count: 2, members: [owner.id] });
    const [gone] = await removedWs.waitFor(isEvent('removed'));
    expect(gone).toEqual({ event: 'removed', conversationId: id });

    // The removed socket stays open and is watched: nothing of the group reaches it any more.
    await post('/message/send', { conversationId: id, content: 'after removal' }, owner);
    staysWs.send({ action: 'typing', conversationId: id });
    await staysWs.waitFor((f) => f.event === 'message' && f.message.content === 'after removal');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(removedWs.frames.filter((f) => f.event !== 'removed')).toEqual([]);
    expect(removedWs.frames).toHaveLength(1);

    // 403 on history, members, send, markRead, typing; gone from getlist.
    expect((await history(id, removed)).status).toBe(403);
    expect((await ctx.api.get(`/conversation/members?conversationId=${id}`, removed.token)).status).toBe(403);
    expect((await post('/message/send', { conversationId: id, content: 'let me in' }, removed)).status).toBe(403);
    const markRead = await removedWs.request({ action: 'markRead', conversationId: id, seq: 1 }, isEvent('error'));
    expect(markRead.code).toBe('FORBIDDEN');
    const typing = await removedWs.request({ action: 'typing', conversationId: id }, isEvent('error'));
    expect(typing.code).toBe('FORBIDDEN');
    expect(await listIds(removed)).not.toContain(id);
  });

  it('a member added later sees history from their join onward, unread from there', async () => {
    const [owner, member, third, late] = await users(4);
    const id = await group(owner, [member, third]);
    await post('/message/send', { conversationId: id, content: 'before' }, owner);
    const added = await post('/conversation/members/add', { conversationId: id, userIds: [late.id] }, member);
    const joinSeq = added.body.messages[0].seq;
    await post('/message/send', { conversationId: id, content: 'after' }, owner);
    const page = (await history(id, late)).body;
    expect(page.messages.map((m: { content: string }) => m.content)).toEqual([expect.stringContaining('加入了群聊'), 'after']);
    expect(page.messages[0].seq).toBe(joinSeq);
    expect((await ctx.api.get(`/message/history/${id}?after_seq=0`, late.token)).body.messages).toHaveLength(2);
    const beforeId = (await history(id, owner)).body.messages[0].id;
    // An id from before the join is a place in time just before it: nothing earlier comes back.
    const fromBefore = await ctx.api.get(`/message/history/${id}?after=${beforeId}`, late.token);
    expect(fromBefore.body.messages.map((m: { seq: number }) => m.seq)).toEqual([joinSeq, joinSeq + 1]);
    expect((await ctx.api.get(`/message/history/${id}?before=${beforeId}`, late.token)).body.messages).toEqual([]);
    const item = (await ctx.api.get('/conversation/getlist', late.token)).body.conversations[0];
    expect(item).toMatchObject({ id, unread: 2, last_message: { content: 'after' } });
  });

  it('disband ends the group for everyone: removed to each, gone from every getlist, 403 after', async () => {
    const [owner, a, b] = await users(3);
    const id = await group(owner, [a, b]);
    const aWs = await connect(a);
    const res = await post('/conversation/disband', { conversationId: id }, owner);
    expect(res.status).toBe(200);
    expect(res.body.conversation).toBeNull();
    await aWs.waitFor((f) => f.event === 'message' && f.message.system?.event === 'disbanded');
    await aWs.waitFor(isEvent('removed'));
    for (const user of [owner, a, b]) {
      expect(await listIds(user)).not.toContain(id);
      expect((await history(id, user)).status).toBe(403);
      // The send path finds no roster at all: a disbanded group answers as one that is gone.
      expect([403, 404]).toContain((await post('/message/send', { conversationId: id, content: 'x' }, user)).status);
    }
    expect((await post('/conversation/members/add', { conversationId: id, userIds: [b.id] }, owner)).status).toBe(403);
  });
});

describe('consent and abuse', () => {
  it('groupInvites "contacts": refused with INVITE_NOT_ALLOWED naming the user and adding nobody; being their contact lifts it', async () => {
    const [victim, stranger, friend, other] = await users(4);
    const profile = await ctx.api.get('/user/profile', victim.token);
    expect(profile.body.user.settings).toEqual({ groupInvites: 'anyone' });
    const set = await post('/user/settings', { groupInvites: 'contacts' }, victim);
    expect(set.body.settings).toEqual({ groupInvites: 'contacts' });
    expect((await ctx.api.get('/user/profile', victim.token)).body.user.settings).toEqual({ groupInvites: 'contacts' });
    expect((await ctx.api.get(`/user/profile/${victim.id}`, stranger.token)).body.user.settings).toBeUndefined();

    const refused = await ctx.api.post(`/conversation/create?contactId=${victim.id}&contactId=${friend.id}`, undefined, stranger.token);
    expect([refused.status, refused.body.code, refused.body.userId]).toEqual([403, 'INVITE_NOT_ALLOWED', victim.id]);
    expect(refused.body.message).toContain(String(victim.id));
    expect(await listIds(friend)).toEqual([]);
    const id = await group(stranger, [friend, other]);
    const add = await post('/conversation/members/add', { conversationId: id, userIds: [victim.id] }, stranger);
    expect(add.body.code).toBe('INVITE_NOT_ALLOWED');
    expect(await listIds(victim)).toEqual([]);
    await expectConsistent(id, [stranger.id, friend.id, other.id], friend);
    // A single conversation is not a group: still allowed.
    expect((await ctx.api.post(`/conversation/create?contactId=${victim.id}`, undefined, stranger.token)).status).toBe(201);
    // The victim adds the stranger as a contact: now they may.
    await post('/contacts/add', { id: stranger.id }, victim);
    expect((await post('/conversation/members/add', { conversationId: id, userIds: [victim.id] }, stranger)).status).toBe(200);
    expect((await post('/user/settings', { groupInvites: 'nobody' }, victim)).status).toBe(400);
  });

  it('a user who blocks the caller cannot be added; anyone can leave', async () => {
    const [owner, member, third, blocker] = await users(4);
    const id = await group(owner, [member, third]);
    await ctx.api.post(`/user/ban/${owner.id}`, {}, blocker.token);
    const res = await post('/conversation/members/add', { conversationId: id, userIds: [blocker.id] }, owner);
    expect([res.status, res.body.code]).toEqual([403, 'BLOCKED']);
    expect((await post('/conversation/leave', { conversationId: id }, member)).status).toBe(200);
    await expectConsistent(id, [owner.id, third.id], owner);
  });
});

describe('races: memberships, member_count and roles always agree', () => {
  it('two admins removing each other while the owner demotes one: never both, always consistent', async () => {
    for (let round = 0; round < 3; round++) {
      const [owner, a, b, m] = await users(4);
      const id = await group(owner, [a, b, m]);
      await post('/conversation/admins', { conversationId: id, userId: a.id, admin: true }, owner);
      await post('/conversation/admins', { conversationId: id, userId: b.id, admin: true }, owner);
      const [aRemovesB, bRemovesA, demoteB] = await Promise.all([
        post('/conversation/members/remove', { conversationId: id, userIds: [b.id] }, a),
        post('/conversation/members/remove', { conversationId: id, userIds: [a.id] }, b),
        post('/conversation/admins', { conversationId: id, userId: b.id, admin: false }, owner),
      ]);
      expect(demoteB.status).toBe(200);
      expect(bRemovesA.status).toBe(403); // a stays an admin throughout: an admin cannot remove an admin
      expect([200, 403]).toContain(aRemovesB.status);
      expect(aRemovesB.status === 200 && bRemovesA.status === 200).toBe(false);
      await expectConsistent(id, aRemovesB.status === 200 ? [owner.id, a.id, m.id] : [owner.id, a.id, b.id, m.id], owner);
    }
  });

  it('an add racing a disband: either the add lands first and the disband removes everyone, or the add fails', async () => {
    for (let round = 0; round < 3; round++) {
      const [owner, member, third, ...newcomers] = await users(6);
      const id = await group(owner, [member, third]);
      const [add, disband] = await Promise.all([
        post('/conversation/members/add', { conversationId: id, userIds: newcomers.map((n) => n.id) }, member),
        post('/conversation/disband', { conversationId: id }, owner),
      ]);
      expect(disband.status).toBe(200);
      expect(add.status).toBeLessThan(500);
      for (const user of [owner, member, ...newcomers]) expect(await listIds(user)).not.toContain(id);
      expect((await history(id, newcomers[0]!)).status).toBe(403);
    }
  });

  it('ten concurrent adds of different users: all land, member_count matches the roster', async () => {
    const [owner, ...rest] = await users(11);
    const id = await group(owner, rest.slice(0, 2));
    const results = await Promise.all(rest.slice(2).map((u) => post('/conversation/members/add', { conversationId: id, userIds: [u.id] }, owner)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    await expectConsistent(id, [owner.id, ...rest.map((u) => u.id)], owner);
    const seqs = (await history(id, owner)).body.messages.map((m: { seq: number }) => m.seq);
    expect(seqs).toEqual(Array.from({ length: 8 }, (_, i) => i + 1));
  });
});

describe('bad input on the group endpoints', () => {
  it('answers a 4xx envelope naming the field', async () => {
    const [owner, member, third] = await users(3);
    const id = await group(owner, [member, third]);
    const cases: Array<[string, unknown]> = [
      ['/conversation/members/add', { conversationId: id }],
      ['/conversation/members/add', { conversationId: id, userIds: [] }],
      ['/conversation/members/add', { conversationId: id, userIds: ['x'] }],
      ['/conversation/members/remove', { conversationId: 'abc', userIds: [1] }],
      ['/conversation/members/remove', { conversationId: id, userIds: [owner.id] }],
      ['/conversation/update', { conversationId: id, invite: 'everyone' }],
      ['/conversation/admins', { conversationId: id, userId: member.id }],
      ['/conversation/transfer', { conversationId: id, userId: owner.id }],
      ['/conversation/leave', {}],
      ['/user/settings', {}],
    ];
    for (const [path, body] of cases) {
      const res = await post(path, body, owner);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: expect.any(String) });
    }
  });
});
