import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createChatApp } from '../../infra/cdk/create-app.ts';
import { esbuildOptions } from '../../infra/cdk/bundling.ts';
import { HTTP, routes } from '../../shared/routes.ts';

/*
 * The bundles themselves: the synth builds them with the local esbuild (no Docker), the bundle-size script builds
 * byte-identical ones from the same options, and every one of them loads and answers as an ESM module on Node.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const workDir = mkdtempSync(join(tmpdir(), 'chat-bundles-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function scriptBundle(entry: string, name: string): Promise<string> {
  const outfile = join(workDir, 'script', name, 'index.mjs');
  await build({ ...esbuildOptions(resolve(ROOT, entry), outfile), logLevel: 'error' });
  return outfile;
}

describe('Lambda bundles', () => {
  it('are built by the synth with local esbuild, as minified ESM with a source map, identical to the script\'s', async () => {
    const row = HTTP.userLogin;
    const outdir = join(workDir, 'cdk.out');
    const { app } = createChatApp({ app: { outdir }, stack: { httpRoutes: [row], wsRoutes: [], queueRoutes: [] } });
    app.synth();
    const assetDirs = readdirSync(outdir).filter((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'index.mjs')));
    expect(assetDirs).toHaveLength(2); // the row's function and the $default row's
    const script = readFileSync(await scriptBundle(row.entry, row.name));
    const shipped = assetDirs.map((name) => join(outdir, name)).filter((dir) => readFileSync(join(dir, 'index.mjs')).equals(script));
    expect(shipped).toHaveLength(1);
    expect(readdirSync(shipped[0]!).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(script.toString('utf8')).toMatch(/^import\{createRequire as __bundleCreateRequire\}from'node:module';/);
  }, 300_000);

  it('every route\'s bundle loads as an ES module and handles a request', async () => {
    Object.assign(process.env, { TABLE_NAME: 'bundle-test', JWT_SECRET: 'bundle-test-secret', AWS_REGION: 'us-east-1' });
    // One esbuild run for all entries (same options, one output per entry) keeps this quick on a busy machine.
    const outdir = join(workDir, 'all');
    const entryPoints = Object.fromEntries(routes.map((row) => [row.name, resolve(ROOT, row.entry)]));
    await build({ ...esbuildOptions('', ''), entryPoints, outfile: undefined, outdir, outExtension: { '.js': '.mjs' }, logLevel: 'error' });
    const bundleOf = (name: string) => pathToFileURL(join(outdir, `${name}.mjs`)).href;
    for (const row of routes) {
      const module = (await import(bundleOf(row.name))) as { handler: unknown };
      expect(typeof module.handler, row.name).toBe('function');
    }
    // A bad login body is refused before any AWS call: zod, the adapter and the envelope all run from the bundle.
    const login = (await import(bundleOf(HTTP.userLogin.name))) as {
      handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
    };
    const response = await login.handler({ routeKey: 'POST /user/login', headers: { 'content-type': 'application/json' }, body: '{"username":1}', isBase64Encoded: false } as unknown as APIGatewayProxyEventV2);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body!)).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
  }, 300_000);
});
