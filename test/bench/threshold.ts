import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { startLocalStack } from '../../infra/local/stack.ts';
import { Api } from '../support/client.ts';
import { openSockets } from './floor.ts';
import { summarize } from './stats.ts';

/**
 * The measurement behind FAN_OUT_THRESHOLD: one group per size, one connection per member, sequential sends; the
 * time from the frame leaving the sender to its ack and to the last recipient. Run once with every send inline
 * and once with every send through the queue, and compare:
 *   FAN_OUT_THRESHOLD=1000000 npx tsx test/bench/threshold.ts   # inline
 *   FAN_OUT_THRESHOLD=1 npx tsx test/bench/threshold.ts         # queued
 */
const SIZES = (process.env.THRESHOLD_SIZES ?? '4,16,32,64,128,256').split(',').map(Number);
const SENDS = Number(process.env.THRESHOLD_SENDS ?? 20);

const stack = await startLocalStack({ tableName: 'threshold', jwtSecret: randomBytes(32).toString('hex'), env: { BCRYPT_COST: '4', LOG_LEVEL: 'ERROR', LIMIT_REGISTER_MAX: '1000000', LIMIT_MESSAGE_SEND_MAX: '1000000', LIMIT_CONVERSATION_SEND_MAX: '1000000' } });
const api = new Api(stack.httpUrl);
const frameOf = (data: WebSocket.RawData) => JSON.parse(data.toString()) as { event?: string; message?: { content?: string } };
const next = (socket: WebSocket, event: string, content: string) => new Promise<void>((resolve) => {
  const on = (data: WebSocket.RawData) => {
    const frame = frameOf(data);
    if (frame.event === event && frame.message?.content === content) {
      socket.off('message', on);
      resolve();
    }
  };
  socket.on('message', on);
});
try {
  const users = [];
  for (let i = 0; i < Math.max(...SIZES); i += 25) users.push(...(await Promise.all(Array.from({ length: Math.min(25, Math.max(...SIZES) - i) }, () => api.newUser('t')))));
  for (const size of SIZES) {
    const members = users.slice(0, size);
    const conversationId = await api.conversation(members[0]!.token, ...members.slice(1).map((u) => u.id));
    const sockets = (await Promise.all(members.map((m) => openSockets(`${stack.wsUrl}?token=${encodeURIComponent(m.token)}`, 1)))).flat();
    const [sender, ...recipients] = sockets as [WebSocket, ...WebSocket[]];
    const delivered: number[] = [];
    const acked: number[] = [];
    for (let i = 0; i < SENDS + 3; i++) {
      const content = `t${size}-${i}`;
      const started = performance.now();
      const ack = next(sender, 'ack', content).then(() => performance.now() - started);
      const all = Promise.all(recipients.map((socket) => next(socket, 'message', content))).then(() => performance.now() - started);
      sender.send(JSON.stringify({ action: 'sendMessage', conversationId, content, type: 'text', clientMessageId: content }));
      const [a, d] = await Promise.all([ack, all]);
      if (i >= 3) (acked.push(a), delivered.push(d));
    }
    const d = summarize(delivered);
    const a = summarize(acked);
    console.log(`[threshold] FAN_OUT_THRESHOLD=${process.env.FAN_OUT_THRESHOLD} members=${size} recipients=${recipients.length} last-recipient p50=${d.p50.toFixed(1)} p99=${d.p99.toFixed(1)} ms ack p50=${a.p50.toFixed(1)} p99=${a.p99.toFixed(1)} ms`);
    for (const socket of sockets) socket.close();
  }
} finally {
  await stack.stop();
  process.exit(0);
}
