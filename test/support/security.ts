import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, UnsecuredJWT } from 'jose';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../infra/local/stack.ts';
import { TEST_JWT_SECRET } from './stack.ts';

/** Tokens an attacker could present: each must be refused with 401. */
export const attackerTokens = {
  /** Right claims, signed with a key that is not the server's. */
  forged: (userId: number) => sign(userId, 'not-the-server-secret-' + randomBytes(8).toString('hex'), { expiresIn: 3600 }),
  /** Signed with the server's key, but expired an hour ago. */
  expired: (userId: number) => sign(userId, TEST_JWT_SECRET, { expiresIn: -3600 }),
  /** `alg: none`: no signature at all. */
  algNone: (userId: number) =>
    new UnsecuredJWT({ uid: userId, ver: 0 }).setSubject(String(userId)).setIssuer('chat-backend').setIssuedAt().setExpirationTime('1h').encode(),
};

function sign(userId: number, secret: string, { expiresIn }: { expiresIn: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ uid: userId, ver: 0 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(String(userId))
    .setIssuer('chat-backend')
    .setIssuedAt(now - 7200)
    .setExpirationTime(now + expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** Direct table access, as another Lambda container (or an operator) would change it. */
export function tableAdmin(stack: LocalStack) {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  return {
    deleteUser: (id: number) => db.send(new DeleteCommand({ TableName: stack.tableName, Key: { PK: `USER#${id}`, SK: 'PROFILE' } })),
    bumpTokenVersion: (id: number) =>
      db.send(new UpdateCommand({ TableName: stack.tableName, Key: { PK: `USER#${id}`, SK: 'PROFILE' }, UpdateExpression: 'ADD tokenVersion :one', ExpressionAttributeValues: { ':one': 1 } })),
  };
}

/** A JSON POST from a chosen loopback address (127.0.0.0/8 all reach the gateway), to test per-IP limits. */
export function postFrom(baseUrl: string, localAddress: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const url = new URL(path, baseUrl);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
