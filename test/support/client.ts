import { randomBytes } from 'node:crypto';

/** A plain HTTP client for the API, as any app would use it. */
export type Response<T = any> = { status: number; body: T; headers: Headers };

export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, options: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Response<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.token = options.token;
    let body: string | Buffer | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', path, { token });
  }
  post<T = any>(path: string, body?: unknown, token?: string) {
    return this.request<T>('POST', path, { token, body });
  }
  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', path, { token });
  }

  /** Registers and logs in a fresh user. */
  async newUser(prefix = 'user'): Promise<TestUser> {
    const username = `${prefix}_${randomBytes(5).toString('hex')}`;
    const password = 'correct-horse-1';
    const reg = await this.post('/user/register', { username, password, nickname: `${prefix} nick` });
    if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
    const login = await this.post('/user/login', { username, password });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    return { id: login.body.user.id, username, password, token: login.body.token };
  }

  async conversation(token: string, ...contactIds: number[]): Promise<number> {
    const res = await this.post(`/conversation/create?${contactIds.map((id) => `contactId=${id}`).join('&')}`, undefined, token);
    if (res.status !== 200 && res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.conversation.id;
  }
}

export type TestUser = { id: number; username: string; password: string; token: string };
