import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { attackerTokens, tableAdmin } from '../support/security.ts';
import { fieldsOf, fill, kindOf, requestFor } from '../support/route-requests.ts';
import { WsClient, refusedStatus, routeHandled, type Frame } from '../support/ws-client.ts';
import { httpRoutes, wsRoutes, type HttpRoute } from '../../shared/routes.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/**
 * The authorization matrix (OWASP API1/API5: broken object- and function-level authorization), generated from the
 * route table: every authenticated HTTP route × every kind of caller × the object ids it takes (an existing object
 * and a missing one). Only members and owners may get a conversation's data; every bad token gets 401.
 */
type Caller = 'none' | 'forged' | 'expired' | 'algNone' | 'revoked' | 'deletedUser' | 'nonMember' | 'blocked' | 'member' | 'owner';
const REFUSED_CALLERS: Caller[] = ['none', 'forged', 'expired', 'algNone', 'revoked', 'deletedUser'];
const SIGNED_IN_CALLERS: Caller[] = ['nonMember', 'blocked', 'member', 'owner'];
/** Routes a user blocked by the target may not use on them (the rest, like blocking back, stay open). */
const REFUSED_TO_BLOCKED = new Set(['conversationCreate']);
/**
 * Routes only the group's owner (or admins) may use on the matrix's objects: a plain member gets 403 FORBIDDEN. (The
 * matrix's message is the owner's, and a member may recall only their own.)
 */
const NEEDS_GROUP_ROLE = new Set(['conversationMembersRemove', 'conversationUpdate', 'conversationAdmins', 'conversationTransfer', 'conversationDisband', 'messageRecall']);
/** Routes that change the group (members, roles, disband): each signed-in case gets a fresh group, so none sees another's effect. */
const changesTheGroup = (route: HttpRoute) => route.method === 'POST' && route.path.startsWith('/conversation/') && route.name !== 'conversationCreate';
const MISSING_ID = 2 ** 53 - 1;
const missingIds = { conversation: MISSING_ID, message: MISSING_ID, user: MISSING_ID };
const existingIds = () => ({ conversation: groupId, message: secretMessageId, user: users.owner.id });

let stack: LocalStack;
let api: Api;
let users: Record<'owner' | 'member' | 'nonMember' | 'blocked' | 'third' | 'invitee', TestUser>;
let groupId: number;
/** The group holding the secret message; group-changing cases run on fresh groups instead. */
let secretGroupId: number;
let secretMessageId: number;
let revokedToken: string;
let deletedUserToken: string;
const SECRET = `secret-${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  // Fast hashes: the matrix logs in before every signed-in case. (Production cost stays at config's 10.)
  stack = await startTestStack({ BCRYPT_COST: '4' });
  api = new Api(stack.httpUrl);
  const [owner, member, nonMember, blocked, deleted, third, invitee] = await Promise.all(['owner', 'member', 'outsider', 'blocked', 'deleted', 'third', 'invitee'].map((p) => api.newUser(p)));
  users = { owner: owner!, member: member!, nonMember: nonMember!, blocked: blocked!, third: third!, invitee: invitee! };
  secretGroupId = groupId = await api.conversation(owner!.token, member!.id, deleted!.id);
  const secret = await api.post('/message/send', { conversationId: groupId, content: SECRET }, owner!.token);
  expect(secret.status).toBe(201);
  secretMessageId = secret.body.data.id;
  expect((await api.post(`/user/ban/${blocked!.id}`, undefined, owner!.token)).status).toBe(200);
  // A member's token from before they logged out everywhere, and a member who was then deleted.
  revokedToken = (await api.post('/user/login', { username: member!.username, password: member!.password })).body.token;
  expect((await api.post('/user/logout', undefined, revokedToken)).status).toBe(200);
  deletedUserToken = deleted!.token;
  await tableAdmin(stack).deleteUser(deleted!.id);
});
afterAll(() => stack?.stop());

async function tokenFor(caller: Caller): Promise<string | undefined> {
  switch (caller) {
    case 'none':
      return undefined;
    case 'forged':
      return attackerTokens.forged(users.owner.id);
    case 'expired':
      return attackerTokens.expired(users.owner.id);
    case 'algNone':
      return attackerTokens.algNone(users.owner.id);
    case 'revoked':
      return revokedToken;
    case 'deletedUser':
      return deletedUserToken;
    default: {
      // A fresh token every case: logout and password changes in earlier cases revoke the previous one.
      const user = users[caller];
      const login = await api.post('/user/login', { username: user.username, password: user.password });
      expect(login.status).toBe(200);
      return login.body.token;
    }
  }
}

const examplesFor = (caller: Caller): Record<string, unknown> => {
  const password = caller in users ? users[caller as keyof typeof users].password : 'correct-horse-1';
  return { content: `matrix probe from ${caller}`, oldPassword: password, newPassword: password, contentType: 'image/png', size: 1024, userIds: [users.invitee.id], admin: true, groupInvites: 'anyone' };
};

describe('authorization matrix (generated from the route table)', () => {
  it('lets only members and owners reach a conversation, and refuses every bad token', async () => {
    const authRoutes = httpRoutes.filter((r) => r.auth);
    const publicRoutes = httpRoutes.filter((r) => !r.auth).map((r) => r.name);
    const violations: string[] = [];
    const grid: Record<string, Record<string, string>> = {};
    let cases = 0;
    let serverErrors = 0;

    for (const route of authRoutes) {
      const kinds = new Set(fieldsOf(route).filter((f) => f.required).map(kindOf));
      const takesConversation = kinds.has('conversation');
      const variants = kinds.size > (kinds.has('value') ? 1 : 0) ? (['existing', 'missing'] as const) : (['existing'] as const);
      grid[route.name] = {};
      for (const caller of [...REFUSED_CALLERS, ...SIGNED_IN_CALLERS]) {
        const statuses: number[] = [];
        for (const variant of variants) {
          groupId = changesTheGroup(route) && SIGNED_IN_CALLERS.includes(caller) ? await api.conversation((await tokenFor('owner'))!, users.member.id, users.third.id) : secretGroupId;
          const ids = variant === 'existing' ? existingIds() : missingIds;
          const { method, path, body } = requestFor(route, fill(route, ids, examplesFor(caller), { userId: users.third.id }));
          const res = await api.request(method, path, { token: await tokenFor(caller), ...(body !== undefined ? { body } : {}) });
          cases++;
          statuses.push(res.status);
          if (res.status >= 500) serverErrors++;
          const fail = (why: string) => violations.push(`${route.name} × ${caller} × ${variant}: ${why} (got ${res.status} ${JSON.stringify(res.body).slice(0, 160)})`);
          const text = JSON.stringify(res.body);
          check(route, caller, variant, takesConversation, res.status, res.body?.code, text, fail);
        }
        grid[route.name]![caller] = statuses.join('/');
      }
    }

    console.log(`[authz] public routes (no caller dimension): ${publicRoutes.join(', ')}`);
    console.table(grid);
    console.log(`[authz] routes=${authRoutes.length} callers=${REFUSED_CALLERS.length + SIGNED_IN_CALLERS.length} cases=${cases} responses>=500=${serverErrors} violations=${violations.length}`);
    for (const violation of violations) console.log(`[authz] VIOLATION ${violation}`);
    expect(violations).toEqual([]);
    expect(serverErrors).toBe(0);
  });
});

describe('authorization matrix: WebSocket actions (generated from the route table)', () => {
  it('refuses every bad token at $connect; only members may act on a conversation', async () => {
    const violations: string[] = [];
    const grid: Record<string, Record<string, string>> = { $connect: {} };
    let cases = 0;
    for (const caller of REFUSED_CALLERS) {
      const status = await refusedStatus(stack.wsUrl, await tokenFor(caller));
      cases++;
      grid.$connect![caller] = String(status);
      if (status !== 401) violations.push(`$connect × ${caller}: a bad token must be refused with 401 (got ${status})`);
    }
    const actions = wsRoutes.filter((r) => !r.routeKey.startsWith('$'));
    for (const caller of SIGNED_IN_CALLERS) {
      const client = await WsClient.connect(stack.wsUrl, await tokenFor(caller));
      grid.$connect![caller] = '101';
      cases++;
      for (const route of actions) {
        const row = (grid[route.routeKey] ??= {});
        const kinds = new Set(fieldsOf(route).filter((f) => f.required).map(kindOf));
        const variants = kinds.has('conversation') ? (['existing', 'missing'] as const) : (['existing'] as const);
        const outcomes: string[] = [];
        for (const variant of variants) {
          const before = client.frames.length;
          const frame = { action: route.routeKey, ...(fill(route, variant === 'existing' ? existingIds() : missingIds, examplesFor(caller)).body as object) };
          const handled = routeHandled(stack, route.routeKey);
          client.send(frame);
          await handled;
          await new Promise((resolve) => setTimeout(resolve, 50)); // the last push may still be on its way
          const frames: Frame[] = client.frames.slice(before);
          const error = frames.find((f) => f.event === 'error');
          cases++;
          outcomes.push(error ? String(error.code) : 'ok');
          const fail = (why: string) => violations.push(`${route.routeKey} × ${caller} × ${variant}: ${why} (frames ${JSON.stringify(frames).slice(0, 200)})`);
          const outsider = caller !== 'member' && caller !== 'owner';
          if (outsider && JSON.stringify(frames).includes(SECRET)) fail('leaked a message of a conversation the caller is not in');
          if (error?.code === 'INTERNAL_ERROR' || error?.code === 'SERVICE_UNAVAILABLE') fail('server error');
          if (!kinds.has('conversation')) continue;
          if (variant === 'missing' && !error) fail('an id that does not exist must not succeed');
          if (variant === 'existing' && outsider && error?.code !== 'FORBIDDEN') fail('a non-member must get a FORBIDDEN error frame');
          if (variant === 'existing' && !outsider && error) fail('a member must be served');
        }
        row[caller] = outcomes.join('/');
      }
      await client.close();
    }
    console.table(grid);
    console.log(`[authz-ws] actions=${actions.length} callers=${REFUSED_CALLERS.length + SIGNED_IN_CALLERS.length} cases=${cases} violations=${violations.length}`);
    for (const violation of violations) console.log(`[authz-ws] VIOLATION ${violation}`);
    expect(violations).toEqual([]);
  });
});

function check(route: HttpRoute, caller: Caller, variant: 'existing' | 'missing', takesConversation: boolean, status: number, code: string | undefined, text: string, fail: (why: string) => void) {
  const outsider = caller !== 'member' && caller !== 'owner';
  if (outsider && text.includes(SECRET)) fail('leaked a message of a conversation the caller is not in');
  if (outsider && text.includes(String(groupId))) fail('leaked the id of a conversation the caller is not in');
  if (REFUSED_CALLERS.includes(caller)) {
    if (status !== 401 || code !== 'UNAUTHORIZED') fail('a bad token must get 401 UNAUTHORIZED');
    return;
  }
  if (status >= 500) return fail('server error');
  if (status === 401) return fail('a valid token was refused');
  if (variant === 'missing') {
    if (status < 400) fail('an id that does not exist must not succeed');
    return;
  }
  if (takesConversation) {
    if (outsider && status !== 403) fail('a non-member must get 403');
    if (caller === 'member' && NEEDS_GROUP_ROLE.has(route.name)) {
      if (status !== 403 || code !== 'FORBIDDEN') fail('a member without the role must get 403 FORBIDDEN');
    } else if (!outsider && (status < 200 || status > 299)) fail('a member must be served');
    if (!outsider && route.name === 'messageHistory' && !text.includes(SECRET)) fail('a member must see the history');
  } else if (caller === 'blocked' && REFUSED_TO_BLOCKED.has(route.name) && code !== 'BLOCKED') {
    fail('a blocked user must get 403 BLOCKED');
  }
}
