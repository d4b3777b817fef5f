import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import type { SQSRecord } from 'aws-lambda';
import { queueRoutes, type QueueRoute } from '../../shared/routes.ts';
import { invoke, loadHandler, type LambdaHandler } from './lambda.ts';
import { listen } from './listen.ts';

/**
 * A local stand-in for SQS and Lambda's SQS event source, for the queue rows of the route table (checked first:
 * no maintained npm SQS emulator runs without Docker or a JVM download). It speaks the AWS JSON 1.0 protocol
 * @aws-sdk/client-sqs uses (SendMessage, SendMessageBatch, GetQueueAttributes, with the MD5 digests the SDK
 * checks), so the handlers' SQS client runs unchanged, and it invokes each row's handler as the event source
 * does: the record shape Lambda sends, at most `batchSize` records and `maxConcurrency` invocations at once,
 * batchItemFailures honoured, a record not deleted visible again after `visibilityTimeoutSeconds`, and moved to
 * the row's dead-letter queue once it has been received `maxReceiveCount` times.
 */
const ACCOUNT = '000000000000';
const REGION = process.env.AWS_REGION ?? 'us-east-1';
/** The local function timeout, as the CDK stack sets (SETTINGS.functionTimeout). */
const FUNCTION_TIMEOUT_MS = 15_000;

type StoredMessage = {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, WireAttribute>;
  md5OfMessageAttributes?: string;
  sentTimestamp: number;
  firstReceiveTimestamp?: number;
  receiveCount: number;
  visibleAt: number;
};
type WireAttribute = { DataType: string; StringValue?: string; BinaryValue?: string };

type Queue = { name: string; url: string; arn: string; messages: StoredMessage[] };

/** Events: 'invoked' (row name, records), 'dead-lettered' (row name, message). */
export type SqsControls = EventEmitter & {
  /** Messages in a queue (visible or in flight); `${row.name}-dlq` names a row's dead-letter queue. */
  depth(queueName: string): number;
  /** Bodies in a row's dead-letter queue. */
  deadLetters(rowName: string): string[];
  /** Resolves once every row's queue is empty and no invocation is running (dead letters stay). */
  drained(): Promise<void>;
};

export type SqsLocal = { endpoint: string; queueUrls: Record<string, string>; controls: SqsControls; start: () => Promise<void>; close: () => Promise<void> };

export async function startSqsLocal(options: { port: number; rows?: readonly QueueRoute[] }): Promise<SqsLocal> {
  const rows = options.rows ?? queueRoutes;
  const queues = new Map<string, Queue>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      console.error('local SQS failure', error);
      if (!res.headersSent) fail(res, 500, 'InternalError', (error as Error).message);
    });
  });
  await listen(server, options.port);
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const queueOf = (name: string): Queue => ({ name, url: `${endpoint}/${ACCOUNT}/${name}`, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`, messages: [] });
  for (const row of rows) for (const name of [row.name, `${row.name}-dlq`]) queues.set(name, queueOf(name));
  const byUrl = (url: unknown) => [...queues.values()].find((queue) => queue.url === url);

  let running = 0;
  let closed = false;
  const pollers: Array<() => void> = [];
  const idleWaiters = new Set<() => void>();
  const checkIdle = () => {
    if (running > 0 || rows.some((row) => queues.get(row.name)!.messages.length > 0)) return;
    for (const wake of idleWaiters) wake();
    idleWaiters.clear();
  };
  const controls: SqsControls = Object.assign(new EventEmitter(), {
    depth: (name: string) => queues.get(name)?.messages.length ?? 0,
    deadLetters: (rowName: string) => (queues.get(`${rowName}-dlq`)?.messages ?? []).map((m) => m.body),
    drained: () => new Promise<void>((resolve) => {
      idleWaiters.add(resolve);
      checkIdle();
    }),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await buffer(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith('AmazonSQS.')) return fail(res, 400, 'InvalidAction', 'Only the AWS JSON 1.0 protocol is served here');
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) return fail(res, 400, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    let input: Record<string, any>;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(res, 400, 'InvalidParameterValue', 'The request body is not JSON');
    }
    const queue = byUrl(input.QueueUrl);
    if (!queue) return fail(res, 400, 'QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue');
    switch (target.slice('AmazonSQS.'.length)) {
      case 'SendMessage': {
        const stored = store(queue, input);
        if ('error' in stored) return fail(res, 400, 'InvalidParameterValue', stored.error);
        return ok(res, sendResult(stored));
      }
      case 'SendMessageBatch': {
        const entries = (input.Entries ?? []) as Array<Record<string, any>>;
        if (entries.length === 0) return fail(res, 400, 'EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.', 'AWS.SimpleQueueService.EmptyBatchRequest');
        if (entries.length > 10) return fail(res, 400, 'TooManyEntriesInBatchRequest', 'Maximum number of entries per request are 10.', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest');
        const total = entries.reduce((sum, entry) => sum + Buffer.byteLength(String(entry.MessageBody ?? '')), 0);
        if (total > 262_144) return fail(res, 400, 'BatchRequestTooLong', 'Batch requests cannot be longer than 262144 bytes.', 'AWS.SimpleQueueService.BatchRequestTooLong');
        const Successful = [];
        const Failed = [];
        for (const entry of entries) {
          const stored = store(queue, entry);
          if ('error' in stored) Failed.push({ Id: entry.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: stored.error });
          else Successful.push({ Id: entry.Id, ...sendResult(stored) });
        }
        return ok(res, { Successful, Failed });
      }
      case 'GetQueueAttributes': {
        const now = Date.now();
        const visible = queue.messages.filter((m) => m.visibleAt <= now).length;
        return ok(res, { Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(queue.messages.length - visible), QueueArn: queue.arn } });
      }
      default:
        return fail(res, 400, 'InvalidAction', `The action ${target} is not valid for this endpoint.`);
    }
  }

  /** A new message (SQS's limits: a body of 1 byte to 256 KB). */
  function store(queue: Queue, input: Record<string, any>): StoredMessage | { error: string } {
    const body = typeof input.MessageBody === 'string' ? input.MessageBody : '';
    if (body.length === 0 || Buffer.byteLength(body) > 262_144) return { error: 'The message body must be 1 byte to 256 KB long.' };
    const messageAttributes = (input.MessageAttributes ?? {}) as Record<string, WireAttribute>;
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      messageAttributes,
      ...(Object.keys(messageAttributes).length ? { md5OfMessageAttributes: attributesMd5(messageAttributes) } : {}),
      sentTimestamp: now,
      receiveCount: 0,
      visibleAt: now + 1000 * Number(input.DelaySeconds ?? 0),
    };
    queue.messages.push(message);
    for (const poll of pollers) setImmediate(poll);
    return message;
  }

  /** One event source per queue row: polls while it has a free invocation and visible messages. */
  function eventSource(row: QueueRoute, handler: LambdaHandler): () => void {
    const queue = queues.get(row.name)!;
    const deadLetter = queues.get(`${row.name}-dlq`)!;
    let inFlight = 0;
    let timer: NodeJS.Timeout | undefined;
    const poll = () => {
      if (closed) return;
      clearTimeout(timer);
      const now = Date.now();
      while (inFlight < row.maxConcurrency) {
        const batch = receive(now);
        if (batch.length === 0) break;
        inFlight++;
        running++;
        void run(batch).finally(() => {
          inFlight--;
          running--;
          poll();
          checkIdle();
        });
      }
      // The next message to become visible again (a failed record after its visibility timeout).
      const next = Math.min(...queue.messages.map((m) => m.visibleAt).filter((at) => at > now));
      if (Number.isFinite(next)) timer = setTimeout(poll, next - now);
      checkIdle();
    };
    /** Up to batchSize visible messages; one already received maxReceiveCount times goes to the dead-letter queue instead. */
    const receive = (now: number): StoredMessage[] => {
      const batch: StoredMessage[] = [];
      for (const message of [...queue.messages]) {
        if (batch.length >= row.batchSize) break;
        if (message.visibleAt > now) continue;
        if (message.receiveCount >= row.maxReceiveCount) {
          queue.messages.splice(queue.messages.indexOf(message), 1);
          deadLetter.messages.push({ ...message, visibleAt: now });
          controls.emit('dead-lettered', row.name, message);
          continue;
        }
        message.receiveCount++;
        message.firstReceiveTimestamp ??= now;
        message.visibleAt = now + row.visibilityTimeoutSeconds * 1000;
        batch.push(message);
      }
      return batch;
    };
    const run = async (batch: StoredMessage[]) => {
      const Records = batch.map((message) => record(queue, message));
      controls.emit('invoked', row.name, Records);
      let failedIds: Set<string>;
      try {
        const result = (await invoke(handler, row.name, { Records }, FUNCTION_TIMEOUT_MS)) as { batchItemFailures?: Array<{ itemIdentifier?: string }> } | undefined;
        failedIds = new Set((result?.batchItemFailures ?? []).map((failure) => String(failure.itemIdentifier)));
      } catch (error) {
        console.error(`[${row.name}] handler failed:`, error);
        failedIds = new Set(batch.map((m) => m.messageId)); // an invocation error: the whole batch comes back
      }
      // Handled records are deleted; failed ones stay invisible until their visibility timeout ends.
      queue.messages = queue.messages.filter((m) => !batch.includes(m) || failedIds.has(m.messageId));
    };
    return poll;
  }

  async function start(): Promise<void> {
    for (const row of rows) pollers.push(eventSource(row, await loadHandler(row.entry)));
    for (const poll of pollers) poll();
  }

  const close = async () => {
    closed = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { endpoint, queueUrls: Object.fromEntries(rows.map((row) => [row.queueUrlEnv, queues.get(row.name)!.url])), controls, start, close };
}

/** The record Lambda's SQS event source hands the function. */
function record(queue: Queue, message: StoredMessage): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: randomBytes(48).toString('base64'),
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
    },
    messageAttributes: Object.fromEntries(Object.entries(message.messageAttributes).map(([name, value]) => [name, {
      dataType: value.DataType,
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
    }])),
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: REGION,
  };
}

function sendResult(message: StoredMessage) {
  return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody, ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}) };
}

const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

/**
 * SQS's digest of message attributes: for each name in order, the name, data type and value, each prefixed by its
 * 4-byte big-endian length, with a transport byte (1 string, 2 binary) before the value.
 */
function attributesMd5(attributes: Record<string, WireAttribute>): string {
  const parts: Buffer[] = [];
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(attribute.DataType, 'utf8'));
    const binary = attribute.BinaryValue !== undefined;
    parts.push(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(attribute.BinaryValue!, 'base64') : Buffer.from(attribute.StringValue ?? '', 'utf8'));
  }
  return md5(Buffer.concat(parts));
}

function ok(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(body));
}

/** SQS's JSON-protocol error: `__type` names the shape, x-amzn-query-error keeps the legacy code. */
function fail(res: ServerResponse, status: number, type: string, message: string, queryCode?: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...(queryCode ? { 'x-amzn-query-error': `${queryCode};Sender` } : {}) });
  res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message }));
}
