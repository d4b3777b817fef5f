import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/transport';

/**
 * Verifies an AWS Signature Version 4 request as AWS does: the key id must be the one credential the local stack
 * knows, the date within 15 minutes, and the signature the one the AWS SDK's own signer computes over the same
 * method, path, query, signed headers and body with that key's secret. (The SDK's signer, not a hand-written one:
 * its path encoding and header canonicalization are exactly what the clients use.)
 */
export type Credentials = { accessKeyId: string; secretAccessKey: string };
export type SigV4Refusal = { status: 403; type: 'MissingAuthenticationTokenException' | 'InvalidSignatureException' | 'UnrecognizedClientException'; message: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60_000;

export async function verifySigV4(req: IncomingMessage, body: Buffer, credentials: Credentials, service: string): Promise<SigV4Refusal | undefined> {
  const header = req.headers.authorization;
  if (!header) return { status: 403, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const match = AUTHORIZATION.exec(header);
  const amzDate = req.headers['x-amz-date'];
  const invalid = (message: string): SigV4Refusal => ({ status: 403, type: 'InvalidSignatureException', message });
  if (!match || typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate)) return invalid('Authorization header requires a SigV4 Credential, SignedHeaders, Signature and X-Amz-Date');
  const [, keyId, , region, signedService, signedHeaders] = match;
  if (keyId !== credentials.accessKeyId) return { status: 403, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  if (signedService !== service) return invalid(`Credential should be scoped to correct service: '${service}'.`);
  const signedAt = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (!(Math.abs(Date.now() - signedAt.getTime()) <= MAX_SKEW_MS)) return invalid('Signature expired or not yet valid.');

  const url = new URL(req.url ?? '/', 'http://local');
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) return invalid("'Host' must be a signed header.");
  const headers = Object.fromEntries(names.map((name) => [name, String(req.headers[name] ?? '')]));
  const request = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: url.hostname,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  });
  const signer = new SignatureV4({ credentials, region: region!, service, sha256: Sha256 });
  const expected = (await signer.sign(request, { signingDate: signedAt })).headers.authorization ?? '';
  const equal = expected.length === header.length && timingSafeEqual(Buffer.from(expected), Buffer.from(header));
  return equal ? undefined : invalid('The request signature we calculated does not match the signature you provided.');
}
