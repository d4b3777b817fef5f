import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting proxy in front of the local gateway's `@connections` endpoint: the handlers' WS_CALLBACK_URL
 * points here, and each PostToConnection either passes through or fails the way API Gateway can fail it:
 *   500    an internal error (the SDK retries it)
 *   410    GoneException (the connection is gone: its record should be deleted)
 *   hang   never answers (the push timeout has to end it)
 */
export type PushFault = 500 | 410 | 'hang';
export type PushPlan = (connectionId: string) => PushFault | undefined;

export async function startPushProxy(): Promise<{ url: (stage: string) => string; target: (origin: string) => void; set: (plan: PushPlan) => void; clear: () => void; injected: Record<string, number>; close: () => Promise<void> }> {
  let origin: string | undefined;
  let plan: PushPlan = () => undefined;
  const injected: Record<string, number> = { 500: 0, 410: 0, hang: 0 };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const connectionId = decodeURIComponent(req.url?.split('/@connections/')[1]?.split('?')[0] ?? '');
    const fault = req.method === 'POST' ? plan(connectionId) : undefined;
    if (fault !== undefined) injected[String(fault)]!++;
    if (fault === 'hang') {
      hanging.add(res);
      req.resume();
      return;
    }
    if (fault === 500 || fault === 410) {
      req.resume();
      const type = fault === 410 ? 'GoneException' : 'InternalServerErrorException';
      res.writeHead(fault, { 'content-type': 'application/json', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ message: fault === 410 ? null : 'Internal server error' }));
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
