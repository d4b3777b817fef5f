import { describe, expect, it } from 'vitest';
import { createConversationQuery, historyQuery, id, registerBody, sendMessageBody } from '../../shared/schemas.ts';

describe('id schema', () => {
  it.each([[1, 1], ['42', 42], [' 7 ', 7], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER]])('accepts %j', (input, expected) => {
    expect(id.parse(input)).toBe(expected);
  });
  it.each([0, -1, 1.5, '9007199254740992', 2 ** 53, '1e3', 'abc', '', null, true, [], {}, '0x10', 'NaN'])('refuses %j', (input) => {
    expect(id.safeParse(input).success).toBe(false);
  });
});

describe('conversation/create contactId', () => {
  it('takes repeated parameters (joined by commas, as API Gateway does) and comma lists', () => {
    expect(createConversationQuery.parse({ contactId: '2,3' }).contactId).toEqual([2, 3]);
    expect(createConversationQuery.parse({ contactId: '5' }).contactId).toEqual([5]);
  });
  it('refuses empty, non-numeric and oversize lists', () => {
    expect(createConversationQuery.safeParse({ contactId: '' }).success).toBe(false);
    expect(createConversationQuery.safeParse({ contactId: '2,x' }).success).toBe(false);
    // At most 256 ids: what fits API Gateway's 10,240 bytes of request line and headers with room for the headers.
    const idsOf = (n: number) => Array.from({ length: n }, (_, i) => 9_000_000_000_000_000 + i).join(',');
    expect(createConversationQuery.parse({ contactId: idsOf(256) }).contactId).toHaveLength(256);
    expect(createConversationQuery.safeParse({ contactId: idsOf(257) }).success).toBe(false);
    expect(`POST /conversation/create?contactId=${idsOf(256)} HTTP/1.1`.length).toBeLessThan(4_500);
    expect(createConversationQuery.safeParse({}).success).toBe(false);
  });
});

describe('register body', () => {
  const valid = { username: 'zhuaiqiqi', password: 'jhh72811', nickname: '拽奇奇', email: '2474510393@qq.com' };
  it('accepts the seed example and ignores unknown fields', () => {
    expect(registerBody.parse({ ...valid, id: 5, extra: true })).toEqual(valid);
  });
  it('treats an empty email as none and refuses a malformed one', () => {
    expect(registerBody.parse({ ...valid, email: '' }).email).toBeUndefined();
    expect(registerBody.safeParse({ ...valid, email: 'not-an-email' }).success).toBe(false);
  });
  it('measures the password in bytes (bcrypt reads at most 72)', () => {
    expect(registerBody.safeParse({ ...valid, password: 'a'.repeat(72) }).success).toBe(true);
    expect(registerBody.safeParse({ ...valid, password: 'é'.repeat(37) }).success).toBe(false); // 74 bytes
    expect(registerBody.safeParse({ ...valid, password: 'short' }).success).toBe(false);
  });
  it('refuses whitespace in usernames and control characters in nicknames', () => {
    expect(registerBody.safeParse({ ...valid, username: 'a b' }).success).toBe(false);
    expect(registerBody.safeParse({ ...valid, nickname: 'a\u0000b' }).success).toBe(false);
  });
});

describe('history query', () => {
  it('defaults the page to 50 and caps it at 100', () => {
    expect(historyQuery.parse({}).limit).toBe(50);
    expect(historyQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(historyQuery.safeParse({ limit: '0' }).success).toBe(false);
  });
});

describe('send body', () => {
  it('caps text at 4000 characters and defaults the type to text', () => {
    expect(sendMessageBody.parse({ conversationId: 1, content: 'x'.repeat(4000) }).type).toBe('text');
    expect(sendMessageBody.safeParse({ conversationId: 1, content: 'x'.repeat(4001) }).success).toBe(false);
  });
});
