import { afterAll, beforeAll } from 'vitest';
import { startTestStack } from './stack.ts';
import { Api } from './client.ts';
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
