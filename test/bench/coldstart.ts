import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { esbuildOptions } from '../../infra/cdk/bundling.ts';
import { alternate, buildFloor, importProbe, type SdkClient } from './sdk-floor.ts';
import { summarize } from './stats.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/** `event` is called once per run: a fresh body where a repeated one would conflict. */
export type ColdStartCase = { name: string; entry: string; clients: SdkClient[]; event: () => unknown };
/** floorBytes / floorLoadMs: the function's SDK floor (test/bench/sdk-floor.ts), built and imported the same way. */
export type ColdStart = { name: string; bytes: number; floorBytes: number; loadMs: number; floorLoadMs: number; firstInvokeMs: number; loadAndAnswerMs: number; processMs: number; status: unknown; runs: number };

/** The first-event script a fresh `node` runs: import the bundle, answer one event, print the timings. */
const PROBE = `
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const loaded = performance.now();
const result = await handler(JSON.parse(process.env.BENCH_EVENT), { awsRequestId: 'cold', functionName: 'cold', getRemainingTimeInMillis: () => 30000 });
const answered = performance.now();
// An HTTP or WebSocket handler answers with a status; the $connect authorizer with a policy.
const status = result?.statusCode ?? result?.policyDocument?.Statement?.[0]?.Effect;
process.stdout.write('\\nBENCH_RESULT ' + JSON.stringify({ loadMs: loaded - started, firstInvokeMs: answered - loaded, status }));
process.exit(0);
`;

export async function measureColdStarts(cases: readonly ColdStartCase[], outDir: string, runs: number): Promise<ColdStart[]> {
  await mkdir(outDir, { recursive: true });
  const probe = join(outDir, 'probe.mjs');
  await writeFile(probe, PROBE);
  const results: ColdStart[] = [];
  for (const test of cases) {
    // Built exactly as the CDK stack builds it (infra/cdk/bundling.ts); the source map beside it is not counted.
    const outfile = join(outDir, test.name, 'index.mjs');
    await build({ ...esbuildOptions(join(ROOT, test.entry), outfile), logLevel: 'error' });
    const { size } = await stat(outfile);
    const floor = await buildFloor(test.clients, outDir);
    const samples: Array<{ loadMs: number; firstInvokeMs: number; status: unknown; processMs: number }> = [];
    const coldProcess = async () => {
      const spawned = performance.now();
      // As the stack runs the functions: without --enable-source-maps (README, "Cold starts").
      const { stdout } = await run(process.execPath, [probe], {
        // The handlers' environment is the one the local stack set in this process.
        env: { ...process.env, BENCH_BUNDLE: pathToFileURL(outfile).href, BENCH_EVENT: JSON.stringify(test.event()) },
        cwd: outDir,
      });
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) throw new Error(`${test.name}: the cold process printed no result: ${stdout.slice(-500)}`);
      const sample = { ...(JSON.parse(line.slice('BENCH_RESULT '.length)) as { loadMs: number; firstInvokeMs: number; status: unknown }), processMs: performance.now() - spawned };
      samples.push(sample);
      return sample.loadMs;
    };
    // The bundle's cold processes in alternation with its floor's imports (sdk-floor.ts), so both see the same load.
    const [, floorSamples] = await alternate(runs, [coldProcess, await importProbe(floor.file)]);
    samples.splice(0, samples.length - runs); // the warm-up round's
    results.push({
      name: test.name,
      bytes: size,
      floorBytes: floor.bytes,
      floorLoadMs: summarize(floorSamples!).p50,
      loadMs: summarize(samples.map((s) => s.loadMs)).p50,
      firstInvokeMs: summarize(samples.map((s) => s.firstInvokeMs)).p50,
      loadAndAnswerMs: summarize(samples.map((s) => s.loadMs + s.firstInvokeMs)).p50,
      processMs: summarize(samples.map((s) => s.processMs)).p50,
      status: samples[0]?.status,
      runs,
    });
  }
  return results;
}
