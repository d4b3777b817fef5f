import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.ts';

export const TEST_JWT_SECRET = 'test-secret-' + randomBytes(16).toString('hex');

/**
 * Every test registers and logs in from 127.0.0.1 and sends as fast as it can: the per-IP and per-user limits are
 * lifted unless a test sets its own (test/security/limits.test.ts does).
 */
export const GENEROUS_LIMITS = {
  LIMIT_REGISTER_MAX: '1000000',
  LIMIT_MESSAGE_SEND_MAX: '1000000',
  LIMIT_LOGIN_FAILURES_PER_IP_MAX: '1000000',
  LIMIT_TYPING_MAX: '1000000',
  LIMIT_MARK_READ_MAX: '1000000',
  LIMIT_PING_MAX: '1000000',
  LIMIT_UNKNOWN_FRAME_MAX: '1000000',
  LIMIT_WS_CONNECT_MAX: '1000000',
  LIMIT_CONNECTIONS_PER_USER: '1000000',
  LIMIT_GROUP_CREATE_MAX: '1000000',
  LIMIT_CONVERSATION_SEND_MAX: '1000000',
};

/** A test stack's options: its own table in the run's DynamoDB Local, the test signing secret, generous limits. */
export function testStackOptions(env: Record<string, string> = {}) {
  return {
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `chat-${randomBytes(4).toString('hex')}`,
    jwtSecret: TEST_JWT_SECRET,
    env: { ...GENEROUS_LIMITS, ...env },
  } satisfies LocalStackOptions;
}

/** The real local stack, started from code on free ports, on its own table in the run's DynamoDB Local. */
export function startTestStack(env: Record<string, string> = {}, options: Pick<LocalStackOptions, 'wsLimits'> = {}): Promise<LocalStack> {
  return startLocalStack({ ...options, ...testStackOptions(env) });
}
