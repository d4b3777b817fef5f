import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/transport';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';

/**
 * Verifies AWS Signature Version 4 requests as AWS does: the key id must be the one credential the local stack
 * knows, the date within 15 minutes (or a presigned URL unexpired), and the signature the one the AWS SDK's own
 * signer computes over the same method, path, query, signed headers and payload with that key's secret. (The SDK's
 * signer, not a hand-written one: its path encoding and header canonicalization are exactly what the clients use.)
 */
export type Credentials = { accessKeyId: string; secretAccessKey: string };
export type SigV4Refusal = { status: 403; type: 'MissingAuthenticationTokenException' | 'InvalidSignatureException' | 'UnrecognizedClientException'; message: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60_000;

/**
 * Header-signed requests (any service), and for S3 also presigned URLs (X-Amz-* query parameters). `body` is hashed
 * unless the request signed its payload hash in x-amz-content-sha256 (S3 does), so streamed uploads need no body.
 */
export async function verifySigV4(req: IncomingMessage, body: Buffer | undefined, credentials: Credentials, service: string): Promise<SigV4Refusal | undefined> {
  const url = new URL(req.url ?? '/', 'http://local');
  if (service === 's3' && url.searchParams.has('X-Amz-Algorithm')) return verifyPresigned(req, url, credentials);
  const header = req.headers.authorization;
  if (!header) return { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(header);
  const amzDate = req.headers['x-amz-date'];
  if (!match || typeof amzDate !== 'string') return invalid('Authorization header requires a SigV4 Credential, SignedHeaders, Signature and X-Amz-Date');
  const [, keyId, , region, signedService, signedHeaders] = match;
  const scope = checkScope(keyId!, signedService!, amzDate, credentials, service);
  if (typeof scope !== 'object' || 'status' in scope) return scope;
  const request = signable(req, url, signedHeaders!.split(';'), Object.fromEntries(url.searchParams), body);
  if (!request) return invalid("'Host' must be a signed header.");
  // S3 signs the path as it is sent; other services escape it once more (the SDK's own rule).
  const signer = new SignatureV4({ credentials, region: region!, service, sha256: Sha256, uriEscapePath: service !== 's3', applyChecksum: service === 's3' });
  const expected = (await signer.sign(request, { signingDate: scope.signedAt })).headers.authorization ?? '';
  return same(expected, header) ? undefined : invalid(MISMATCH);
}

const AUTH_QUERY = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const MISMATCH = 'The request signature we calculated does not match the signature you provided.';

async function verifyPresigned(req: IncomingMessage, url: URL, credentials: Credentials): Promise<SigV4Refusal | undefined> {
  const q = Object.fromEntries(url.searchParams);
  const [keyId, , region, signedService] = (q['X-Amz-Credential'] ?? '').split('/');
  const expiresIn = Number(q['X-Amz-Expires']);
  if (!q['X-Amz-Signature'] || !q['X-Amz-Date'] || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) return invalid('Presigned URL requires X-Amz-Credential, X-Amz-Date, X-Amz-Expires and X-Amz-Signature');
  const scope = checkScope(keyId ?? '', signedService ?? '', q['X-Amz-Date'], credentials, 's3', expiresIn);
  if (typeof scope !== 'object' || 'status' in scope) return scope;
  const rest = Object.fromEntries(Object.entries(q).filter(([name]) => !AUTH_QUERY.includes(name)));
  const request = signable(req, url, (q['X-Amz-SignedHeaders'] ?? '').split(';'), rest, undefined);
  if (!request) return invalid("'Host' must be a signed header.");
  const presigner = new S3RequestPresigner({ credentials, region: region!, sha256: Sha256 });
  const expected = (await presigner.presign(request, { signingDate: scope.signedAt, expiresIn })).query?.['X-Amz-Signature'];
  return typeof expected === 'string' && same(expected, q['X-Amz-Signature']) ? undefined : invalid(MISMATCH);
}

/** Key id, service scope and time: within 15 minutes of now, or (presigned) not yet expired. */
function checkScope(keyId: string, signedService: string, amzDate: string, credentials: Credentials, service: string, expiresIn?: number): SigV4Refusal | { signedAt: Date } {
  if (keyId !== credentials.accessKeyId) return { status: 403, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (signedService !== service) return invalid(`Credential should be scoped to correct service: '${service}'.`);
  const parts = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!parts) return invalid('X-Amz-Date must be in the ISO8601 basic format');
  const signedAt = new Date(`${parts[1]}-${parts[2]}-${parts[3]}T${parts[4]}:${parts[5]}:${parts[6]}Z`);
  const age = Date.now() - signedAt.getTime();
  const valid = expiresIn === undefined ? Math.abs(age) <= MAX_SKEW_MS : age >= -MAX_SKEW_MS && age <= expiresIn * 1000;
  return valid ? { signedAt } : invalid(expiresIn === undefined ? 'Signature expired or not yet valid.' : 'Request has expired');
}

function signable(req: IncomingMessage, url: URL, names: string[], query: Record<string, string>, body: Buffer | undefined): HttpRequest | undefined {
  if (!names.includes('host')) return undefined;
  const headers = Object.fromEntries(names.map((name) => [name, String(req.headers[name] ?? '')]));
  return new HttpRequest({ method: req.method, protocol: 'http:', hostname: url.hostname, path: url.pathname, query, headers, body });
}

const invalid = (message: string): SigV4Refusal => ({ status: 403, type: 'InvalidSignatureException', message });
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
