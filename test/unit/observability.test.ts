import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaContext } from '../../infra/local/lambda.ts';

/**
 * What an operator sees: the adapter's log lines and EMF metrics, captured from stdout as CloudWatch would get them.
 * Modules are loaded fresh with logs at INFO and metrics on (the suite runs them quiet).
 */
let lines: string[];
let modules: Awaited<ReturnType<typeof load>>;

async function load() {
  vi.resetModules();
  return {
    adapter: await import('../../shared/http/adapter.ts'),
    tokens: await import('../../shared/auth/tokens.ts'),
    sessions: await import('../../shared/auth/sessions.ts'),
    observability: await import('../../shared/observability.ts'),
  };
}

beforeEach(async () => {
  vi.stubEnv('LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', '');
  vi.stubEnv('TABLE_NAME', 'unused');
  vi.stubEnv('JWT_SECRET', 'observability-test-secret');
  modules = await load();
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const event = (headers: Record<string, string>, body?: unknown) =>
  ({
    version: '2.0',
    routeKey: 'POST /thing',
    rawPath: '/thing',
    rawQueryString: '',
    headers,
    requestContext: { requestId: 'apigw-request-1', http: { method: 'POST', path: '/thing' } },
    body: body === undefined ? undefined : JSON.stringify(body),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const records = () => lines.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
const emfMetrics = () => records().filter((r) => r._aws).flatMap((r) => r._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => [m.Name, r[m.Name]]));

describe('request logs', () => {
  it('carry request id, route, user id and latency, and never the token or password', async () => {
    const token = await modules.tokens.issueToken(4242, 0);
    modules.sessions.rememberTokenVersion(4242, 0); // the token is current (no table in a unit test)
    const password = 'a-password-in-the-body';
    const handler = modules.adapter.httpRoute({ auth: true, access: { table: 'read' } }, async () => ({ message: 'ok' }));
    const context = lambdaContext('thing', 3000);
    const res = await handler(event({ token }, { password }), context);
    expect(res.statusCode).toBe(200);

    const line = records().find((r) => r.message === 'request');
    expect(line).toMatchObject({ level: 'INFO', route: 'POST /thing', requestId: 'apigw-request-1', userId: 4242, status: 200, function_request_id: context.awsRequestId, service: 'chat-backend' });
    expect(line.latencyMs).toBeTypeOf('number');
    expect(lines.join('')).not.toContain(token);
    expect(lines.join('')).not.toContain(password);
  });

  it('redact secret-named fields even when a caller passes them', () => {
    modules.observability.logger.info('oops', { password: 'hunter2hunter2', token: 'eyJhbGciOi.secret', nested: { authorization: 'Bearer x' } });
    const out = lines.join('');
    expect(out).not.toMatch(/hunter2hunter2|eyJhbGciOi|Bearer x/);
    expect(records().find((r) => r.message === 'oops')).toMatchObject({ password: '[REDACTED]', token: '[REDACTED]', nested: { authorization: '[REDACTED]' } });
  });

  it('do not leak keys from one invocation into the next', async () => {
    const token = await modules.tokens.issueToken(77, 0);
    modules.sessions.rememberTokenVersion(77, 0);
    const handler = modules.adapter.httpRoute({ auth: true, access: { table: 'read' } }, async () => ({ message: 'ok' }));
    await handler(event({ token }), lambdaContext('thing', 3000));
    lines.length = 0;
    modules.observability.logger.info('between invocations');
    expect(records().find((r) => r.message === 'between invocations')).not.toHaveProperty('userId');
  });
});

describe('metrics (EMF)', () => {
  it('count auth failures, one EMF line per invocation', async () => {
    const handler = modules.adapter.httpRoute({ auth: true, access: { table: 'read' } }, async () => ({ message: 'ok' }));
    const res = await handler(event({ token: 'not-a-jwt' }), lambdaContext('thing', 3000));
    expect(res.statusCode).toBe(401);
    expect(emfMetrics()).toEqual([['AuthFailures', 1]]);
    expect(records().find((r) => r._aws)).toMatchObject({ service: 'chat-backend', _aws: { CloudWatchMetrics: [{ Namespace: 'ChatBackend' }] } });
    expect(records().find((r) => r.message === 'request failed')).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });

  it('countMetric is the helper other handlers (the WebSocket ones) flush through observeInvocation', async () => {
    const { observeInvocation, countMetric, METRIC } = modules.observability;
    await observeInvocation(undefined, { route: '$default' }, async () => {
      countMetric(METRIC.pushesDelivered, 2);
      countMetric(METRIC.goneConnections);
    });
    expect(emfMetrics()).toEqual(expect.arrayContaining([['PushesDelivered', 2], ['GoneConnections', 1]]));
    lines.length = 0;
    await observeInvocation(undefined, {}, async () => undefined);
    expect(emfMetrics()).toEqual([]); // nothing counted, nothing published (and no warning line)
    expect(lines).toEqual([]);
  });
});
