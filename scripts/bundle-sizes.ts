import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { lambdaFunctions, routes } from '../shared/routes.ts';
import { esbuildOptions } from '../infra/cdk/bundling.ts';

/**
 * Builds every route's Lambda bundle exactly as the CDK stack does (infra/cdk/bundling.ts) and prints each
 * minified size, the largest, and (with --why) the inputs that weigh most in the largest bundle.
 * Usage: npm run bundle-sizes [-- --why]
 */
const ROOT = resolve(import.meta.dirname, '..');
const outDir = await mkdtemp(join(tmpdir(), 'bundle-sizes-'));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

try {
  const sizes: Array<{ name: string; bytes: number; inputs: Record<string, number> }> = [];
  for (const row of lambdaFunctions(routes)) {
    const outfile = join(outDir, row.name, 'index.mjs');
    const result = await build({ ...esbuildOptions(resolve(ROOT, row.entry), outfile), metafile: true, logLevel: 'error' });
    const output = result.metafile.outputs[Object.keys(result.metafile.outputs).find((path) => path.endsWith('index.mjs'))!]!;
    sizes.push({ name: row.name, bytes: output.bytes, inputs: Object.fromEntries(Object.entries(output.inputs).map(([path, input]) => [path, input.bytesInOutput])) });
  }
  sizes.sort((a, b) => b.bytes - a.bytes);
  const width = Math.max(...sizes.map(({ name }) => name.length));
  for (const { name, bytes } of sizes) console.log(`${name.padEnd(width)}  ${kb(bytes).padStart(10)}`);
  const largest = sizes[0]!;
  console.log(`\nlargest: ${largest.name} ${kb(largest.bytes)} (${sizes.length} functions, minified ESM, source maps alongside)`);

  if (process.argv.includes('--why')) {
    const byPackage = new Map<string, number>();
    for (const [path, bytes] of Object.entries(largest.inputs)) {
      const pkg = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(project code)';
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytes);
    }
    console.log(`\nwhat ${largest.name} is made of:`);
    for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pkg.padEnd(44)} ${kb(bytes).padStart(10)}`);
  }
} finally {
  await rm(outDir, { recursive: true, force: true });
}
