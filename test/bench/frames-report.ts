import type { FrameCosts } from './frames.ts';
import { fmt } from './stats.ts';

/* Bench section 7 as Markdown. Apart from frames.ts: the report loads before the stack sets the data layer's configuration. */

/** The report's section: tables of what frames.ts measured. */
export function renderFrameCosts(f: FrameCosts): string[] {
  const t = f.typing;
  const table = (headers: string[], rows: Array<Array<string | number>>) => [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const others = Object.entries(t.otherStatuses).map(([status, n]) => `${n} × ${status}`).join(', ') || '0';
  return [
    '## 7. typing and markRead per frame',
    `A typing flood: ${t.framesSent} \`typing\` frames sent at once by one member of a group of ${t.members}, every member online with one connection; a bystander member pings right after. Served / refused: the handler's status per frame (200 / 429 RATE_LIMITED), other statuses listed; pushes to the others: typing frames that arrived on the other members' sockets (a push retried after a timed-out attempt can arrive twice); counter writes: conditional UpdateItems on the typing limit's counter; units from ReturnConsumedCapacity over the whole flood.`,
    table(['frames sent', 'served', 'refused (RATE_LIMITED)', 'other statuses', 'pushes to the others', 'per frame sent', 'counter writes', 'DynamoDB calls', 'read units', 'write units', 'PostToConnection calls', 'flood handled in ms', 'bystander ping ms'], [
      [t.framesSent, t.served, t.refused, others, t.pushesToOthers, fmt(t.pushesToOthers / t.framesSent), t.counterWrites, t.cost.calls, fmt(t.cost.readUnits), fmt(t.cost.writeUnits), t.pushes, fmt(t.floodMs), fmt(t.bystanderPingMs)],
    ]),
    'markRead per frame as the conversation grows (sequential frames over the reader\'s WebSocket, the other member online; "moving": each frame marks the next of the oldest messages; "replayed": the oldest again, so the marker does not move). Means per frame; latency from the frame leaving the client to the handler returning:',
    table(['messages', 'kind', 'frames', 'DynamoDB calls', 'sequential', 'read units', 'write units', 'p50 ms', 'p95 ms', 'error frames'], f.markRead.flatMap((p) => ([['moving', p.moving], ['replayed', p.replayed]] as const).map(([kind, c]) => [p.messages, kind, c.frames, fmt(c.calls), c.sequential, fmt(c.readUnits), fmt(c.writeUnits), fmt(c.latency.p50), fmt(c.latency.p95), c.errors]))),
  ];
}
