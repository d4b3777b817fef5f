import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { startLocalStack } from './stack.ts';
import { scopeInvocations } from './lambda.ts';

/**
 * `npm start`: the whole backend locally. HTTP_PORT (default 3000), WS_PORT (default 3001), DATA_DIR (default .data/, kept between runs),
 * `--in-memory` for a throwaway run. Ctrl-C stops everything cleanly.
 */
const inMemory = process.argv.includes('--in-memory');
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const httpPort = Number(process.env.HTTP_PORT ?? 3000);
const wsPort = Number(process.env.WS_PORT ?? 3001);

/** The JWT signing secret: generated on first start and kept in the data folder, never in the code. */
function signingSecret(): string {
  if (inMemory) return randomBytes(48).toString('base64url');
  const file = join(dataDir, 'jwt-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

if (!inMemory) mkdirSync(join(dataDir, 'dynamodb'), { recursive: true });
process.env.POWERTOOLS_DEV ??= 'true'; // readable logs in the terminal

try {
  await scopeInvocations(); // each log line with its own request's keys, however many run at once
  const stack = await startLocalStack({
    httpPort,
    wsPort,
    dataDir: inMemory ? undefined : join(dataDir, 'dynamodb'),
    s3DataDir: inMemory ? undefined : join(dataDir, 's3'),
    jwtSecret: signingSecret(),
  });
  console.log(`Web client: ${stack.httpUrl}/   API reference: ${stack.httpUrl}/docs`);
  console.log(`HTTP API: ${stack.httpUrl}`);
  console.log(`WebSocket API: ${stack.wsUrl}`);
  console.log(`S3 (bucket ${stack.bucketName}): ${stack.s3Endpoint}`);
  console.log(inMemory ? 'Data: in memory (gone when stopped)' : `Data: ${dataDir}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('Stopping…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  console.error(`Could not start the local stack: ${(error as Error).message}`);
  process.exit(1);
}
