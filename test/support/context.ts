import { afterAll, beforeAll } from 'vitest';
import { startTestStack } from './stack.ts';
import { Api, type TestUser } from './client.ts';
import { WsClient } from './ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/** Starts one local stack for the test file and hands back a client for it. */
export function useStack(env: Record<string, string> = {}) {
  const ctx = {} as { stack: LocalStack; api: Api };
  beforeAll(async () => {
    ctx.stack = await startTestStack(env);
    ctx.api = new Api(ctx.stack.httpUrl);
  });
  afterAll(() => ctx.stack?.stop());
  return ctx;
}

/** Opens WebSocket clients on the file's stack for a user, and closes them all when the file is done. */
export function useSockets(ctx: { stack: LocalStack }) {
  const open: WsClient[] = [];
  afterAll(() => Promise.all(open.map((client) => client.close())));
  return async (user: TestUser): Promise<WsClient> => {
    const client = await WsClient.connect(ctx.stack.wsUrl, user.token);
    open.push(client);
    return client;
  };
}
