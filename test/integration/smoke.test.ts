import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

let stack: LocalStack;
let api: Api;
beforeAll(async () => {
  stack = await startTestStack();
  api = new Api(stack.httpUrl);
});
afterAll(() => stack?.stop());

describe('local stack', () => {
  it('registers, logs in and reads the profile', async () => {
    const alice = await api.newUser('alice');
    const profile = await api.get('/user/profile', alice.token);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ success: true, user: { id: alice.id, userId: alice.id, username: alice.username } });
    expect(JSON.stringify(profile.body)).not.toMatch(/password/i);
  });
});
