import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate, compileErrors } from '@readme/openapi-parser';
import { startTestStack } from '../support/stack.ts';
import { Api } from '../support/client.ts';
import { httpRoutes, wsRoutes, type HttpRoute } from '../../shared/routes.ts';
import { RESPONSES, errorEnvelope } from '../../shared/http/response-schemas.ts';
import { STATUS_BY_CODE } from '../../shared/errors.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { makePng } from '../support/images.ts';

/** Remembers every response, so the test can check each one against what the document promises for its route. */
class RecordingApi extends Api {
  readonly seen: { row: HttpRoute; status: number; body: any }[] = [];
  override async request<T = any>(method: string, path: string, options: Parameters<Api['request']>[2] = {}) {
    const res = await super.request<T>(method, path, options);
    const pathname = new URL(path, 'http://x').pathname;
    const row = httpRoutes.find((r) => r.method === method && new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(pathname));
    if (row) this.seen.push({ row, status: res.status, body: res.body });
    return res;
  }
}

/** The seed's multipart upload, through the recording client. */
async function legacyUpload(token: string, file: Buffer, conversationId: number) {
  const form = new FormData();
  form.append('image', new Blob([file]), 'upload.png');
  form.append('conversationId', String(conversationId));
  const encoded = new Request('http://encoder', { method: 'POST', body: form });
  return api.request('POST', '/message/image', { token, raw: Buffer.from(await encoded.arrayBuffer()), headers: { 'content-type': encoded.headers.get('content-type')! } });
}

let stack: LocalStack;
let api: RecordingApi;
let document: any;
beforeAll(async () => {
  stack = await startTestStack();
  api = new RecordingApi(stack.httpUrl);
  document = (await api.get('/openapi.json')).body;
});
afterAll(() => stack?.stop());

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document));
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
  });

  it('documents every route-table row, and nothing else', () => {
    const documented = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    const rows = httpRoutes.map((row) => `${row.method} ${row.path}`);
    expect(documented.sort()).toEqual(rows.sort());
    for (const row of httpRoutes) {
      expect(RESPONSES[row.name], `${row.name} needs an entry in shared/http/response-schemas.ts`).toBeDefined();
      const op = document.paths[row.path][row.method.toLowerCase()];
      expect(op.operationId).toBe(row.name);
      expect(op.security).toEqual(row.auth ? [{ token: [] }, { bearer: [] }] : []);
      if (row.request?.body) expect(op.requestBody.content['application/json'].schema.type).toBe('object');
      for (const name of row.path.match(/(?<=\{)\w+(?=\})/g) ?? []) expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      if (row.auth) expect(op.responses['401']).toBeDefined();
    }
  });

  it('keeps the seed paths and the token security scheme', () => {
    for (const path of ['/user/register', '/user/login', '/contacts/add', '/conversation/create', '/message/history/{conversation_id}', '/user/ban/{bannerId}']) {
      expect(document.paths[path], path).toBeDefined();
    }
    expect(document.components.securitySchemes.token).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'token' }));
    expect(document.paths['/conversation/create'].post.parameters).toContainEqual(expect.objectContaining({ name: 'contactId', in: 'query', required: true }));
    expect(document.info.description).toContain('WebSocket protocol');
    for (const row of wsRoutes) expect(document.info.description).toContain(`\`${row.routeKey}\``);
  });
});

describe('served pages', () => {
  it('serves the rendered reference from local files', async () => {
    const page = await fetch(`${stack.httpUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // no CDN
    for (const src of html.match(/(?<=(src|href)=")[^"]+/g) ?? []) {
      expect((await fetch(stack.httpUrl + src)).status, src).toBe(200);
    }
  });

  it('serves the web client and its config, and refuses paths outside its folder', async () => {
    const index = await fetch(`${stack.httpUrl}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<script type="module" src="main.js"');
    expect((await api.get('/config.json')).body).toEqual({ apiUrl: '', wsUrl: expect.toBeOneOf([null, expect.stringMatching(/^ws:\/\//)]) });
    expect((await fetch(`${stack.httpUrl}/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${stack.httpUrl}/docs/swagger-ui/..%2f..%2f..%2fpackage.json`)).status).toBe(404);
  });
});

describe('real responses match the document', () => {
  it('answers every route with the documented statuses and bodies', async () => {
    const [alice, bob, carol] = [await api.newUser('alice'), await api.newUser('bob'), await api.newUser('carol')];
    await api.post('/user/register', { username: alice.username.toUpperCase(), password: 'another-pass-1', nickname: 'x' });
    await api.post('/user/register', { username: '', password: 1 });
    await api.post('/user/login', { username: alice.username, password: 'wrong-password' });
    await api.get('/user/profile', alice.token);
    await api.get('/user/profile');
    await api.get(`/user/profile/${bob.id}`, alice.token);
    await api.get('/user/profile/424242', alice.token);
    await api.post('/contacts/add', { id: bob.id }, alice.token);
    await api.post('/contacts/add', { id: bob.id }, alice.token);
    await api.post('/contacts/add', { id: 'bob' }, alice.token);
    await api.get('/contacts/list', alice.token);
    await api.delete(`/contacts/remove/${bob.id}`, alice.token);
    await api.delete(`/contacts/remove/${bob.id}`, alice.token);
    const single = await api.conversation(alice.token, bob.id);
    await api.conversation(alice.token, bob.id);
    await api.conversation(alice.token, bob.id, carol.id);
    await api.get('/conversation/getlist', alice.token);
    await api.get(`/conversation/members?conversationId=${single}`, alice.token);
    await api.get(`/conversation/members?conversationId=${single}`, carol.token);
    await api.post('/message/send', { conversationId: single, content: 'hello', type: 'text', clientMessageId: 'c-1' }, alice.token);
    await api.post('/message/send', { conversationId: single, content: 'hello', type: 'text', clientMessageId: 'c-1' }, alice.token);
    await api.post('/message/send', { conversationId: single, content: 'x'.repeat(4001) }, alice.token);
    const png = makePng(8, 8, 3);
    const asked = await api.post('/message/image', { contentType: 'image/png', size: png.length, conversationId: single }, alice.token);
    const upload = new FormData();
    for (const [name, value] of Object.entries(asked.body.upload.fields as Record<string, string>)) upload.append(name, value);
    upload.append('file', new Blob([png], { type: 'image/png' }));
    expect((await fetch(asked.body.upload.url, { method: 'POST', body: upload })).status).toBe(204);
    await api.post('/message/send', { conversationId: single, content: asked.body.key, type: 'image' }, alice.token);
    await api.post('/message/image', { contentType: 'text/plain', size: 3, conversationId: single }, alice.token);
    await legacyUpload(alice.token, png, single);
    await legacyUpload(alice.token, Buffer.from('not an image at all'), single);
    await api.get(`/message/history/${single}?limit=2`, bob.token);
    await api.get(`/message/history/${single}`, carol.token);
    await api.get('/conversation/getlist', bob.token);
    await api.post(`/user/ban/${alice.id}`, undefined, bob.token);
    await api.post(`/conversation/create?contactId=${bob.id}`, undefined, alice.token);
    await api.delete(`/user/unban/${alice.id}`, bob.token);
    await api.delete(`/user/unban/${alice.id}`, bob.token);
    const dave = await api.newUser('dave');
    const named = await api.post(`/conversation/create?contactId=${bob.id}&contactId=${carol.id}&name=team`, undefined, alice.token);
    const groupId = named.body.conversation.id;
    await api.post('/conversation/members/add', { conversationId: groupId, userIds: [dave.id] }, alice.token);
    await api.post('/conversation/members/add', { conversationId: groupId, userIds: [dave.id] }, alice.token);
    await api.post('/conversation/update', { conversationId: groupId, name: 'team 2', announcement: 'hi' }, alice.token);
    await api.post('/conversation/admins', { conversationId: groupId, userId: bob.id, admin: true }, alice.token);
    await api.post('/conversation/admins', { conversationId: groupId, userId: carol.id, admin: true }, bob.token);
    await api.post('/conversation/members/remove', { conversationId: groupId, userIds: [dave.id] }, bob.token);
    await api.get(`/conversation/members?conversationId=${groupId}`, bob.token);
    await api.post('/conversation/transfer', { conversationId: groupId, userId: bob.id }, alice.token);
    await api.post('/conversation/leave', { conversationId: groupId }, alice.token);
    await api.post('/conversation/disband', { conversationId: groupId }, bob.token);
    await api.post('/user/settings', { groupInvites: 'contacts' }, dave.token);
    await api.post(`/conversation/create?contactId=${dave.id}&contactId=${bob.id}`, undefined, alice.token);
    const toRecall = await api.post('/message/send', { conversationId: single, content: 'take back' }, alice.token);
    await api.post('/message/recall', { conversationId: single, messageId: toRecall.body.data.id }, alice.token);
    await api.post('/message/recall', { conversationId: single, messageId: toRecall.body.data.id }, bob.token);
    await api.post('/message/delete', { conversationId: single, messageId: toRecall.body.data.id }, bob.token);
    await api.get(`/message/history/${single}`, alice.token);
    const changed = await api.post('/user/password', { oldPassword: carol.password, newPassword: 'a-new-password-1' }, carol.token);
    await api.post('/user/password', { oldPassword: 'not-her-password', newPassword: 'another-new-pass' }, changed.body.token);
    await api.post('/user/logout', undefined, changed.body.token);

    const problems: string[] = [];
    for (const { row, status, body } of api.seen) {
      const documented = RESPONSES[row.name]!;
      const operation = document.paths[row.path][row.method.toLowerCase()];
      if (!operation.responses[String(status)]) problems.push(`${row.name}: undocumented status ${status}`);
      if (status < 400) {
        const reply = documented.success.find((s) => s.status === status);
        const parsed = reply ? reply.body.safeParse(body) : undefined;
        if (!parsed) problems.push(`${row.name}: success status ${status} not documented`);
        else if (!parsed.success) problems.push(`${row.name} ${status}: ${parsed.error.message}`);
      } else {
        const parsed = errorEnvelope.safeParse(body);
        if (!parsed.success) problems.push(`${row.name} ${status}: ${parsed.error.message}`);
        else if (STATUS_BY_CODE[parsed.data.code as keyof typeof STATUS_BY_CODE] !== status) problems.push(`${row.name}: code ${parsed.data.code} with status ${status}`);
        else if (!operation.responses[String(status)]?.content['application/json'].schema.allOf[1].properties.code.enum.includes(parsed.data.code)) problems.push(`${row.name}: undocumented code ${parsed.data.code}`);
      }
    }
    expect(problems).toEqual([]);
    // The scenario reaches every row's success and at least one failure overall per kind, so the check has teeth.
    const succeeded = new Set(api.seen.filter((s) => s.status < 400).map((s) => s.row.name));
    expect([...succeeded].sort()).toEqual(httpRoutes.map((r) => r.name).sort());
    expect(new Set(api.seen.filter((s) => s.status >= 400).map((s) => s.status))).toEqual(new Set([400, 401, 403, 404, 409, 415]));
    expect(api.seen.find((s) => s.row.name === 'messageHistory' && s.status === 200 && s.body.messages.some((m: { url?: string }) => m.url))).toBeDefined();
  });
});
