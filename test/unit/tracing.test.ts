import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * shared/tracing.ts decides once, at import, from POWERTOOLS_TRACE_ENABLED: each case runs in its own process.
 * On, as on AWS (Lambda's environment simulated), the X-Ray SDK's middleware is on the client; off, as locally,
 * the client is untouched and the tracer is never imported.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', LAMBDA_TASK_ROOT: ROOT };
const PROBE = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { traced } from './shared/tracing.ts';
const client = traced(new DynamoDBClient({ region: 'us-east-1' }));
const loaded = Object.keys((await import('node:module')).createRequire(import.meta.url).cache).some((path) => path.includes('aws-xray-sdk-core'));
process.stdout.write(JSON.stringify({ middleware: client.middlewareStack.identify().filter((name) => /xray/i.test(name)), xraySdkLoaded: loaded }));`;

function probe(env: Record<string, string>): { middleware: string[]; xraySdkLoaded: boolean } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], { cwd: ROOT, env: { ...process.env, ...env } });
  return JSON.parse(out.toString());
}

describe('tracing', () => {
  it('captures the SDK clients when POWERTOOLS_TRACE_ENABLED=true on Lambda', () => {
    expect(probe({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'true' })).toEqual({ middleware: ['XRaySDKInstrumentation - build'], xraySdkLoaded: true });
  });

  it('leaves them alone, and never loads the X-Ray SDK, when it is false (the local stack) or unset', () => {
    expect(probe({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual({ middleware: [], xraySdkLoaded: false });
    expect(probe({ POWERTOOLS_TRACE_ENABLED: '' })).toEqual({ middleware: [], xraySdkLoaded: false });
  });
});
