import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { localClient } from '../../infra/local/dynamodb-local.ts';
import { padId } from '../../shared/data/table.ts';
import { summarize, timeEach, type Summary } from './stats.ts';

/**
 * The floor: what a send costs with nothing of ours in the way. A bare `ws` server that relays a frame to N sockets
 * (no database, no Lambda, no JSON handling), and DynamoDB Local's own latency for the least a send must do
 * (one conditional PutItem, one Query), called directly with the SDK.
 */
export type RelayFloor = { recipients: number } & Summary;
/** parallelQueries: three Queries sent at once, as a send's round trip sends its calls: how DynamoDB Local serves them. */
export type DynamoFloor = { put: Summary; query: Summary; putThenQuery: Summary; parallelQueries: Summary };

/** Opens `count` sockets to the server, at most 50 handshakes at a time (a burst of 500 would only measure the backlog). */
export async function openSockets(url: string, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, () => new WebSocket(url));
    await Promise.all(batch.map((socket) => once(socket, 'open')));
    sockets.push(...batch);
  }
  return sockets;
}

/** Resolves when every socket has received one more frame. */
function everyoneReceives(sockets: readonly WebSocket[]): Promise<void> {
  return Promise.all(sockets.map((socket) => once(socket, 'message'))).then(() => undefined);
}

export async function measureRelayFloor(recipientCounts: readonly number[], iterations: number): Promise<RelayFloor[]> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let receivers = new Set<WebSocket>();
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      for (const target of receivers) target.send(data, { binary: isBinary });
    });
  });
  const results: RelayFloor[] = [];
  try {
    const sender = (await openSockets(url, 1))[0]!;
    for (const recipients of recipientCounts) {
      const before = new Set(server.clients);
      const clients = await openSockets(url, recipients);
      receivers = new Set([...server.clients].filter((socket) => !before.has(socket)));
      const frame = JSON.stringify({ event: 'message', message: { id: 1, conversation_id: 2, sender_id: 3, content: 'x'.repeat(100), type: 'text' } });
      const samples = await timeEach(iterations, async () => {
        const received = everyoneReceives(clients);
        sender.send(frame);
        await received;
      }, Math.min(10, iterations));
      results.push({ recipients, ...summarize(samples) });
      for (const client of clients) client.terminate();
    }
    sender.terminate();
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return results;
}

/** Put and Query calls each before the floor is measured (about 2 s on a warm machine). */
export const DYNAMO_WARMUP_PAIRS = 1_500;

export async function measureDynamoFloor(endpoint: string, tableName: string, iterations: number): Promise<DynamoFloor> {
  const client = localClient(endpoint);
  const partition = { S: `FLOOR#${Date.now()}` };
  let next = 1;
  const put = () =>
    client.send(new PutItemCommand({
      TableName: tableName,
      Item: { PK: partition, SK: { S: `MSG#${padId(next++)}` }, content: { S: 'x'.repeat(100) }, senderId: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(PK)',
    }));
  const query = () =>
    client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': partition }, ScanIndexForward: false, Limit: 50 }));
  // DynamoDB Local's JVM compiles its hot paths over the first thousands of requests (measured: the first 300
  // GetItems p50 4.3 ms, the next 300 0.7 ms), and the sections measured later run against a warm one: so must the floor.
  const warmup = Math.min(DYNAMO_WARMUP_PAIRS, iterations * 10);
  const putSamples = await timeEach(iterations, put, warmup);
  const querySamples = await timeEach(iterations, query, warmup);
  const bothSamples = await timeEach(iterations, async () => {
    await put();
    await query();
  });
  const parallelSamples = await timeEach(iterations, () => Promise.all([query(), query(), query()]));
  client.destroy();
  return { put: summarize(putSamples), query: summarize(querySamples), putThenQuery: summarize(bothSamples), parallelQueries: summarize(parallelSamples) };
}
