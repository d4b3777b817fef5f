import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { WsClient, routeHandled } from '../support/ws-client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

/** The local WebSocket gateway itself: API Gateway's limits (shortened here) and the @connections management API. */
const IDLE_MS = 1500;
const MAX_MS = 4000;
let stack: LocalStack;
let api: Api;
let management: ApiGatewayManagementApiClient;

beforeAll(async () => {
  stack = await startTestStack({ BCRYPT_COST: '4' }, { wsLimits: { idleTimeoutMs: IDLE_MS, maxConnectionMs: MAX_MS } });
  api = new Api(stack.httpUrl);
  management = new ApiGatewayManagementApiClient({ endpoint: process.env.WS_CALLBACK_URL });
});
afterAll(() => stack?.stop());

describe('connection limits', () => {
  it('closes an idle connection after the idle timeout and runs $disconnect', async () => {
    const user = await api.newUser('idle');
    const client = await WsClient.connect(stack.wsUrl, user.token);
    const started = Date.now();
    const disconnected = routeHandled(stack, '$disconnect');
    const { code } = await client.closed;
    expect(code).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 100);
    await disconnected;
    const { listConnections } = await import('../../shared/data/connections.ts');
    expect(await listConnections([user.id])).toEqual([]);
  });

  it('closes even a busy connection at the maximum duration', async () => {
    const user = await api.newUser('busy');
    const client = await WsClient.connect(stack.wsUrl, user.token);
    const started = Date.now();
    const keepBusy = setInterval(() => client.send({ action: 'ping' }), IDLE_MS / 3);
    const { code } = await client.closed;
    clearInterval(keepBusy);
    expect(code).toBe(1001);
    expect(Date.now() - started).toBeGreaterThanOrEqual(MAX_MS - 100);
    expect(client.received((f) => f.event === 'pong').length).toBeGreaterThan(2);
  });
});

describe('@connections management API through the AWS SDK', () => {
  it('pushes, describes and closes a connection; answers GoneException for one that is gone', async () => {
    const user = await api.newUser('managed');
    const client = await WsClient.connect(stack.wsUrl, user.token);
    const [connectionId] = stack.ws.connectionIds(user.id);

    await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: JSON.stringify({ event: 'hello' }) }));
    expect(await client.waitFor((f) => f.event === 'hello')).toHaveLength(1);
    const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');

    const disconnected = routeHandled(stack, '$disconnect');
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await client.closed;
    await disconnected;
    await expect(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' }))).rejects.toBeInstanceOf(GoneException);
  });
});
