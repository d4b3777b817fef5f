import { beforeAll, describe, expect, it } from 'vitest';

/*
 * The presigned POST's policy is what makes S3 refuse a wrong type, an oversize file or another key; s3rver does
 * not enforce it, so these tests decode the signed policy and check its conditions directly.
 */
const MAX_BYTES = 2 * 1024 * 1024;
let images: typeof import('../../shared/data/images.ts');

beforeAll(async () => {
  Object.assign(process.env, {
    TABLE_NAME: 'unit',
    JWT_SECRET: 'unit-secret',
    BUCKET_NAME: 'unit-images',
    S3_ENDPOINT: 'http://127.0.0.1:4568',
    IMAGE_MAX_BYTES: String(MAX_BYTES),
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDUNIT',
    AWS_SECRET_ACCESS_KEY: 'unit',
  });
  images = await import('../../shared/data/images.ts'); // config is read at import: after the environment is set
});

type Policy = { expiration: string; conditions: Array<unknown[] | Record<string, string>> };
const decode = (policy: string): Policy => JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));

describe('presigned image upload', () => {
  it('builds keys under the conversation (or the legacy uploader) with the type’s extension', () => {
    expect(images.imageKey({ conversationId: 42 }, 7, 'image/png')).toBe('conversations/42/7.png');
    expect(images.imageKey({ conversationId: 42 }, 8, 'image/jpeg')).toBe('conversations/42/8.jpg');
    expect(images.imageKey({ userId: 5 }, 9, 'image/webp')).toBe('users/5/9.webp');
  });

  it('signs a policy that fixes the content type, caps the size, pins the key and expires soon', async () => {
    const signedAt = Date.now();
    const key = images.imageKey({ conversationId: 42 }, 7, 'image/png');
    const upload = await images.presignUpload(key, 'image/png', signedAt);
    const policy = decode(upload.fields.Policy!);

    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'image/png']);
    expect(policy.conditions).toContainEqual(['content-length-range', 1, MAX_BYTES]);
    expect(policy.conditions).toContainEqual({ key });
    expect(policy.conditions).toContainEqual({ bucket: 'unit-images' });
    // No condition lets the key or type vary (a starts-with would let a client pick another conversation's key).
    expect(policy.conditions.filter((c) => Array.isArray(c) && c[0] === 'starts-with')).toEqual([]);

    const expiresIn = Date.parse(policy.expiration) - signedAt;
    expect(expiresIn).toBeGreaterThan((images.UPLOAD_EXPIRES_SECONDS - 5) * 1000);
    expect(expiresIn).toBeLessThanOrEqual(images.UPLOAD_EXPIRES_SECONDS * 1000 + 1000);
    expect(images.UPLOAD_EXPIRES_SECONDS).toBeLessThanOrEqual(15 * 60);
    expect(Date.parse(upload.expiresAt)).toBe(signedAt + images.UPLOAD_EXPIRES_SECONDS * 1000);

    // The form fields the client posts back satisfy the conditions, and the URL is path-style on the endpoint.
    expect(upload.fields).toMatchObject({ key, 'Content-Type': 'image/png', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' });
    expect(upload.fields['X-Amz-Credential']).toMatch(/^AKIDUNIT\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(upload.url).toBe('http://127.0.0.1:4568/unit-images');
  });

  it('signs short-lived path-style GET links', async () => {
    const url = new URL(await images.presignDownload('conversations/42/7.png'));
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:4568/unit-images/conversations/42/7.png');
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(images.DOWNLOAD_EXPIRES_SECONDS));
    expect(images.DOWNLOAD_EXPIRES_SECONDS).toBeLessThanOrEqual(60 * 60);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});
