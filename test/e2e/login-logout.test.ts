/**
 * The whole product in a real browser: the widget on the demo page, the BFF, the platform
 * sandbox's login form, unified logout, and proof that the platform session is gone too.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startStack, DEMO_ACCOUNT, type Stack } from '../helpers/stack.ts';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url);

describe('end to end in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    stack = await startStack();
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
  }

  async function openUserMenuAndClick(page: Page, item: RegExp) {
    const direct = page.getByRole('button', { name: item });
    if (await direct.isVisible().catch(() => false)) return direct.click();
    await page.locator('gd-staff-login').getByRole('button', { name: /张伟/ }).click();
    await page.getByRole('menuitem', { name: item }).click();
  }

  it('logs in through the sandbox form, shows the name, logs out of both the site and the platform', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const seen: string[] = [];
    let responses = 0;
    page.on('response', async (response) => {
      responses++;
      const parts = [response.url(), JSON.stringify(await response.allHeaders())];
      if (response.status() < 300 || response.status() >= 400) parts.push(await response.text().catch(() => ''));
      seen.push(parts.join('\n'));
    });

    await page.goto(stack.url);
    const loginButton = page.getByRole('button', { name: '政务人员统一身份认证登录' });
    await loginButton.waitFor();
    await shot(page, '01-logged-out');
    await loginButton.click();

    // The platform sandbox's own login page (a different host: 127.0.0.1).
    await page.waitForURL((url) => url.href.startsWith(stack.sandboxUrl));
    await shot(page, '02-platform-login');
    await page.locator('input[name=account]').fill(DEMO_ACCOUNT.account);
    await page.locator('input[name=password]').fill(DEMO_ACCOUNT.password);
    await page.locator('form button[type=submit]').first().click();

    await page.waitForURL((url) => url.href.startsWith(stack.url));
    await page.locator('gd-staff-login').getByText('张伟').first().waitFor();
    await page.locator('#session-user').getByText('张伟').first().waitFor();
    await shot(page, '03-logged-in');

    const cookies = await context.cookies(stack.url);
    const session = cookies.find((c) => c.name === '__Host-gdsl');
    assert.ok(session, 'Chromium accepted the __Host- session cookie on http://localhost');
    assert.equal(session.httpOnly, true);
    assert.equal(session.secure, true);
    assert.equal(session.sameSite, 'Lax');

    await openUserMenuAndClick(page, /^退出/);
    // Through the platform logout and back to the site, logged out.
    await page.waitForURL((url) => url.href === stack.url);
    await loginButton.waitFor();
    await shot(page, '04-after-logout');
    assert.equal((await context.cookies(stack.url)).find((c) => c.name === '__Host-gdsl'), undefined);

    // 7.1.3: the next login runs the whole flow again: the platform asks for credentials.
    await loginButton.click();
    await page.waitForURL((url) => url.href.startsWith(stack.sandboxUrl));
    await page.locator('input[name=password]').waitFor();

    // Appendix B, check 1: nothing the browser received holds the client secret.
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    const allCookies = JSON.stringify(await context.cookies());
    assert.ok(responses > 5, `saw ${responses} responses`);
    for (const text of [...seen, storage, allCookies]) {
      assert.ok(!text.includes(stack.clientSecret), `client secret leaked in: ${text.slice(0, 200)}`);
    }
    await context.close();
  });

  it('shows a failed callback as a message in the widget, not a stack trace', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const response = await page.goto(new URL('auth/callback?code=x&state=forged', stack.url).href);
    assert.equal(page.url(), stack.url);
    assert.ok(response);
    const widget = page.locator('gd-staff-login');
    await widget.getByText(/请重新登录/).first().waitFor();
    await shot(page, '05-callback-error');
    assert.doesNotMatch(await page.content(), /at .*\.ts:\d+/);
    await context.close();
  });
});
