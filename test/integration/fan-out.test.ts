import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { useStack } from '../support/context.ts';
import { WsClient, isEvent, type Frame } from '../support/ws-client.ts';
import type { TestUser } from '../support/client.ts';
import { QUEUES } from '../../shared/routes.ts';
import { startSqsLocal, type SqsLocal } from '../../infra/local/sqs-local.ts';
import { freePort } from '../../infra/local/stack.ts';

/**
 * The fan-out through SQS on the local stack: with the threshold at 2 connections, a group send is acked by the
 * sending function and pushed to the others by the fan-out function, which the local event source invokes with
 * the record shape Lambda sends. A second SQS stand-in with short timings shows redelivery and the dead-letter queue.
 */
const ctx = useStack({ BCRYPT_COST: '4', FAN_OUT_THRESHOLD: '2' });
const sqs = () => new SQSClient({ endpoint: process.env.SQS_ENDPOINT, region: 'us-east-1' });
const open: WsClient[] = [];
let users: TestUser[];
let clients: WsClient[];
let conversationId: number;

beforeAll(async () => {
  users = await Promise.all(Array.from({ length: 4 }, () => ctx.api.newUser('fan')));
  conversationId = await ctx.api.conversation(users[0]!.token, ...users.slice(1).map((u) => u.id));
  clients = await Promise.all(users.map((u) => WsClient.connect(ctx.stack.wsUrl, u.token)));
  open.push(...clients);
});
afterAll(() => Promise.all(open.map((c) => c.close())));

describe('fan-out through the queue above the threshold', () => {
  it('acks the sender, queues the other connections in a shard, and the fan-out function pushes them', async () => {
    const invoked: SQSRecord[][] = [];
    const onInvoked = (_row: string, records: SQSRecord[]) => invoked.push(records);
    ctx.stack.sqs.on('invoked', onInvoked);
    const [ack] = await Promise.all([
      clients[0]!.request({ action: 'sendMessage', conversationId, content: 'to the whole group', clientMessageId: 'fan-1' }, isEvent('ack')),
      ...clients.slice(1).map((c) => c.waitFor((f) => f.event === 'message' && f.message.content === 'to the whole group')),
    ]);
    ctx.stack.sqs.off('invoked', onInvoked);
    expect(ack!.message.content).toBe('to the whole group');
    expect(clients[0]!.received(isEvent('message'))).toHaveLength(0); // the sender's only connection got the ack alone
    const [record] = invoked.flat();
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: expect.stringMatching(/^arn:aws:sqs:[a-z0-9-]+:\d{12}:fanOut$/),
      awsRegion: expect.any(String),
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      receiptHandle: expect.any(String),
      messageAttributes: {},
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.stringMatching(/^\d+$/), SenderId: expect.any(String), ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/) },
    });
    const shard = JSON.parse(record!.body);
    expect(shard.conversationId).toBe(conversationId);
    expect(shard.targets.map(([, userId]: [string, number]) => userId).sort()).toEqual(users.slice(1).map((u) => u.id).sort());
    await ctx.stack.sqs.drained();
    expect(ctx.stack.sqs.depth('fanOut')).toBe(0);
  });

  it('a shard queued before a member was removed skips them: the group version moved, so its users are re-checked', async () => {
    const { listConnections } = await import('../../shared/data/connections.ts');
    const { getConversation } = await import('../../shared/data/conversations.ts');
    const [member, leaving] = await Promise.all([listConnections([users[1]!.id]), listConnections([users[3]!.id])]);
    const version = (await getConversation(conversationId, true))?.version ?? 0;
    const removal = await ctx.api.post('/conversation/members/remove', { conversationId, userIds: [users[3]!.id] }, users[0]!.token);
    expect(removal.status).toBe(200);
    await clients[3]!.waitFor(isEvent('removed'));
    const frame = { event: 'message', message: { id: 1, conversation_id: conversationId, content: 'late shard' } };
    const body = JSON.stringify({ conversationId, version, frame, targets: [[member[0]!.connectionId, users[1]!.id], [leaving[0]!.connectionId, users[3]!.id]] });
    await sqs().send(new SendMessageCommand({ QueueUrl: process.env.FAN_OUT_QUEUE_URL, MessageBody: body }));
    await clients[1]!.waitFor((f: Frame) => f.event === 'message' && f.message.content === 'late shard');
    await ctx.stack.sqs.drained();
    expect(clients[3]!.received((f) => f.event === 'message' && f.message.content === 'late shard')).toHaveLength(0);
  });
});

describe('the local SQS event source', () => {
  let local: SqsLocal;
  const row = { ...QUEUES.fanOut, visibilityTimeoutSeconds: 1, maxReceiveCount: 2 };
  beforeAll(async () => {
    local = await startSqsLocal({ port: await freePort(), rows: [row] });
    await local.start();
  });
  afterAll(() => local?.close());

  it('redelivers a record its function reported failed after the visibility timeout, then moves it to the dead-letter queue', async () => {
    const client = new SQSClient({ endpoint: local.endpoint, region: 'us-east-1' });
    const deliveries: string[] = [];
    local.controls.on('invoked', (_name: string, records: SQSRecord[]) => deliveries.push(...records.map((r) => r.attributes.ApproximateReceiveCount)));
    const deadLettered = new Promise((resolve) => local.controls.once('dead-lettered', resolve));
    // Not a shard: the fan-out handler throws on it and reports it in batchItemFailures. The SDK checks both MD5s.
    const sent = await client.send(new SendMessageCommand({ QueueUrl: local.queueUrls[row.queueUrlEnv], MessageBody: 'not a shard', MessageAttributes: { kind: { DataType: 'String', StringValue: 'poison' } } }));
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    const started = Date.now();
    await deadLettered;
    expect(deliveries).toEqual(['1', '2']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(row.visibilityTimeoutSeconds * 1000);
    expect(local.controls.deadLetters(row.name)).toEqual(['not a shard']);
    expect(local.controls.depth(row.name)).toBe(0);
  });

  it('answers an unknown queue as SQS does', async () => {
    const client = new SQSClient({ endpoint: local.endpoint, region: 'us-east-1' });
    await expect(client.send(new SendMessageCommand({ QueueUrl: `${local.endpoint}/000000000000/nope`, MessageBody: 'x' }))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});
