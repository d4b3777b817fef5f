import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { lambdaFunctions, routes, HTTP, HTTP_ROUTE_KEYS_ENV, httpRouteKeys, httpRoutes } from '../shared/routes.ts';
import { esbuildOptions } from '../infra/cdk/bundling.ts';
import { buildFloor, importMs, importVersusFloor, sdkClientsOf, type Spread } from '../test/bench/sdk-floor.ts';
import { summarize } from '../test/bench/stats.ts';

/**
 * Builds every function's Lambda bundle exactly as the CDK stack does (infra/cdk/bundling.ts) and prints, next to
 * its SDK floor (test/bench/sdk-floor.ts): the minified size, the KB over the floor, the import time of a fresh
 * `node` (as the functions run) and its ratio to the floor's, against the goals; both with tracing off (locally) and
 * on (on AWS, where shared/tracing.ts imports Powertools Tracer and the X-Ray SDK), each against a floor built alike.
 * Usage: npm run bundle-sizes [-- --runs 5] [--why] [--source-maps]
 *   --why          what the largest bundle is made of, by package
 *   --source-maps  what --enable-source-maps costs at import and on the first stack trace of a thrown error
 */
const ROOT = resolve(import.meta.dirname, '..');
const GOALS = { overFloorKb: 100, importRatio: 1.3 };
const argv = process.argv.slice(2);
// Enough alternating runs for a p50 to settle (README, "Cold starts": how far it moves between two runs).
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 15;
const outDir = await mkdtemp(join(tmpdir(), 'bundle-sizes-'));
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
// What a handler module reads at load (shared/config.ts); no call is made.
const env = { TABLE_NAME: 'sizes', JWT_SECRET: 'sizes', AWS_REGION: 'us-east-1', BUCKET_NAME: 'sizes', WS_CALLBACK_URL: 'https://example.com/prod', [HTTP_ROUTE_KEYS_ENV]: httpRouteKeys(httpRoutes) };
// What Lambda adds with active tracing on, so the tracer and the X-Ray SDK start as they do there.
const tracedEnv = { ...env, POWERTOOLS_TRACE_ENABLED: 'true', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', LAMBDA_TASK_ROOT: outDir, _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' };

try {
  const rows = [];
  for (const row of lambdaFunctions(routes)) {
    const file = join(outDir, row.name, 'index.mjs');
    const result = await build({ ...esbuildOptions(resolve(ROOT, row.entry), file), metafile: true, logLevel: 'error' });
    const output = result.metafile.outputs[Object.keys(result.metafile.outputs).find((path) => path.endsWith('index.mjs'))!]!;
    const clients = sdkClientsOf(row);
    const floor = await buildFloor(clients, outDir);
    // As the functions run: without --enable-source-maps (see --source-maps for why); each bundle in alternation with its floor.
    const off = await importVersusFloor(file, floor.file, runs, { env });
    const on = await importVersusFloor(file, floor.file, runs, { env: tracedEnv });
    rows.push({
      name: row.name, clients, bytes: output.bytes, floorBytes: floor.bytes,
      ms: off.bundle.p50, floorMs: off.floor.p50, tracedMs: on.bundle.p50, tracedFloorMs: on.floor.p50, spreads: [off.bundle, off.floor] as const,
      inputs: Object.entries(output.inputs).map(([path, input]) => [path, input.bytesInOutput] as const),
    });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  const median = (values: number[]) => summarize(values).p50;
  const header = ['function', 'SDK clients', 'bundle KB', 'floor KB', 'over KB', 'import ms', 'floor ms', 'ratio', 'traced ms', 'floor ms', 'ratio'];
  const ratioCell = (ratio: number) => `${ratio.toFixed(2)} ${ratio <= GOALS.importRatio ? '✅' : '❌'}`;
  const lines = rows.map((r) => {
    const over = (r.bytes - r.floorBytes) / 1024;
    return [r.name, r.clients.join('+') || 'none', kb(r.bytes), kb(r.floorBytes), `${over.toFixed(1)} ${over <= GOALS.overFloorKb ? '✅' : '❌'}`,
      r.ms.toFixed(1), r.floorMs.toFixed(1), ratioCell(r.ms / r.floorMs), r.tracedMs.toFixed(1), r.tracedFloorMs.toFixed(1), ratioCell(r.tracedMs / r.tracedFloorMs)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines]) console.log(line.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const worstOver = rows.reduce((a, b) => (b.bytes - b.floorBytes > a.bytes - a.floorBytes ? b : a));
  const worstRatio = rows.reduce((a, b) => (b.ms / b.floorMs > a.ms / a.floorMs ? b : a));
  const worstTraced = rows.reduce((a, b) => (b.tracedMs / b.tracedFloorMs > a.tracedMs / a.tracedFloorMs ? b : a));
  const tracer = await build({ ...esbuildOptions('', join(outDir, 'tracer', 'index.mjs')), entryPoints: undefined, stdin: { contents: "export { Tracer } from '@aws-lambda-powertools/tracer';", resolveDir: ROOT }, metafile: true, logLevel: 'error' });
  const tracerBytes = Object.entries(tracer.metafile.outputs).find(([path]) => path.endsWith('index.mjs'))![1].bytes;
  console.log(`\n${rows.length} functions (minified ESM, source maps alongside, not counted); import: p50 of ${runs} fresh \`node\` processes, each bundle in alternation with its floor, tracing off (as locally) and on (as on AWS)`);
  const width = (s: Spread) => s.p90 - s.p10;
  const widest = rows.reduce((a, b) => (width(b.spreads[0]) > width(a.spreads[0]) ? b : a));
  console.log(`spread (p10–p90, tracing off): bundles ${median(rows.map((r) => width(r.spreads[0]))).toFixed(1)} ms wide at the median, floors ${median(rows.map((r) => width(r.spreads[1]))).toFixed(1)} ms; widest ${widest.name} ${widest.spreads[0].p10.toFixed(1)}–${widest.spreads[0].p90.toFixed(1)} ms`);
  console.log(`goals: ≤ ${GOALS.overFloorKb} KB over the floor (worst ${worstOver.name}: ${kb(worstOver.bytes - worstOver.floorBytes)} KB); import ≤ ${GOALS.importRatio}× the floor's (worst ${worstRatio.name}: ${(worstRatio.ms / worstRatio.floorMs).toFixed(2)}×; traced, worst ${worstTraced.name}: ${(worstTraced.tracedMs / worstTraced.tracedFloorMs).toFixed(2)}×)`);
  console.log(`Powertools Tracer with the X-Ray SDK: ${kb(tracerBytes)} KB in every bundle and in every floor (imported only when tracing is on); tracing on adds a median ${median(rows.map((r) => r.tracedMs - r.ms)).toFixed(1)} ms to a function's import (its floor's: ${median(rows.map((r) => r.tracedFloorMs - r.floorMs)).toFixed(1)} ms)`);

  if (argv.includes('--why')) {
    const largest = rows[0]!;
    const byPackage = new Map<string, number>();
    for (const [path, bytes] of largest.inputs) {
      const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(project code)';
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytes);
    }
    console.log(`\nwhat ${largest.name} is made of:`);
    for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pkg.padEnd(44)} ${kb(bytes).padStart(8)} KB`);
  }

  if (argv.includes('--source-maps')) await sourceMapCost(join(outDir, HTTP.userLogin.name, 'index.mjs'));
} finally {
  await rm(outDir, { recursive: true, force: true });
}

/** Import time, and the first `error.stack` of an error thrown inside the bundle (mapping loads the map), with and without the flag. */
async function sourceMapCost(file: string): Promise<void> {
  const probe = join(outDir, 'throw-probe.mjs');
  await writeFile(probe, `const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});
try { await handler(null); } catch (error) { const t = performance.now(); error.stack; process.stdout.write(String(performance.now() - t)); }
process.exit(0);`);
  const run = promisify(execFile);
  console.log(`\n--enable-source-maps on ${HTTP.userLogin.name} (p50 of ${runs} fresh processes):`);
  for (const flags of [[], ['--enable-source-maps']]) {
    const stackMs: number[] = [];
    for (let i = 0; i < runs; i++) stackMs.push(Number((await run(process.execPath, [...flags, probe], { env: { ...process.env, ...env } })).stdout));
    console.log(`  ${(flags.join(' ') || 'no flag').padEnd(22)} import ${(await importMs(file, runs, { nodeFlags: flags, env })).toFixed(1)} ms, first stack trace of a throw ${summarize(stackMs).p50.toFixed(2)} ms`);
  }
}
