import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { stopChild } from '../../infra/local/dynamodb-local.ts';
import { S3RVER_CREDENTIALS } from '../../infra/local/s3-local.ts';
import { testStackOptions } from './stack.ts';

/**
 * The local stack in a process of its own, as `npm start` runs it: the load test's hundreds of clients then
 * compete with the stack for the machine, not for one event loop. This process gets the stack's table and
 * DynamoDB endpoint in its environment, so a test can still audit the data layer directly.
 */
export type StackProcess = { httpUrl: string; wsUrl: string; stop: () => Promise<void> };

export async function startStackProcess(env: Record<string, string> = {}): Promise<StackProcess> {
  const options = testStackOptions(env);
  const root = resolve(import.meta.dirname, '../..');
  const child = spawn(resolve(root, 'node_modules/.bin/tsx'), [resolve(import.meta.dirname, 'stack-child.ts')], {
    cwd: root,
    env: { ...process.env, STACK_OPTIONS: JSON.stringify(options) },
    stdio: ['pipe', 'pipe', 'inherit'], // stdin: the child stops when this process goes away
  });
  const urls = await firstLine(child);
  Object.assign(process.env, { TABLE_NAME: options.tableName, DYNAMODB_ENDPOINT: options.dynamoEndpoint, JWT_SECRET: options.jwtSecret, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1', AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey });
  return { ...urls, stop: () => stopChild(child) };
}

function firstLine(child: ChildProcess): Promise<{ httpUrl: string; wsUrl: string }> {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the stack process exited with code ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
  });
}
