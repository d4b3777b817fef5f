import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { tableAdmin } from '../support/security.ts';
import { WsClient } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/** Per-container cache of token versions, short here so the cross-container bound is measurable. */
const CACHE_MS = 1500;

let stack: LocalStack;
let api: Api;
beforeAll(async () => {
  stack = await startTestStack({ TOKEN_VERSION_CACHE_MS: String(CACHE_MS) });
  api = new Api(stack.httpUrl);
});
afterAll(() => stack?.stop());

async function secondToken(user: TestUser): Promise<string> {
  const login = await api.post('/user/login', { username: user.username, password: user.password });
  expect(login.status).toBe(200);
  return login.body.token;
}

const expectRevoked = (res: { status: number; body: any }) => expect([res.status, res.body.code]).toEqual([401, 'UNAUTHORIZED']);

describe('token versions', () => {
  it('POST /user/logout invalidates every token of the user, on every device', async () => {
    const user = await api.newUser('leaver');
    const laptop = await secondToken(user);
    expect((await api.post('/user/logout', undefined, user.token)).status).toBe(200);
    expectRevoked(await api.get('/user/profile', user.token));
    expectRevoked(await api.get('/conversation/getlist', laptop));
    expectRevoked(await api.post('/user/logout', undefined, laptop));
    const fresh = await secondToken(user);
    expect((await api.get('/user/profile', fresh)).status).toBe(200);
  });

  it('POST /user/password checks the old password, revokes older tokens and returns a fresh one', async () => {
    const user = await api.newUser('changer');
    const phone = await secondToken(user);

    const wrong = await api.post('/user/password', { oldPassword: 'not-my-password', newPassword: 'brand-new-pass' }, user.token);
    expect(wrong.status).toBe(400);
    expect((await api.get('/user/profile', phone)).status).toBe(200);
    const tooShort = await api.post('/user/password', { oldPassword: user.password, newPassword: 'short' }, user.token);
    expect([tooShort.status, tooShort.body.field]).toEqual([400, 'newPassword']);

    const changed = await api.post('/user/password', { oldPassword: user.password, newPassword: 'brand-new-pass' }, user.token);
    expect(changed.status).toBe(200);
    expectRevoked(await api.get('/user/profile', user.token));
    expectRevoked(await api.get('/user/profile', phone));
    expect((await api.get('/user/profile', changed.body.token)).body.user.id).toBe(user.id);
    expect((await api.post('/user/login', { username: user.username, password: user.password })).status).toBe(401);
    expect((await api.post('/user/login', { username: user.username, password: 'brand-new-pass' })).status).toBe(200);
  });

  it('logging out and changing the password close the user\'s open WebSocket connections, and old tokens cannot reconnect', async () => {
    const user = await api.newUser('sockets');
    const laptop = await secondToken(user);
    const [phoneSocket, laptopSocket] = await Promise.all([WsClient.connect(stack.wsUrl, user.token), WsClient.connect(stack.wsUrl, laptop)]);
    const bystander = await WsClient.connect(stack.wsUrl, (await api.newUser('bystander')).token);
    expect((await api.post('/user/logout', undefined, user.token)).status).toBe(200);
    const closed = await Promise.all([phoneSocket.closed, laptopSocket.closed]);
    expect(closed.map((c) => c.code)).toEqual([1000, 1000]);
    await expect(WsClient.connect(stack.wsUrl, laptop)).rejects.toMatchObject({ status: 401 });
    expect(bystander.socket.readyState).toBe(bystander.socket.OPEN); // nobody else's connection

    const fresh = await secondToken(user);
    const socket = await WsClient.connect(stack.wsUrl, fresh);
    const changed = await api.post('/user/password', { oldPassword: user.password, newPassword: 'another-new-pass' }, fresh);
    expect(changed.status).toBe(200);
    expect((await socket.closed).code).toBe(1000);
    await expect(WsClient.connect(stack.wsUrl, fresh)).rejects.toMatchObject({ status: 401 });
    const reconnected = await WsClient.connect(stack.wsUrl, changed.body.token);
    expect((await reconnected.request({ action: 'ping' }, (frame) => frame.event === 'pong')).event).toBe('pong');
    await Promise.all([reconnected.close(), bystander.close()]);
  });

  it('refuses the token of a user who no longer exists', async () => {
    const user = await api.newUser('deleted');
    await tableAdmin(stack).deleteUser(user.id);
    // This container may have cached the version for up to CACHE_MS.
    await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 100));
    expectRevoked(await api.get('/user/profile', user.token));
    expectRevoked(await api.get('/contacts/list', user.token));
  });

  it(`a revocation made by another container takes effect here within the cache time (${CACHE_MS} ms)`, async () => {
    const user = await api.newUser('elsewhere');
    expect((await api.get('/user/profile', user.token)).status).toBe(200); // now cached here
    await tableAdmin(stack).bumpTokenVersion(user.id);
    const bumpedAt = Date.now();
    let lastStatus = 200;
    while (lastStatus === 200 && Date.now() - bumpedAt < CACHE_MS * 3) {
      lastStatus = (await api.get('/user/profile', user.token)).status;
      if (lastStatus === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const staleForMs = Date.now() - bumpedAt;
    console.log(`[tokens] revoked elsewhere: old token refused here after ${staleForMs} ms (cache ${CACHE_MS} ms)`);
    expect(lastStatus).toBe(401);
    expect(staleForMs).toBeLessThan(CACHE_MS + 1000);
  });
});
