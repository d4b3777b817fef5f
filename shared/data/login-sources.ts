import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from './client.ts';
import type { Key } from './table.ts';

/**
 * Source addresses an account has signed in from with its correct password, remembered for a while (TTL). While
 * strangers exhaust the account's failed-login ceiling from elsewhere, these addresses may still try: the owner at
 * home or at work keeps getting in. Keyed by the canonical username, as the login counters are, so the login path
 * can read it before it knows the user id (in parallel, no extra round trip).
 */
export const KNOWN_SOURCE_TTL_SECONDS = 30 * 24 * 3600;

export const loginSourceKey = (account: string, sourceIp: string): Key => ({ PK: `LOGINSRC#${account}`, SK: `IP#${sourceIp}` });

export async function isKnownSource(account: string, sourceIp: string): Promise<boolean> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: loginSourceKey(account, sourceIp), ProjectionExpression: 'expiresAt' }));
  return Item !== undefined && (Item.expiresAt as number) > Date.now() / 1000;
}

export async function rememberSource(account: string, sourceIp: string): Promise<void> {
  await db.send(new PutCommand({ TableName: TABLE, Item: { ...loginSourceKey(account, sourceIp), expiresAt: Math.floor(Date.now() / 1000) + KNOWN_SOURCE_TTL_SECONDS } }));
}
