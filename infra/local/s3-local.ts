import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { startS3Guard } from './s3-guard.ts';

/**
 * The local stand-in for the image bucket: s3rver on loopback, with the bucket created at start and a CORS
 * configuration that lets a browser page on any local origin upload with the presigned POST and show the images,
 * behind a front that refuses what the private AWS bucket refuses (infra/local/s3-guard.ts).
 */
export type S3Local = { endpoint: string; bucketName: string; stop: () => Promise<void> };

/** s3rver knows only this key pair; it checks the key id of every signed request (DynamoDB Local accepts any). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

const CORS_CONFIGURATION = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>POST</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/** Starts s3rver on the port: objects persist under dataDir, or live in a temporary folder removed on stop. */
export async function startS3Local(options: { port: number; bucketName: string; dataDir?: string }): Promise<S3Local> {
  const directory = options.dataDir ?? mkdtempSync(join(tmpdir(), 'chat-s3-'));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    silent: true,
    directory,
    vhostBuckets: false, // the S3 clients use path-style addressing (forcePathStyle)
    configureBuckets: [{ name: options.bucketName, configs: [CORS_CONFIGURATION] }],
  });
  const { port } = await server.run();
  // The handlers and clients reach the bucket only through the verifying front (options.port is s3rver's own).
  const front = await startS3Guard({ upstream: `http://127.0.0.1:${port}`, bucketName: options.bucketName, credentials: S3RVER_CREDENTIALS });
  return {
    endpoint: front.endpoint,
    bucketName: options.bucketName,
    stop: async () => {
      await front.stop();
      await server.close();
      if (!options.dataDir) rmSync(directory, { recursive: true, force: true });
    },
  };
}
