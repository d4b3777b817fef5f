import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.ts';

export const TEST_JWT_SECRET = 'test-secret-' + randomBytes(16).toString('hex');

/** The real local stack, started from code on free ports, on its own table in the run's DynamoDB Local. */
export function startTestStack(env: Record<string, string> = {}, options: Pick<LocalStackOptions, 'wsLimits'> = {}): Promise<LocalStack> {
  return startLocalStack({
    ...options,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `chat-${randomBytes(4).toString('hex')}`,
    jwtSecret: TEST_JWT_SECRET,
    env,
  });
}
