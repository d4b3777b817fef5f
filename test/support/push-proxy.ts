import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting proxy in front of the local gateway's `@connections` endpoint: the handlers' WS_CALLBACK_URL
 * points here, and each PostToConnection either passes through or fails the way API Gateway can fail it:
 *   429    LimitExceededException (the account's PostToConnection rate: push() retries it)
 *   500    an internal error (push() retries it)
 *   410    GoneException (the connection is gone: its record should be deleted, and it is never retried)
 *   hang   never answers (the attempt's timeout has to end it)
 *   slow   passes through after SLOW_PUSH_MS, unless the caller gave up first (then it never reached the gateway)
 * `posts` counts the PostToConnection calls each connection id received, faulted or not.
 */
export type PushFault = 429 | 500 | 410 | 'hang' | 'slow';
export const SLOW_PUSH_MS = 2000;
export type PushPlan = (connectionId: string) => PushFault | undefined;

export async function startPushProxy(): Promise<{ url: (stage: string) => string; target: (origin: string) => void; set: (plan: PushPlan) => void; clear: () => void; injected: Record<string, number>; posts: Map<string, number>; close: () => Promise<void> }> {
  let origin: string | undefined;
  let plan: PushPlan = () => undefined;
  const injected: Record<string, number> = { 429: 0, 500: 0, 410: 0, hang: 0, slow: 0 };
  const posts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const connectionId = decodeURIComponent(req.url?.split('/@connections/')[1]?.split('?')[0] ?? '');
    if (req.method === 'POST') posts.set(connectionId, (posts.get(connectionId) ?? 0) + 1);
    const fault = req.method === 'POST' ? plan(connectionId) : undefined;
    if (fault !== undefined) injected[String(fault)]!++;
    if (fault === 'hang') {
      hanging.add(res);
      req.resume();
      return;
    }
    if (fault === 'slow') {
      let abandoned = false;
      res.once('close', () => (abandoned = true));
      setTimeout(() => abandoned || forward(req, res, origin), SLOW_PUSH_MS);
      return;
    }
    if (fault !== undefined) {
      req.resume();
      const type = { 429: 'LimitExceededException', 500: 'InternalServerErrorException', 410: 'GoneException' }[fault];
      res.writeHead(fault, { 'content-type': 'application/json', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ message: { 429: 'Rate exceeded', 500: 'Internal server error', 410: null }[fault] }));
      return;
    }
    forward(req, res, origin);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (stage) => `http://127.0.0.1:${port}/${stage}`,
    target: (value) => void (origin = value),
    set: (next) => void (plan = next),
    clear: () => void (plan = () => undefined),
    injected,
    posts,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function forward(req: IncomingMessage, res: ServerResponse, origin: string | undefined): void {
  if (!origin) {
    res.writeHead(502).end();
    return;
  }
  const target = new URL(req.url ?? '/', origin);
  // The Host header is passed on unchanged: it is signed (SigV4), and @connections checks the signature.
  const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.headersSent || res.writeHead(502).end());
  req.pipe(upstream);
}
