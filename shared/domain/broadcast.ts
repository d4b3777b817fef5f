import { logger } from '../observability.ts';
import { deleteConnection, type LiveConnection } from '../data/connections.ts';
import { push, pushAll, type PushOutcome, type ServerFrame } from '../ws/push.ts';

/**
 * Pushes to every connection; the origin's (the sender's ack) at once, never queued behind the others. A connection found
 * gone (410) is deleted, except the origin's own (its $disconnect is on the way); other failures are counted and
 * logged by push() and the message stays in history for the next catch-up. Used inline by the sending function
 * and by the fan-out function for each queued shard.
 */
export async function broadcast(connections: readonly LiveConnection[], frameFor: (target: LiveConnection) => ServerFrame, origin?: string): Promise<void> {
  // Writes started as pushes complete (not after all of them), awaited before returning: a Lambda is frozen after.
  const writes: Promise<void>[] = [];
  const onOutcome = (target: LiveConnection, outcome: PushOutcome) => {
    const write = outcome === 'gone' && target.connectionId !== origin ? deleteConnection(target.userId, target.connectionId) : undefined;
    if (write) writes.push(write);
  };
  const own = connections.find((c) => c.connectionId === origin);
  await Promise.all([
    own ? push(own.connectionId, frameFor(own)).then((outcome) => onOutcome(own, outcome)) : undefined,
    pushAll(own ? connections.filter((c) => c !== own) : connections, frameFor, onOutcome),
  ]);
  const results = await Promise.allSettled(writes);
  for (const result of results) if (result.status === 'rejected') logger.warn('after-push write failed', { error: (result.reason as Error).name });
}
