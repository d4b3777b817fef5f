import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { build, type Metafile } from 'esbuild';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createChatApp } from '../../infra/cdk/create-app.ts';
import { esbuildOptions } from '../../infra/cdk/bundling.ts';
import { HTTP, HTTP_ROUTE_KEYS_ENV, httpRouteKeys, httpRoutes, lambdaFunctions, routes } from '../../shared/routes.ts';
import { buildFloor, sdkClientsOf } from '../bench/sdk-floor.ts';

/*
 * The bundles themselves: the synth builds them with the local esbuild (no Docker), the bundle-size script builds
 * byte-identical ones from the same options, and every one of them loads and answers as an ESM module on Node.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const workDir = mkdtempSync(join(tmpdir(), 'chat-bundles-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Every function's bundle, built once for the file: one esbuild run for all entries (same options, one output each). */
let allBuilt: Promise<{ outdir: string; metafile: Metafile }> | undefined;
/** Every function's bundle, built once, with esbuild's account of what each holds. */
function allBuiltWithMetafile(): Promise<{ outdir: string; metafile: Metafile }> {
  const outdir = join(workDir, 'all');
  const entryPoints = Object.fromEntries(lambdaFunctions(routes).map((row) => [row.name, resolve(ROOT, row.entry)]));
  allBuilt ??= build({ ...esbuildOptions('', ''), entryPoints, outfile: undefined, outdir, outExtension: { '.js': '.mjs' }, metafile: true, logLevel: 'error' }).then((result) => ({ outdir, metafile: result.metafile }));
  return allBuilt;
}
const allBundles = async () => (await allBuiltWithMetafile()).outdir;

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

  it('every function\'s bundle (the $connect authorizer\'s too) loads as an ES module and handles a request', async () => {
    Object.assign(process.env, { TABLE_NAME: 'bundle-test', JWT_SECRET: 'bundle-test-secret', AWS_REGION: 'us-east-1', [HTTP_ROUTE_KEYS_ENV]: httpRouteKeys(httpRoutes) });
    const outdir = await allBundles();
    const bundleOf = (name: string) => pathToFileURL(join(outdir, `${name}.mjs`)).href;
    for (const row of lambdaFunctions(routes)) {
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

    // With tracing on, as on AWS: the tracer is imported (top-level await), the clients captured, and it still answers.
    const probe = join(workDir, 'traced-probe.mjs');
    writeFileSync(probe, `const { handler } = await import(${JSON.stringify(bundleOf(HTTP.userLogin.name))});
const response = await handler({ routeKey: 'POST /user/login', headers: { 'content-type': 'application/json' }, body: '{"username":1}', isBase64Encoded: false });
process.stdout.write(JSON.stringify({ status: response.statusCode }));`);
    const traced = execFileSync(process.execPath, [probe], {
      env: { ...process.env, POWERTOOLS_TRACE_ENABLED: 'true', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', LAMBDA_TASK_ROOT: workDir, _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' },
    }).toString();
    expect(JSON.parse(traced).status).toBe(400);
  }, 300_000);

  it('every bundle is within 100 KB of its SDK floor (npm run bundle-sizes prints the table)', async () => {
    // Each handler carries its own row and schemas only (shared/routes.ts, shared/schemas.ts), public routes no
    // token verification (shared/http/adapter.ts), and zod no locale, so this fails as soon as a function grows by
    // what it does not need. The tightest is userPassword (bcryptjs, and jose to verify and to sign).
    const built = await allBuiltWithMetafile();
    for (const row of lambdaFunctions(routes)) {
      const floor = await buildFloor(sdkClientsOf(row), join(workDir, 'floors'));
      const output = built.metafile.outputs[Object.keys(built.metafile.outputs).find((path) => path.endsWith(`${row.name}.mjs`))!]!;
      const overKb = (output.bytes - floor.bytes) / 1024;
      expect(overKb, row.name).toBeLessThanOrEqual(100);
      // A floor holds less than its bundle. Not checked with the bucket: that floor has the presigned POST (~75 KB)
      // though only messageImage makes one, so a small bucket function (messageRecall) comes out under it.
      if (!row.access.bucket) expect(overKb, row.name).toBeGreaterThan(0);
    }
  }, 300_000);

  it('a handler\'s bundle holds its own route\'s schemas, not the whole table\'s', async () => {
    // userLogout validates nothing: neither the other rows nor zod's schema types may come along with its row.
    const built = await allBuiltWithMetafile();
    const output = built.metafile.outputs[Object.keys(built.metafile.outputs).find((path) => path.endsWith(`${HTTP.userLogout.name}.mjs`))!]!;
    const bytesOf = (pattern: RegExp) => Object.entries(output.inputs).filter(([path]) => pattern.test(path)).reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
    expect(bytesOf(/^shared\/schemas\.ts$/)).toBe(0);
    expect(bytesOf(/^shared\/routes\.ts$/)).toBeLessThan(1024);
    expect(bytesOf(/node_modules\/zod\/v4\/locales\//)).toBe(0);
    const http = readFileSync(join(built.outdir, `${HTTP.userLogout.name}.mjs`), 'utf8');
    expect(http).toContain('/user/logout');
    expect(http).not.toContain('/user/register');
  }, 300_000);
});
