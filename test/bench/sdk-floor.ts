import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptions } from '../../infra/cdk/bundling.ts';
import type { Route } from '../../shared/routes.ts';
import { percentile, summarize } from './stats.ts';

/**
 * A function's SDK floor: a bundle of only the AWS SDK clients the function uses, built exactly as its own bundle
 * (infra/cdk/bundling.ts) and constructing them as a handler module does at load, through shared/tracing.ts (so the
 * tracer's ~120 KB, imported only when tracing is on, is in the floor as in the bundle). What a function weighs and
 * takes to import beyond its floor is ours to cut; the floor itself is the SDK's and its instrumentation's.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

// Each client as the handlers make it: through shared/tracing.ts, so a floor carries the same lazily imported tracer.
const CLIENTS = {
  table: `import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
export const table = DynamoDBDocumentClient.from(traced(new DynamoDBClient({})));`,
  secret: `import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'; export const secrets = traced(new SecretsManagerClient({}));`,
  bucket: `import { S3Client } from '@aws-sdk/client-s3'; import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'; export const bucket = [traced(new S3Client({})), createPresignedPost, getSignedUrl];`,
  connections: `import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
export const connections = traced(new ApiGatewayManagementApiClient({ endpoint: 'https://example.com' }));`,
  queue: `import { SQSClient } from '@aws-sdk/client-sqs'; export const queue = traced(new SQSClient({}));`,
} as const;
const TRACED = `import { traced } from './shared/tracing.ts';`;
export type SdkClient = keyof typeof CLIENTS;

/** The clients a row's `access` declares; every row that reads the table also verifies or issues tokens (the secret). */
export function sdkClientsOf(row: Route): SdkClient[] {
  return [
    ...(row.access.table ? (['table', 'secret'] as const) : []),
    ...(row.access.bucket ? (['bucket'] as const) : []),
    ...(row.access.connections ? (['connections'] as const) : []),
    ...(row.access.enqueue?.length ? (['queue'] as const) : []),
  ];
}

/** Builds the floor for a set of clients once (functions with the same clients share it); returns the bundle's path and size. */
const floors = new Map<string, Promise<{ file: string; bytes: number }>>();
export function buildFloor(clients: readonly SdkClient[], outDir: string): Promise<{ file: string; bytes: number }> {
  const name = clients.length ? clients.join('+') : 'none';
  const key = `${outDir}/${name}`;
  if (!floors.has(key)) {
    floors.set(key, (async () => {
      const file = join(outDir, 'floor', name, 'index.mjs');
      await build({
        ...esbuildOptions('', file),
        entryPoints: undefined,
        stdin: { contents: clients.length ? [TRACED, ...clients.map((client) => CLIENTS[client])].join('\n') : 'export {};', resolveDir: ROOT, loader: 'ts' },
        logLevel: 'error',
      });
      return { file, bytes: (await stat(file)).size };
    })());
  }
  return floors.get(key)!;
}

/** A fresh `node` (with `nodeFlags`) importing the bundle: each call of the returned function runs one, and gives its import ms. */
export async function importProbe(file: string, options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<() => Promise<number>> {
  const probe = join(resolve(file, '..'), 'import-probe.mjs');
  await mkdir(resolve(file, '..'), { recursive: true });
  await writeFile(probe, `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t)); process.exit(0);`);
  return async () => Number((await run(process.execPath, [...(options.nodeFlags ?? []), probe], { env: { ...process.env, ...options.env } })).stdout);
}

/**
 * Runs the samplers in alternation (a b a b ...), `runs` times each after one unmeasured round (it warms the file
 * cache): a change in the machine's load then lands on a bundle and its floor alike, instead of on whichever was
 * measured while it lasted. Returns each sampler's samples.
 */
export async function alternate(runs: number, samplers: ReadonlyArray<() => Promise<number>>): Promise<number[][]> {
  for (const sample of samplers) await sample();
  const samples = samplers.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) for (const [s, sample] of samplers.entries()) samples[s]!.push(await sample());
  return samples;
}

/** A p50 with the spread around it (p10 and p90), for import times measured in alternation. */
export type Spread = { p50: number; p10: number; p90: number };
export function spreadOf(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: summarize(samples).p50, p10: percentile(sorted, 10), p90: percentile(sorted, 90) };
}

/** A bundle's import time and its floor's, measured in alternation; p50s, spreads and the ratio of the p50s. */
export async function importVersusFloor(file: string, floorFile: string, runs: number, options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<{ bundle: Spread; floor: Spread; ratio: number }> {
  const [bundle, floor] = (await alternate(runs, [await importProbe(file, options), await importProbe(floorFile, options)])).map(spreadOf) as [Spread, Spread];
  return { bundle, floor, ratio: bundle.p50 / floor.p50 };
}

/** Milliseconds a fresh `node` (with `nodeFlags`) takes to import the bundle, p50 of `runs` processes. */
export async function importMs(file: string, runs: number, options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const [samples] = await alternate(runs, [await importProbe(file, options)]);
  return summarize(samples!).p50;
}
