import type { IncomingMessage } from 'node:http';

/**
 * A request body, or undefined as soon as it is known to exceed maxBytes (from its content-length, or while it
 * streams): the local stand-ins answer 413 without holding an oversized body in memory.
 */
export function readBodyAtMost(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume(); // the rest is drained, never held (callers may also close the connection after answering)
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
