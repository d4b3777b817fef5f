import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Api } from '../support/client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { makePng } from '../support/images.ts';
import { httpRoutes } from '../../shared/routes.ts';
import { LIVE_MS, openAs as openIn, screenshot, startBrowserAndStack, type Person, type SignIn } from './browser.ts';

/**
 * The web client (infra/web) in Debian's Chromium, against the real local stack: two browser contexts are two
 * people who sign up, start a conversation and exchange text and an image live. A screenshot is kept in
 * test-results/ as the run's artifact. (Groups, recall and mentions: groups.test.ts.)
 */
let stack: LocalStack;
let browser: Browser;
beforeAll(async () => {
  ({ stack, browser } = await startBrowserAndStack());
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const openAs = (name: string, how: SignIn) => openIn(browser, stack, name, how);
const signUp = (name: string) => openAs(name, { register: true });

const messageTexts = (page: Page) => page.locator('#messages .message .text').allTextContents();

describe('API reference in Chromium', () => {
  it('renders every route of the generated document, and the WebSocket protocol', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${stack.httpUrl}/docs`);
      await expect.poll(() => page.locator('.opblock').count(), { timeout: LIVE_MS }).toBe(httpRoutes.length);
      expect(await page.textContent('.info')).toContain('WebSocket protocol');
      await screenshot(page, 'e2e-docs');
    } finally {
      await page.close();
    }
  });
});

describe('web client in Chromium', () => {
  it('lets two people chat live, with an image', async () => {
    const alice = await signUp('Alice');
    const bob = await signUp('Bob');
    try {
      await converse(alice, bob);
    } finally {
      // The run's artifact, kept on failure too: what each person saw.
      await screenshot(bob.page, 'e2e-conversation');
      await screenshot(alice.page, 'e2e-conversation-sender');
    }
    expect([...alice.problems, ...bob.problems]).toEqual([]);
  });


  it('pages back through history by scrolling up, and blocks and unblocks from the contact list', async () => {
    const api = new Api(stack.httpUrl);
    const [carol, dave] = [await api.newUser('carol'), await api.newUser('dave')];
    const conversationId = await api.conversation(carol.token, dave.id);
    for (let i = 1; i <= 60; i++) await api.post('/message/send', { conversationId, content: `message ${i}` }, carol.token);
    await api.post('/contacts/add', { id: dave.id }, carol.token);

    const { page } = await openAs('carol', { register: false, username: carol.username, password: carol.password });
    await page.locator('#conversations li').first().click();
    await expect.poll(() => messageTexts(page), { timeout: LIVE_MS }).toHaveLength(50); // the newest page
    expect((await messageTexts(page)).at(-1)).toBe('message 60');
    await page.locator('#messages').evaluate((box) => ((box as unknown as { scrollTop: number }).scrollTop = 0));
    await expect.poll(() => messageTexts(page), { timeout: LIVE_MS }).toHaveLength(60);
    expect((await messageTexts(page))[0]).toBe('message 1');

    const blockButton = page.locator(`#contacts li[data-id="${dave.id}"] button.block`);
    await blockButton.click();
    await expect.poll(() => blockButton.textContent(), { timeout: LIVE_MS }).toBe('解除屏蔽');
    expect((await api.post(`/conversation/create?contactId=${carol.id}`, undefined, dave.token)).status).toBe(403);
    await blockButton.click();
    await expect.poll(() => blockButton.textContent(), { timeout: LIVE_MS }).toBe('屏蔽');
    expect((await api.post(`/conversation/create?contactId=${carol.id}`, undefined, dave.token)).status).toBe(200);
  });
});

async function converse(alice: Person, bob: Person): Promise<void> {
  // Both are on the live WebSocket (not the polling fallback), so everything below travels as pushed frames.
  for (const { page } of [alice, bob]) await expect.poll(() => page.textContent('#ws-status'), { timeout: LIVE_MS }).toBe('live');

  // Alice adds Bob by id and starts the single conversation with him.
  await alice.page.fill('#add-contact input[name=id]', bob.id);
  await alice.page.click('#add-contact button');
  await alice.page.locator(`#contacts li[data-id="${bob.id}"] input[type=checkbox]`).check();
  await alice.page.click('#start-conversation');
  await expect.poll(() => alice.page.textContent('#chat-title'), { timeout: LIVE_MS }).toBe('Bob');
  await alice.page.fill('#text', 'Hello Bob!');
  await alice.page.press('#text', 'Enter');

  // Bob sees the conversation arrive without reloading, opens it and reads the message.
  const bobsConversation = bob.page.locator('#conversations li').first();
  await bobsConversation.waitFor({ timeout: LIVE_MS });
  await bobsConversation.click();
  await expect.poll(() => messageTexts(bob.page), { timeout: LIVE_MS }).toEqual(['Hello Bob!']);
  // Bob's client marked it read: Alice sees the read marker under her message.
  await alice.page.locator('#messages .message.mine .read').waitFor({ timeout: LIVE_MS });

  // Bob types (Alice sees it) and answers; it reaches Alice live.
  await bob.page.fill('#text', 'Hi Alice, got it.');
  await expect.poll(() => alice.page.textContent('#typing'), { timeout: LIVE_MS }).toBe('Bob 正在输入…');
  await bob.page.press('#text', 'Enter');
  await expect.poll(() => messageTexts(alice.page), { timeout: LIVE_MS }).toEqual(['Hello Bob!', 'Hi Alice, got it.']);

  // Alice sends an image: preview first, then straight to storage and on to Bob.
  await alice.page.setInputFiles('#image-input', { name: 'dot.png', mimeType: 'image/png', buffer: makePng(48, 48, 5) });
  await alice.page.locator('#image-preview img').waitFor({ state: 'visible' });
  await alice.page.click('#send');
  const bobsImage = bob.page.locator('#messages .message img.image');
  await bobsImage.waitFor({ timeout: LIVE_MS });
  await expect.poll(() => bobsImage.evaluate((img) => { const image = img as unknown as { complete: boolean; naturalWidth: number }; return image.complete && image.naturalWidth; }), { timeout: LIVE_MS }).toBe(48);
  expect(await bobsImage.getAttribute('src')).toMatch(/^https?:\/\//); // from storage, not a local preview
}
