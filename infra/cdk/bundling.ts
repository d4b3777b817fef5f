import type { BuildOptions } from 'esbuild';
import { OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every Lambda bundle is built, in one place: the CDK stack (NodejsFunction, local esbuild, no Docker) and
 * scripts/bundle-sizes.ts (esbuild's API) both derive their options from BUNDLE, so the sizes the script prints
 * are the sizes that ship.
 */
export const BUNDLE = {
  /** Matches the Lambda runtime in stack.ts (NODEJS_22_X). */
  target: 'node22',
  format: 'esm',
  minify: true,
  /**
   * Source maps next to the bundle, sources left out to stay small. Not enabled at run time (infra/cdk/route-functions.ts):
   * NODE_OPTIONS=--enable-source-maps on a function maps its stack traces while debugging.
   */
  sourcemap: true,
  sourcesContent: false,
  /** Prefer ESM builds of dependencies: they tree-shake. */
  mainFields: ['module', 'main'],
  /** The messages are Chinese: keep them as UTF-8 rather than \u escapes. */
  charset: 'utf8',
  /**
   * Some bundled CommonJS dependencies call require() for Node built-ins; an ESM bundle has no require, so
   * create one (under a name esbuild's minifier cannot collide with).
   */
  banner: "import{createRequire as __bundleCreateRequire}from'node:module';const require=__bundleCreateRequire(import.meta.url);",
  /**
   * Nothing is external: the AWS SDK is bundled at the locked version the tests ran against, instead of whatever
   * version the Lambda runtime happens to carry.
   */
  external: [] as string[],
} as const;

/** NodejsFunction's spelling of BUNDLE. */
export const lambdaBundling: BundlingOptions = {
  target: BUNDLE.target,
  format: OutputFormat.ESM,
  minify: BUNDLE.minify,
  sourceMap: BUNDLE.sourcemap,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: BUNDLE.sourcesContent,
  mainFields: [...BUNDLE.mainFields],
  // NodejsFunction's own `charset` option is accepted but never reaches esbuild (aws-cdk-lib 2.276): pass the flag itself.
  esbuildArgs: { '--charset': BUNDLE.charset },
  banner: BUNDLE.banner,
  externalModules: [...BUNDLE.external],
};

/** esbuild's API spelling of BUNDLE, for one entry. */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: BUNDLE.target,
    format: BUNDLE.format,
    minify: BUNDLE.minify,
    sourcemap: BUNDLE.sourcemap,
    sourcesContent: BUNDLE.sourcesContent,
    mainFields: [...BUNDLE.mainFields],
    charset: BUNDLE.charset,
    banner: { js: BUNDLE.banner },
    external: [...BUNDLE.external],
  };
}
