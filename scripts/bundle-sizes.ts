import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { lambdaFunctions, routes, HTTP } from '../shared/routes.ts';
import { esbuildOptions } from '../infra/cdk/bundling.ts';
import { buildFloor, importMs, sdkClientsOf } from '../test/bench/sdk-floor.ts';
import { summarize } from '../test/bench/stats.ts';

/**
 * Builds every function's Lambda bundle exactly as the CDK stack does (infra/cdk/bundling.ts) and prints, next to
 * its SDK floor (test/bench/sdk-floor.ts): the minified size, the KB over the floor, the import time of a fresh
 * `node` (as the functions run) and its ratio to the floor's, against the goals.
 * Usage: npm run bundle-sizes [-- --runs 5] [--why] [--source-maps]
 *   --why          what the largest bundle is made of, by package
 *   --source-maps  what --enable-source-maps costs at import and on the first stack trace of a thrown error
 */
const ROOT = resolve(import.meta.dirname, '..');
const GOALS = { overFloorKb: 100, importRatio: 1.3 };
const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf('--runs') + 1]) || 5;
const outDir = await mkdtemp(join(tmpdir(), 'bundle-sizes-'));
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
// What a handler module reads at load (shared/config.ts); no call is made.
const env = { TABLE_NAME: 'sizes', JWT_SECRET: 'sizes', AWS_REGION: 'us-east-1', BUCKET_NAME: 'sizes', WS_CALLBACK_URL: 'https://example.com/prod' };

try {
  const rows = [];
  for (const row of lambdaFunctions(routes)) {
    const file = join(outDir, row.name, 'index.mjs');
    const result = await build({ ...esbuildOptions(resolve(ROOT, row.entry), file), metafile: true, logLevel: 'error' });
    const output = result.metafile.outputs[Object.keys(result.metafile.outputs).find((path) => path.endsWith('index.mjs'))!]!;
    const clients = sdkClientsOf(row);
    const floor = await buildFloor(clients, outDir);
    rows.push({
      name: row.name, clients, bytes: output.bytes, floorBytes: floor.bytes,
      // As the functions run: without --enable-source-maps (see --source-maps for why).
      ms: await importMs(file, runs, { env }), floorMs: await importMs(floor.file, runs, { env }),
      inputs: Object.entries(output.inputs).map(([path, input]) => [path, input.bytesInOutput] as const),
    });
  }
  rows.sort((a, b) => b.bytes - a.bytes);
  const header = ['function', 'SDK clients', 'bundle KB', 'floor KB', 'over KB', 'import ms', 'floor ms', 'ratio'];
  const lines = rows.map((r) => {
    const over = (r.bytes - r.floorBytes) / 1024;
    const ratio = r.ms / r.floorMs;
    return [r.name, r.clients.join('+') || 'none', kb(r.bytes), kb(r.floorBytes), `${over.toFixed(1)} ${over <= GOALS.overFloorKb ? '✅' : '❌'}`, r.ms.toFixed(1), r.floorMs.toFixed(1), `${ratio.toFixed(2)} ${ratio <= GOALS.importRatio ? '✅' : '❌'}`];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines]) console.log(line.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  const worstOver = rows.reduce((a, b) => (b.bytes - b.floorBytes > a.bytes - a.floorBytes ? b : a));
  const worstRatio = rows.reduce((a, b) => (b.ms / b.floorMs > a.ms / a.floorMs ? b : a));
  console.log(`\n${rows.length} functions (minified ESM, source maps alongside, not counted); import: p50 of ${runs} fresh \`node\` processes`);
  console.log(`goals: ≤ ${GOALS.overFloorKb} KB over the floor (worst ${worstOver.name}: ${kb(worstOver.bytes - worstOver.floorBytes)} KB); import ≤ ${GOALS.importRatio}× the floor's (worst ${worstRatio.name}: ${(worstRatio.ms / worstRatio.floorMs).toFixed(2)}×)`);

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
