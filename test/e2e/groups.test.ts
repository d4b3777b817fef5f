import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Api } from '../support/client.ts';
import type { LocalStack } from '../../infra/local/stack.ts';
import { LIVE_MS, openAs, screenshot, startBrowserAndStack, type Person } from './browser.ts';

/**
 * Groups in the web client, in Chromium against the real local stack, with real clicks: three people run a group
 * (create, rename, announcement, an invite refused for want of consent and then accepted, an admin, an @-mention
 * and its 有人@我 mark, a recall, a delete-for-me, a removal, a transfer, a disband), and one person pages through a long
 * conversation list. Screenshots of each step land in test-results/e2e-group-*.png.
 */
let stack: LocalStack;
let browser: Browser;
let api: Api;
beforeAll(async () => {
  ({ stack, browser } = await startBrowserAndStack());
  api = new Api(stack.httpUrl);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const signUp = (name: string) => openAs(browser, stack, name, { register: true });
const live = { timeout: LIVE_MS };

const title = (page: Page) => page.textContent('#chat-title');
const notices = (page: Page) => page.locator('#messages .notice').allTextContents();
const entry = (page: Page, name: string) => page.locator('#conversations li', { hasText: name });
const member = (page: Page, id: string) => page.locator(`#group-members li[data-id="${id}"]`);
const tokenOf = (person: Person) => person.page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string } }).sessionStorage.getItem('token'));

async function addContact(person: Person, id: string | number): Promise<void> {
  await person.page.fill('#add-contact input[name=id]', String(id));
  await person.page.click('#add-contact button');
  await person.page.locator(`#contacts li[data-id="${id}"]`).waitFor(live);
}

describe('the web client serves its modules', () => {
  it('as JavaScript under the client CSP, each one', async () => {
    const modules = readdirSync('infra/web').filter((file) => file.endsWith('.js'));
    expect(modules).toContain('main.js');
    for (const file of modules) {
      const res = await fetch(`${stack.httpUrl}/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(/^text\/javascript/);
      expect(res.headers.get('content-security-policy'), file).toContain("script-src 'self'");
    }
  });
});

describe('groups in the web client', () => {
  it('three people run a group: create, rename, announce, consent, admin, @, recall, delete, remove, transfer, disband', async () => {
    const dave = await api.newUser('dave'); // a fourth member who never opens the client
    const [alice, bob, carol] = await Promise.all([signUp('Alice'), signUp('Bob'), signUp('Carol')]);
    try {
      for (const { page } of [alice, bob, carol]) await expect.poll(() => page.textContent('#ws-status'), live).toBe('live');
      for (const id of [bob.id, carol.id, dave.id]) await addContact(alice, id);

      // Carol lets only her contacts put her in groups.
      await carol.page.selectOption('#group-invites', 'contacts');
      await expect.poll(() => carol.page.textContent('#settings-status'), live).toBe('已保存');

      // Alice creates a named group with Bob and Dave; Bob sees it arrive and opens it.
      await alice.page.locator(`#contacts li[data-id="${bob.id}"] input[type=checkbox]`).check();
      await alice.page.locator(`#contacts li[data-id="${dave.id}"] input[type=checkbox]`).check();
      await alice.page.fill('#group-name', '周末爬山');
      await alice.page.click('#start-conversation');
      await expect.poll(() => title(alice.page), live).toBe('周末爬山');
      // Creating pushes nothing (as for a single conversation): the group reaches the others with its first message.
      await alice.page.fill('#text', '大家好');
      await alice.page.press('#text', 'Enter');
      await entry(bob.page, '周末爬山').click();
      await expect.poll(() => title(bob.page), live).toBe('周末爬山');

      // Alice renames it and posts an announcement from the panel; Bob's screen follows live.
      await alice.page.click('#group-button');
      await expect.poll(() => member(alice.page, alice.id).getAttribute('data-role'), live).toBe('owner');
      await alice.page.fill('#group-name-input', '周末徒步');
      await alice.page.click('#save-group-name');
      await expect.poll(() => title(bob.page), live).toBe('周末徒步');
      await alice.page.fill('#announcement-input', '周六早上 8 点集合');
      await alice.page.click('#save-announcement');
      await expect.poll(() => bob.page.textContent('#announcement'), live).toBe('群公告：周六早上 8 点集合');
      await expect.poll(() => notices(bob.page), live).toEqual(expect.arrayContaining([
        expect.stringContaining('修改为「周末徒步」'),
        expect.stringContaining('发布了群公告：周六早上 8 点集合'),
      ]));
      await screenshot(bob.page, 'e2e-group-announcement');

      // Alice invites Carol: refused, Carol has not added her. Once Carol adds Alice, the same click works.
      await alice.page.locator(`#add-candidates li[data-id="${carol.id}"] input`).check();
      await alice.page.click('#add-members-button');
      await expect.poll(() => alice.page.textContent('#group-error'), live).toBe(`Carol（${carol.id}）只允许联系人邀请入群 (INVITE_NOT_ALLOWED)`);
      await screenshot(alice.page, 'e2e-group-invite-refused');
      expect(await member(alice.page, carol.id).count()).toBe(0);
      await addContact(carol, alice.id);
      await alice.page.click('#add-members-button');
      await member(alice.page, carol.id).waitFor(live);
      await entry(carol.page, '周末徒步').waitFor(live);

      // Alice makes Bob an admin: Bob's panel shows his new role and the buttons that come with it.
      await member(alice.page, bob.id).locator('button.set-admin').click();
      await bob.page.click('#group-button');
      await expect.poll(() => member(bob.page, bob.id).getAttribute('data-role'), live).toBe('admin');
      await expect.poll(() => member(bob.page, carol.id).locator('button.remove').count(), live).toBe(1);
      expect(await member(bob.page, alice.id).locator('button').count()).toBe(0); // nothing an admin may do to the owner
      expect(await bob.page.locator('#disband-group').isVisible()).toBe(false);

      // Bob @-mentions Carol with the picker (he may @所有人 too, as an admin); Carol's list shows 有人@我.
      await bob.page.locator('#text').pressSequentially('@');
      await expect.poll(() => bob.page.locator('#mention-picker .mention-option').allTextContents(), live).toEqual(expect.arrayContaining(['@所有人', '@Carol', '@Alice']));
      await bob.page.locator(`#mention-picker .mention-option[data-id="${carol.id}"]`).click();
      await bob.page.locator('#text').pressSequentially('看一下路线');
      await bob.page.press('#text', 'Enter');
      await expect.poll(() => entry(carol.page, '周末徒步').locator('.badge.mention').textContent(), live).toBe('有人@我');
      await screenshot(carol.page, 'e2e-group-mentioned');
      await entry(carol.page, '周末徒步').click();
      await expect.poll(() => carol.page.locator('#messages .message.mentions-me .mention').textContent(), live).toBe('@Carol');
      expect(await entry(carol.page, '周末徒步').locator('.badge.mention').count()).toBe(0);
      const carolsToken = await tokenOf(carol);
      await expect.poll(async () => (await api.get('/conversation/getlist', carolsToken)).body.conversations[0].mentioned, live).toBe(false);

      // Bob sends a message and recalls it from its menu: Alice and Carol see the tombstone.
      await bob.page.fill('#text', '发错群了');
      await bob.page.press('#text', 'Enter');
      for (const { page } of [alice, carol]) await expect.poll(() => page.locator('#messages .message .text').allTextContents(), live).toContain('发错群了');
      const sent = bob.page.locator('#messages .message.mine', { hasText: '发错群了' });
      await sent.locator('.menu-button').click();
      await sent.locator('button.recall').click();
      for (const { page } of [alice, carol]) {
        await expect.poll(() => notices(page), live).toContain('Bob撤回了一条消息');
        expect(await page.locator('#messages .message .text').allTextContents()).not.toContain('发错群了');
      }
      await screenshot(carol.page, 'e2e-group-recalled');

      // Alice deletes her greeting for herself: gone from her history only.
      const greeting = alice.page.locator('#messages .message.mine', { hasText: '大家好' });
      await greeting.locator('.menu-button').click();
      await greeting.locator('button.delete').click();
      await expect.poll(() => greeting.count(), live).toBe(0);
      expect(await bob.page.locator('#messages .message .text').allTextContents()).toContain('大家好');

      // Alice removes Carol: Carol's client says the group is gone and drops it from her list.
      await member(alice.page, carol.id).locator('button.remove').click();
      await expect.poll(() => carol.page.textContent('#chat-gone'), live).toBe('你已不在该群聊中');
      expect(await carol.page.locator('#composer').isVisible()).toBe(false);
      expect(await entry(carol.page, '周末徒步').count()).toBe(0);
      await screenshot(carol.page, 'e2e-group-removed');

      // Alice hands the group to Bob (she stays an admin), and Bob disbands it: Alice's client shows it ended.
      await member(alice.page, bob.id).locator('button.transfer').click();
      await expect.poll(() => member(alice.page, bob.id).getAttribute('data-role'), live).toBe('owner');
      await expect.poll(() => member(alice.page, alice.id).getAttribute('data-role'), live).toBe('admin');
      expect(await alice.page.locator('#disband-group').isVisible()).toBe(false);
      await expect.poll(() => bob.page.locator('#disband-group').isVisible(), live).toBe(true);
      await screenshot(bob.page, 'e2e-group-transferred');
      await bob.page.click('#disband-group');
      await expect.poll(() => alice.page.textContent('#chat-gone'), live).toBe('群聊已解散');
      expect(await entry(alice.page, '周末徒步').count()).toBe(0);
      expect(await alice.page.locator('#group-panel').isVisible()).toBe(false);
      await screenshot(alice.page, 'e2e-group-disbanded');
    } finally {
      await screenshot(alice.page, 'e2e-group-owner');
    }
    expect([...alice.problems, ...bob.problems, ...carol.problems]).toEqual([]);
  });

  it('pages through a long conversation list as it scrolls', async () => {
    const [erin, frank, grace] = [await api.newUser('erin'), await api.newUser('frank'), await api.newUser('grace')];
    const groups = 25; // the client loads 20 a page
    for (let i = 1; i <= groups; i++) {
      const res = await api.post(`/conversation/create?contactId=${frank.id},${grace.id}&name=${encodeURIComponent(`小组 ${i}`)}`, undefined, erin.token);
      expect([200, 201]).toContain(res.status);
    }
    const erinInBrowser = await openAs(browser, stack, 'erin', { register: false, username: erin.username, password: erin.password });
    const { page } = erinInBrowser;
    const items = page.locator('#conversations li');
    await expect.poll(() => items.count(), live).toBe(20);
    expect(await items.first().textContent()).toContain(`小组 ${groups}`); // the newest first
    await page.locator('#more-conversations').waitFor({ state: 'visible' });
    await page.locator('#sidebar').evaluate((box) => ((box as unknown as { scrollTop: number; scrollHeight: number }).scrollTop = (box as unknown as { scrollHeight: number }).scrollHeight));
    await expect.poll(() => items.count(), live).toBe(groups);
    expect(await items.last().textContent()).toContain('小组 1');
    expect(await page.locator('#more-conversations').isVisible()).toBe(false);
    await screenshot(page, 'e2e-group-list-paged');
    expect(erinInBrowser.problems).toEqual([]);
  });
});
