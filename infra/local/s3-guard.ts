import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type Credentials } from './sigv4.ts';
import { readBodyAtMost } from './http-body.ts';

/**
 * A verifying front before s3rver, so the local bucket is as private as the deployed one (all public access
 * blocked): s3rver serves anyone and checks no V4 signature. Here every request must be SigV4-signed with the stack's
 * credentials (in headers or a presigned URL), or be a browser POST upload whose signed policy it satisfies
 * (expiry, bucket, key, Content-Type, size). Anything else gets S3's 403 AccessDenied; CORS preflights pass.
 */
export type S3Guard = { endpoint: string; stop: () => Promise<void> };

/** A POST upload body is read whole to check it; larger than any policy this stack signs is refused unread. */
const MAX_POST_BYTES = 64 * 1024 * 1024;

export async function startS3Guard(options: { upstream: string; bucketName: string; credentials: Credentials }): Promise<S3Guard> {
  const upstream = new URL(options.upstream);
  const server = createServer((req, res) => {
    guard(req, res).catch((error) => {
      console.error('local S3 guard failure', error);
      if (!res.headersSent) s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
    });
  });

  async function guard(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') return forward(req, res);
    const url = new URL(req.url ?? '/', 'http://local');
    const isPostUpload = req.method === 'POST' && /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '') && url.pathname === `/${options.bucketName}`;
    if (isPostUpload) {
      const body = await readBodyAtMost(req, MAX_POST_BYTES);
      if (!body) {
        res.on('finish', () => req.destroy());
        return s3Error(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      }
      const refusal = await checkPostPolicy(body, req.headers['content-type']!, options.bucketName, options.credentials);
      if (refusal) return s3Error(res, 403, 'AccessDenied', refusal);
      return forward(req, res, body);
    }
    const anonymous = !req.headers.authorization && !url.searchParams.has('X-Amz-Algorithm');
    if (anonymous) return s3Error(res, 403, 'AccessDenied', 'Access Denied');
    const refusal = await verifySigV4(req, undefined, options.credentials, 's3');
    if (refusal) return s3Error(res, 403, refusal.type === 'InvalidSignatureException' ? 'SignatureDoesNotMatch' : 'AccessDenied', refusal.message);
    return forward(req, res);
  }

  /** Passes the request on unchanged (Host included, which is signed); a buffered body replaces the stream. */
  function forward(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
    const proxied = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    proxied.on('error', () => res.headersSent || s3Error(res, 502, 'InternalError', 'upstream unavailable'));
    if (body) proxied.end(body);
    else req.pipe(proxied);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * S3's browser-upload rules: the policy's signature (SigV4 over the base64 policy), its expiration, and every
 * condition: exact or prefix matches of form fields (bucket and key included) and the file's content-length-range.
 * Undefined when the upload may go through, else why not.
 */
async function checkPostPolicy(body: Buffer, contentType: string, bucket: string, credentials: Credentials): Promise<string | undefined> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return 'Malformed POST form';
  }
  const fields = new Map<string, string>();
  let file: Blob | undefined;
  for (const [name, value] of form) {
    if (name.toLowerCase() === 'file' && value instanceof Blob) file = value;
    else if (typeof value === 'string') fields.set(name.toLowerCase(), value);
  }
  fields.set('bucket', bucket);
  const policy = fields.get('policy');
  const [keyId, date, region, service] = (fields.get('x-amz-credential') ?? '').split('/');
  if (!policy || !file || !fields.get('x-amz-signature')) return 'POST requires a policy, its signature and a file';
  if (keyId !== credentials.accessKeyId || service !== 's3') return 'The AWS Access Key Id you provided does not exist in our records.';
  const signingKey = ['aws4_request'].reduce(
    (key, part) => hmac(key, part),
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date ?? ''), region ?? ''), service),
  );
  const signature = createHmac('sha256', signingKey).update(policy).digest('hex');
  const provided = fields.get('x-amz-signature')!;
  if (signature.length !== provided.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(provided))) return 'The request signature we calculated does not match the signature you provided.';

  let document: { expiration?: string; conditions?: unknown[] };
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  } catch {
    return 'Invalid Policy: Invalid JSON.';
  }
  if (!document.expiration || !(Date.parse(document.expiration) > Date.now())) return 'Invalid according to Policy: Policy expired.';
  for (const condition of document.conditions ?? []) {
    const failed = checkCondition(condition, fields, file.size);
    if (failed) return `Invalid according to Policy: Policy Condition failed: ${failed}`;
  }
  return undefined;
}

function checkCondition(condition: unknown, fields: Map<string, string>, size: number): string | undefined {
  const field = (name: string) => fields.get(name.replace(/^\$/, '').toLowerCase()) ?? '';
  if (Array.isArray(condition)) {
    const [operator, name, value] = condition as [string, string | number, string | number];
    if (operator === 'content-length-range') return size >= Number(name) && size <= Number(value) ? undefined : `["content-length-range", ${name}, ${value}]`;
    if (operator === 'eq') return field(String(name)) === String(value) ? undefined : `["eq", "${name}", "${value}"]`;
    if (operator === 'starts-with') return field(String(name)).startsWith(String(value)) ? undefined : `["starts-with", "${name}", "${value}"]`;
    return `unknown condition ${JSON.stringify(condition)}`;
  }
  if (condition && typeof condition === 'object') {
    for (const [name, value] of Object.entries(condition)) if (field(name) !== String(value)) return `["eq", "$${name}", "${value}"]`;
    return undefined;
  }
  return `unknown condition ${JSON.stringify(condition)}`;
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'access-control-allow-origin': '*' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<>&]/g, '')}</Message></Error>`);
}
