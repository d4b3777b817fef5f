import WebSocket from 'ws';
import type { LocalStack } from '../../infra/local/stack.ts';

/** A frame the server pushed (`event` says which kind). */
export type Frame = { event?: string; [key: string]: any };

/**
 * A WebSocket client as an app would hold one, recording every frame it receives so tests can wait for a frame
 * or assert that one never came.
 */
export class WsClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        frame = { event: 'non-json', text };
      }
      this.frames.push(frame);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a connection with `?token=`; rejects with the HTTP status when the gateway refuses the upgrade. */
  static connect(url: string, token?: string): Promise<WsClient> {
    const socket = new WebSocket(token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      socket.once('error', reject);
    });
  }

  send(frame: object | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Frames received so far that match. */
  received(match: (frame: Frame) => boolean = () => true): Frame[] {
    return this.frames.filter(match);
  }

  /** Waits until `count` received frames match, then returns them. */
  async waitFor(match: (frame: Frame) => boolean, { count = 1, timeoutMs = 15_000 } = {}): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} frame(s); received: ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Sends a frame and waits for the next frame matching (counting only frames after the send). */
  async request(frame: object | string, match: (frame: Frame) => boolean, timeoutMs = 15_000): Promise<Frame> {
    const before = this.received(match).length;
    this.send(frame);
    const found = await this.waitFor(match, { count: before + 1, timeoutMs });
    return found[before]!;
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}

export const isEvent = (event: string) => (frame: Frame) => frame.event === event;

/** The status a refused upgrade answered with. */
export async function refusedStatus(url: string, token?: string): Promise<number> {
  try {
    const client = await WsClient.connect(url, token);
    await client.close();
    return 101;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === undefined) throw error;
    return status;
  }
}


/**
 * Resolves when the local WebSocket gateway has finished invoking a route `times` times (all their pushes are done
 * by then), with the status each invocation answered (undefined if the handler threw).
 */
export function routeHandled(stack: LocalStack, routeKey: string, times = 1): Promise<Array<number | undefined>> {
  return new Promise((resolve) => {
    const statuses: Array<number | undefined> = [];
    const listener = (key: string, _connectionId: string, result?: { statusCode?: number }) => {
      if (key !== routeKey) return;
      statuses.push(result?.statusCode);
      if (statuses.length < times) return;
      stack.ws.off('handled', listener);
      resolve(statuses);
    };
    stack.ws.on('handled', listener);
  });
}
