import type { Server } from 'node:http';

/**
 * How the local stand-ins (HTTP gateway, WebSocket gateway with @connections, SQS) listen. Their callers open many
 * connections at once: a burst's pushes, each on a socket of its own until the pool is warm. Node's default accept
 * queue of 511 overflowed there while the one busy process was slow to accept, and the kernel retries a dropped
 * SYN only after 1 s, then 3 s: pushes hung for seconds and timed out without ever reaching the gateway
 * (/proc/net/netstat: 2,751 ListenOverflows over five hot-group runs; none arrived at the gateway, which logged
 * none of them). AWS's endpoints do not refuse connections at these rates. Node's 5 s keep-alive also closed every
 * pooled socket between a hot conversation's 10 s windows, so each window opened them all again; idle sockets now
 * stay open 65 s.
 */
const ACCEPT_BACKLOG = 4096; // the kernel caps it at net.core.somaxconn (4096 here)
const KEEP_ALIVE_MS = 65_000;

/** Listens on `host:port`; a port in use rejects, as a failed start rather than an uncaught 'error' event. */
export function listen(server: Server, port: number | undefined, host = '127.0.0.1'): Promise<void> {
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: ACCEPT_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
