import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost, type PresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { config, need } from '../config.ts';
import { IMAGE_EXTENSIONS, type ImageContentType } from '../image-types.ts';
import { traced } from '../tracing.ts';

/**
 * The image bucket: object keys, presigned uploads and downloads, and the two direct calls (HeadObject to check
 * an upload arrived, PutObject for the legacy multipart path). Knows nothing of HTTP or of conversations' rules.
 */

/**
 * One client per container, made on first use: a module that builds it at import keeps the S3 SDK (~140 KB) in the
 * bundle of every function that imports any of this file, bucket or not (conversations.ts, lifecycle.ts).
 * Path-style addressing works against both S3 and the local emulator; checksums only when an operation requires
 * them, since the SDK's default (CRC32 on every upload) is not understood by s3rver.
 */
let client: S3Client | undefined;
const s3 = () => (client ??= traced(new S3Client({
  endpoint: config.s3Endpoint,
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED', // keeps x-amz-checksum-mode out of presigned GET links
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
})));

/** Read on first use, not at import: handlers that never touch images (they share modules) need no bucket. */
const bucket = () => need('bucketName', 'BUCKET_NAME');

/** How long a presigned upload may be used: enough to start an upload right away, too short to hand around. */
export const UPLOAD_EXPIRES_SECONDS = 5 * 60;
/** How long an image link in history or a push stays valid; clients fetch history again for fresh links. */
export const DOWNLOAD_EXPIRES_SECONDS = 15 * 60;

/** Where an image lives: under its conversation, or (legacy uploads without one) under the uploader. */
export type ImageOwner = { conversationId: number } | { userId: number };

export const imagePrefix = (owner: ImageOwner): string =>
  'conversationId' in owner ? `conversations/${owner.conversationId}/` : `users/${owner.userId}/`;

export const imageKey = (owner: ImageOwner, imageId: number, contentType: ImageContentType): string =>
  `${imagePrefix(owner)}${imageId}.${IMAGE_EXTENSIONS[contentType]}`;

export type PresignedUpload = PresignedPost & { expiresAt: string };

/**
 * A browser-style POST upload for exactly this key: S3 refuses it unless the Content-Type field is the declared
 * type and the file is between 1 byte and the configured cap, and after the expiry.
 */
export async function presignUpload(key: string, contentType: ImageContentType, now = Date.now()): Promise<PresignedUpload> {
  const post = await createPresignedPost(s3(), {
    Bucket: bucket(),
    Key: key,
    Fields: { 'Content-Type': contentType },
    Conditions: [
      ['eq', '$Content-Type', contentType],
      ['content-length-range', 1, config.imageMaxBytes],
    ],
    Expires: UPLOAD_EXPIRES_SECONDS,
  });
  return { ...post, expiresAt: new Date(now + UPLOAD_EXPIRES_SECONDS * 1000).toISOString() };
}

/** A GET link that works without the bucket being public, for a short while. */
export function presignDownload(key: string): Promise<string> {
  return getSignedUrl(s3(), new GetObjectCommand({ Bucket: bucket(), Key: key }), { expiresIn: DOWNLOAD_EXPIRES_SECONDS });
}

export type StoredImage = { contentType?: string; size?: number };

/** The object's type and size, or undefined when nothing was uploaded under the key. */
export async function headImage(key: string): Promise<StoredImage | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket(), Key: key }));
    return { contentType: head.ContentType, size: head.ContentLength };
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw error;
  }
}

export async function putImage(key: string, contentType: ImageContentType, bytes: Uint8Array): Promise<void> {
  await s3().send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: bytes, ContentType: contentType }));
}

/** Removes an image for good (a recalled image message): S3 answers the same whether or not it was there. */
export async function deleteImage(key: string): Promise<void> {
  await s3().send(new DeleteObjectCommand({ Bucket: bucket(), Key: key }));
}
