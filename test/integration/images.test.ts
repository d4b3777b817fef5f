import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { Api, type TestUser } from '../support/client.ts';
import { makePng } from '../support/images.ts';
import type { LocalStack } from '../../infra/local/stack.ts';

const IMAGE_MAX_BYTES = 1024 * 1024; // configured below the 10 MB default, to show the cap is configuration
const LEGACY_MAX_BYTES = 5 * 1024 * 1024;

let stack: LocalStack;
let api: Api;
let alice: TestUser; // member of `chat` and of `other`
let bob: TestUser; // member of `chat`
let carol: TestUser; // member of `other` only
let chat: number;
let other: number;

beforeAll(async () => {
  stack = await startTestStack({ IMAGE_MAX_BYTES: String(IMAGE_MAX_BYTES) });
  api = new Api(stack.httpUrl);
  [alice, bob, carol] = await Promise.all([api.newUser('alice'), api.newUser('bob'), api.newUser('carol')]);
  chat = await api.conversation(alice.token, bob.id);
  other = await api.conversation(carol.token, alice.id);
});
afterAll(() => stack?.stop());

type Upload = { url: string; fields: Record<string, string> };

const askUpload = (user: TestUser, body: Record<string, unknown>) => api.post('/message/image', body, user.token);

/** What a browser does with a presigned POST: the signed fields, then the file, as multipart/form-data. */
async function postToS3(upload: Upload, file: Blob, fieldOverrides: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...upload.fields, ...fieldOverrides })) form.append(name, value);
  form.append('file', file);
  return fetch(upload.url, { method: 'POST', body: form });
}

/** Asks for an upload in the conversation and uploads the PNG with it; returns the key. */
async function uploadPng(user: TestUser, conversationId: number, png: Buffer): Promise<string> {
  const asked = await askUpload(user, { contentType: 'image/png', size: png.length, conversationId });
  expect(asked.status).toBe(200);
  const stored = await postToS3(asked.body.upload, new Blob([png], { type: 'image/png' }));
  expect(stored.status).toBe(204);
  return asked.body.key;
}

const sendImage = (user: TestUser, conversationId: number, key: string) =>
  api.post('/message/send', { conversationId, content: key, type: 'image' }, user.token);

async function legacyUpload(user: TestUser, file: Blob, fileName: string, conversationId?: number) {
  const form = new FormData();
  form.append('image', file, fileName);
  if (conversationId !== undefined) form.append('conversationId', String(conversationId));
  const res = await fetch(`${stack.httpUrl}/message/image`, { method: 'POST', body: form, headers: { token: user.token } });
  return { status: res.status, body: (await res.json()) as any };
}

async function download(url: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

async function imageInHistory(reader: TestUser, conversationId: number, key: string) {
  const history = await api.get(`/message/history/${conversationId}`, reader.token);
  expect(history.status).toBe(200);
  return history.body.messages.find((m: { content: string }) => m.content === key);
}

describe('image messages through presigned uploads', () => {
  it('uploads a real PNG the way a browser does, sends it, and another member downloads the same bytes', async () => {
    const png = makePng(16, 16, 3);
    const asked = await askUpload(alice, { contentType: 'image/png', size: png.length, conversationId: chat });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ success: true, key: expect.stringMatching(new RegExp(`^conversations/${chat}/\\d+\\.png$`)) });
    expect(Date.parse(asked.body.expiresAt)).toBeGreaterThan(Date.now());
    // The cap in the signed policy is the configured one.
    const policy = JSON.parse(Buffer.from(asked.body.upload.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', 1, IMAGE_MAX_BYTES]);

    // A page on another origin may upload: the bucket answers the CORS preflight.
    const preflight = await fetch(asked.body.upload.url, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');

    expect((await postToS3(asked.body.upload, new Blob([png], { type: 'image/png' }))).status).toBe(204);
    const sent = await sendImage(alice, chat, asked.body.key);
    expect(sent.status).toBe(201);
    expect(sent.body.data).toMatchObject({ type: 'image', content: asked.body.key, url: expect.any(String) });

    const seen = await imageInHistory(bob, chat, asked.body.key);
    expect(seen).toMatchObject({ type: 'image', sender_id: alice.id, url: expect.stringContaining('X-Amz-Signature=') });
    const fetched = await download(seen.url);
    expect(fetched.status).toBe(200);
    expect(fetched.type).toBe('image/png');
    expect(fetched.bytes.equals(png)).toBe(true);
  });

  it('leaves text messages without a url', async () => {
    const sent = await api.post('/message/send', { conversationId: chat, content: 'just words' }, alice.token);
    expect(sent.status).toBe(201);
    expect(sent.body.data.url).toBeUndefined();
  });

  it('gives uploads to members only', async () => {
    const res = await askUpload(carol, { contentType: 'image/png', size: 100, conversationId: chat });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
    const missing = await askUpload(alice, { contentType: 'image/png', size: 100, conversationId: 999_999_999 });
    expect(missing.status).toBe(404);
  });

  it('refuses a type that is not an image, an oversize file and a malformed request with clear 4xx', async () => {
    const wrongType = await askUpload(alice, { contentType: 'text/html', size: 100, conversationId: chat });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'contentType' });

    const oversize = await askUpload(alice, { contentType: 'image/jpeg', size: IMAGE_MAX_BYTES + 1, conversationId: chat });
    expect(oversize.status).toBe(413);
    expect(oversize.body).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });

    for (const body of [{ contentType: 'image/png', size: 0, conversationId: chat }, { contentType: 'image/png', conversationId: chat }, { size: 10, conversationId: chat }]) {
      const res = await askUpload(alice, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const notJson = await api.request('POST', '/message/image', { token: alice.token, raw: 'not json', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    // Only multipart bodies get the larger cap: a JSON body keeps the usual 64 KB one.
    const bloated = await askUpload(alice, { contentType: 'image/png', size: 10, conversationId: chat, padding: 'x'.repeat(100 * 1024) });
    expect(bloated.status).toBe(413);
  });

  it('refuses image messages whose key belongs to another conversation, was never uploaded, or is not an image key', async () => {
    const otherKey = await uploadPng(alice, other, makePng(2, 2, 9)); // a real upload, but for `other`
    const foreign = await sendImage(alice, chat, otherKey);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'content' });

    const asked = await askUpload(alice, { contentType: 'image/png', size: 10, conversationId: chat });
    const neverUploaded = await sendImage(alice, chat, asked.body.key);
    expect(neverUploaded.status).toBe(400);
    expect(neverUploaded.body).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('尚未上传') });

    for (const key of ['../../etc/passwd', `conversations/${chat}/../${other}/1.png`, `conversations/${chat}/1.exe`, 'https://example.com/cat.png', `users/${bob.id}/1.png`]) {
      const res = await sendImage(alice, chat, key);
      expect(res.status, key).toBe(400);
    }
    // A non-member is told so before anything about the key.
    expect((await sendImage(carol, chat, asked.body.key)).status).toBe(403);
  });

  it('the local bucket enforces the signed POST policy as S3 does: type, size, key, expiry and the signature itself', async () => {
    const png = makePng(4, 4, 9);
    const asked = await askUpload(alice, { contentType: 'image/png', size: png.length, conversationId: chat });
    const upload = asked.body.upload as Upload;
    const refused = async (file: Blob, overrides: Record<string, string>) => {
      const res = await postToS3(upload, file, overrides);
      expect([res.status, await res.text()]).toEqual([403, expect.stringContaining('AccessDenied')]);
    };
    await refused(new Blob(['<script>alert(1)</script>'], { type: 'text/html' }), { 'Content-Type': 'text/html' });
    await refused(new Blob([Buffer.alloc(IMAGE_MAX_BYTES + 1)]), {});
    await refused(new Blob([png]), { key: `conversations/${chat}/1.png` });
    await refused(new Blob([png]), { Policy: Buffer.from(JSON.stringify({ expiration: '2099-01-01T00:00:00Z', conditions: [] })).toString('base64') });
    expect((await postToS3(upload, new Blob([png], { type: 'image/png' }))).status).toBe(204);
  });

  it('refuses anonymous listing, reads, writes and deletes; presigned URLs keep working', async () => {
    const key = await uploadPng(alice, chat, makePng(2, 2, 10));
    const bucketUrl = `${stack.s3Endpoint}/${stack.bucketName}`;
    const anonymous = await Promise.all([
      fetch(bucketUrl),
      fetch(`${bucketUrl}?list-type=2`),
      fetch(`${bucketUrl}/${key}`),
      fetch(`${bucketUrl}/${key}`, { method: 'PUT', body: 'overwritten' }),
      fetch(`${bucketUrl}/${key}`, { method: 'DELETE' }),
      fetch(`${bucketUrl}/users/1/1.png`, { method: 'PUT', body: 'planted' }),
    ]);
    expect(anonymous.map((res) => res.status)).toEqual([403, 403, 403, 403, 403, 403]);
    const seen = await imageInHistory(bob, chat, (await sendImage(alice, chat, key)).body.data.content);
    expect((await download(seen.url)).status).toBe(200);
    const tampered = new URL(seen.url);
    tampered.pathname = tampered.pathname.replace(/\d+\.png$/, '1.png');
    expect((await fetch(tampered)).status).toBe(403);
  });
});

describe('legacy multipart upload', () => {
  it('stores a real PNG under the conversation and a member downloads it through the message', async () => {
    const png = makePng(8, 8, 5);
    const res = await legacyUpload(alice, new Blob([png], { type: 'application/octet-stream' }), '王老吉.png', chat);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, contentType: 'image/png', size: png.length, key: expect.stringMatching(new RegExp(`^conversations/${chat}/\\d+\\.png$`)) });
    expect((await download(res.body.url)).bytes.equals(png)).toBe(true);

    expect((await sendImage(alice, chat, res.body.key)).status).toBe(201);
    const seen = await imageInHistory(bob, chat, res.body.key);
    expect((await download(seen.url)).bytes.equals(png)).toBe(true);
  });

  it('stores under the uploader without a conversation; only the uploader may send that key', async () => {
    const png = makePng(3, 3, 6);
    const res = await legacyUpload(alice, new Blob([png]), 'photo.png');
    expect(res.status).toBe(201);
    expect(res.body.key).toMatch(new RegExp(`^users/${alice.id}/\\d+\\.png$`));
    expect((await sendImage(alice, chat, res.body.key)).status).toBe(201);
    expect((await sendImage(bob, chat, res.body.key)).status).toBe(400);
  });

  it('rejects a text file named .png (checked by content, not name or declared type)', async () => {
    const res = await legacyUpload(alice, new Blob(['definitely not a picture\n'], { type: 'image/png' }), 'cat.png', chat);
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ success: false, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('rejects a missing file, a non-member, a bad conversation id and a file over 5 MB', async () => {
    const form = new FormData();
    form.append('conversationId', String(chat));
    const noFile = await fetch(`${stack.httpUrl}/message/image`, { method: 'POST', body: form, headers: { token: alice.token } });
    expect(noFile.status).toBe(400);

    const png = makePng();
    expect((await legacyUpload(carol, new Blob([png]), 'a.png', chat)).status).toBe(403);
    const badId = await legacyUpload(alice, new Blob([png]), 'a.png', 'abc' as unknown as number);
    expect(badId.status).toBe(400);
    expect(badId.body.field).toBe('conversationId');

    const garbled = await api.request('POST', '/message/image', { token: alice.token, raw: 'no parts here', headers: { 'content-type': 'multipart/form-data; boundary=xyz' } });
    expect(garbled.status).toBe(400);
    expect(garbled.body.code).toBe('VALIDATION_FAILED');

    const huge = Buffer.concat([png, Buffer.alloc(LEGACY_MAX_BYTES + 1 - png.length)]);
    const tooBig = await legacyUpload(alice, new Blob([huge]), 'big.png', chat);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('needs a token', async () => {
    const form = new FormData();
    form.append('image', new Blob([makePng()]), 'a.png');
    expect((await fetch(`${stack.httpUrl}/message/image`, { method: 'POST', body: form })).status).toBe(401);
  });
});
