import autocannon from 'autocannon';
import { fmt } from './stats.ts';
import type { BenchRequest } from './events.ts';

/**
 * HTTP endpoints under load with autocannon, in a worker thread so the load generator does not share an event loop
 * with the local gateway and its handlers (they still share the machine's two cores, as the report says).
 */
export type HttpCase = BenchRequest & { name: string };
export type HttpResult = { name: string; connections: number; p50: number; p99: number; mean: number; requestsPerSecond: number; requests: number; non2xx: number; errors: number };

export async function loadTest(baseUrl: string, test: HttpCase, connections: number, durationSeconds: number): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (test.token) headers.token = test.token;
  const result = await autocannon({
    url: baseUrl + test.path,
    method: test.route.method,
    headers,
    ...(test.body === undefined ? {} : { body: JSON.stringify(test.body) }),
    connections,
    duration: durationSeconds,
    workers: 1,
  });
  // No request finished within the run (a very slow endpoint in quick mode): no latency to report, rather than 0.
  const none = result.requests.total === 0;
  return {
    name: test.name,
    connections,
    p50: none ? Number.NaN : result.latency.p50,
    p99: none ? Number.NaN : result.latency.p99,
    mean: none ? Number.NaN : result.latency.average,
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export function describeHttp(result: HttpResult): string {
  return `${result.name} c=${result.connections}: p50 ${fmt(result.p50)} ms, p99 ${fmt(result.p99)} ms, ${fmt(result.requestsPerSecond)} req/s (${result.non2xx} non-2xx, ${result.errors} errors)`;
}
