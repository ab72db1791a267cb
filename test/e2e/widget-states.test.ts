/**
 * Every state of `<gd-staff-login>` in Chromium, through the real BFF and platform sandbox, on the
 * Vite-built demo pages (`/plain.html`, `/vue/`): each state is asserted (the element's `state`
 * property and what it shows) and saved as a screenshot for a reviewer,
 * `test-results/screenshots/widget-NN-*.png`. Slow or failing BFF answers are made with
 * `page.route`; the pages run under the demo site's strict CSP, which must report no violation.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { ERROR_CODES } from '../../bff/error-codes.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startStack, DEMO_ACCOUNT, type Stack } from '../helpers/stack.ts';

const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url);
const PAGES_DIST = new URL('../../demo/site/dist/', import.meta.url);
const LOCAL_ACCOUNT = { username: 'lisi.local', password: 'Local@2026', displayName: '李四（业务系统账号）' };

/** `npm test` builds the pages first (`npm run build:demo`); a bare run of this file builds them when missing. */
async function ensurePagesBuilt(): Promise<void> {
  if (existsSync(new URL('plain.html', PAGES_DIST)) && existsSync(new URL('vue/index.html', PAGES_DIST))) return;
  const { build } = await import('vite');
  await build({ configFile: fileURLToPath(new URL('../../demo/site/vite.config.ts', import.meta.url)), logLevel: 'warn' });
}

/** A request held by `page.route` until `release()`: the widget stays in the state it is waiting in. */
interface Held {
  /** Resolves once the page has sent the request. */
  sent: Promise<void>;
  release(): Promise<void>;
}

async function hold(page: Page, path: string): Promise<Held> {
  let held: Route | undefined;
  let sent!: () => void;
  const promise = new Promise<void>((resolve) => (sent = resolve));
  // (A promise must not resolve to the Route itself: Playwright's objects look thenable.)
  await page.route((u) => u.pathname === path, (route) => ((held = route), sent()), { times: 1 });
  return {
    sent: promise,
    async release() {
      await promise;
      await held!.continue();
    },
  };
}

describe('widget states in Chromium (screenshots in test-results/screenshots/widget-*.png)', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every CSP report Chromium printed, over the whole run. */
  const cspConsole: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    await ensurePagesBuilt();
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    await mkdir(SCREENSHOTS, { recursive: true });
    context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 960, height: 600 } });
    // Each document records its own CSP violations (the init script itself is not subject to the CSP).
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspConsole.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await stack?.close();
  });

  const url = (path: string) => new URL(path, stack.url).href;
  const widget = () => page.locator('gd-staff-login').first();

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: fileURLToPath(new URL(`widget-${name}.png`, SCREENSHOTS)), animations: 'disabled' });
  }

  function state(): Promise<string | undefined> {
    return page.evaluate(() => document.querySelector('gd-staff-login')?.state);
  }

  async function waitForState(expected: string): Promise<void> {
    await page.waitForFunction((s) => document.querySelector('gd-staff-login')?.state === s, expected);
    assert.equal(await state(), expected);
  }

  function cspViolations(): Promise<string[]> {
    return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  }

  /** On the sandbox's login page: fill the password form and come back to `backTo`. */
  async function signInAtSandbox(backTo: string): Promise<void> {
    await page.waitForURL((u) => u.href.startsWith(stack.sandboxUrl) || u.href === backTo);
    if (page.url().startsWith(stack.sandboxUrl)) {
      await page.locator('input[name=account]').fill(DEMO_ACCOUNT.account);
      await page.locator('input[name=password]').fill(DEMO_ACCOUNT.password);
      await page.locator('form button[type=submit]').first().click();
      await page.waitForURL(backTo);
    }
    await waitForState('logged-in');
  }

  const loginButton = () => widget().getByRole('button', { name: '政务人员统一身份认证登录' });
  const menuButton = () => widget().getByRole('button', { name: /张伟/ });

  it('checking (the first /me held back), then logged out in zh-CN and en', async () => {
    const me = await hold(page, '/auth/me');
    const response = await page.goto(url('plain.html'));
    assert.ok(response);
    assert.equal(response.status(), 200);
    // The same strict CSP as the server-rendered pages.
    assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'(;|$)/);
    await me.sent;
    await page.waitForFunction(() => customElements.get('gd-staff-login') !== undefined);
    await waitForState('checking');
    await widget().locator('[part=skeleton]').waitFor();
    assert.equal(await loginButton().count(), 0, 'no login button while checking');
    await shot('01-checking');

    await me.release();
    await waitForState('logged-out');
    await loginButton().waitFor();
    assert.equal(await page.locator('#plain-state').textContent(), 'logged-out');
    await shot('02-logged-out-zh-CN');

    await page.evaluate(() => document.querySelector('gd-staff-login')!.setAttribute('lang', 'en'));
    await widget().getByRole('button', { name: 'Log in with Guangdong staff ID' }).waitFor();
    assert.equal(await state(), 'logged-out');
    await shot('03-logged-out-en');
    await page.evaluate(() => document.querySelector('gd-staff-login')!.setAttribute('lang', 'zh-CN'));
    await loginButton().waitFor();
  });

  it('logging in (the page kept from leaving), then logged in', async () => {
    // `navigate(url)` performs every top-level navigation and may be replaced (widget README):
    // here it keeps the page, in `logging-in`, until the screenshot is taken. (A held navigation
    // request would not do: Playwright waits for a pending navigation before it evaluates.)
    await page.evaluate(() => {
      const element = document.querySelector('gd-staff-login')!;
      element.navigate = (to) => ((window as unknown as { leavingFor: string }).leavingFor = to);
    });
    await loginButton().click();
    await waitForState('logging-in');
    assert.equal(await loginButton().getAttribute('aria-disabled'), 'true');
    await widget().locator('[part=spinner]').waitFor();
    await shot('04-logging-in');

    const to = await page.evaluate(() => (window as unknown as { leavingFor: string }).leavingFor);
    assert.equal(to, '/auth/login?returnTo=%2Fplain.html');
    await page.goto(url(to.slice(1)));
    await signInAtSandbox(url('plain.html'));
    await menuButton().waitFor();
    await page.locator('#plain-user').getByText(/张伟/).waitFor();
    assert.equal(await page.locator('#plain-state').textContent(), 'logged-in');
    assert.equal(await page.evaluate(() => document.querySelector('gd-staff-login')!.user?.name), '张伟');
    await shot('05-logged-in');
  });

  it('menu open, bind dialog, inline error for a wrong local password, bound', async () => {
    await menuButton().click();
    assert.equal(await menuButton().getAttribute('aria-expanded'), 'true');
    for (const name of ['账号管理', '绑定本地账号', '退出']) await widget().getByRole('menuitem', { name }).waitFor();
    await shot('06-menu-open');

    await widget().getByRole('menuitem', { name: '绑定本地账号' }).click();
    const dialog = widget().getByRole('dialog', { name: '绑定本地账号' });
    await dialog.waitFor();
    assert.equal(await page.evaluate(() => document.querySelector('gd-staff-login')!.shadowRoot!.querySelector('dialog')!.open), true);
    await shot('07-bind-dialog');

    await dialog.getByLabel('用户名').fill(LOCAL_ACCOUNT.username);
    await dialog.getByLabel('密码').fill('Wrong@2026');
    await dialog.getByRole('button', { name: '绑定' }).click();
    const inlineError = dialog.locator('[part=dialog-error]');
    await inlineError.getByText(ERROR_CODES.invalid_local_credentials.message['zh-CN']).waitFor();
    assert.equal(await dialog.getByLabel('用户名').getAttribute('aria-invalid'), 'true');
    assert.equal(await state(), 'logged-in');
    await shot('08-bind-error');

    await dialog.getByLabel('密码').fill(LOCAL_ACCOUNT.password);
    await dialog.getByRole('button', { name: '绑定' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await menuButton().click();
    await widget().locator('[part=local-account]').getByText(LOCAL_ACCOUNT.displayName).waitFor();
    await widget().getByRole('menuitem', { name: '解除绑定' }).waitFor();
    assert.equal(await state(), 'logged-in');
    await shot('09-bound');
    await page.keyboard.press('Escape');
    assert.equal(await menuButton().getAttribute('aria-expanded'), 'false');
  });

  it('error: the BFF unreachable, with a retry that recovers', async () => {
    const me = (u: URL) => u.pathname === '/auth/me';
    const refuse = (route: Route) => route.abort('connectionrefused');
    await page.route(me, refuse);
    await page.reload();
    await waitForState('error');
    const error = await page.evaluate(() => document.querySelector('gd-staff-login')!.error);
    assert.equal(error?.code, 'bff_unreachable');
    await widget().locator('[part~=error]').getByText(error!.message).waitFor();
    const retry = widget().getByRole('button', { name: '重试' });
    await retry.waitFor();
    await shot('10-error-bff-unreachable');

    await page.unroute(me, refuse);
    await retry.click();
    await waitForState('logged-in');
  });

  it('session expired: the session ends on the server, the page becomes visible again', async () => {
    const ended = await page.evaluate(async () => (await fetch('/auth/logout', { method: 'POST', headers: { 'X-GD-Login': '1' } })).status);
    assert.equal(ended, 200);
    const logoutReason = page.evaluate(
      () => new Promise<string>((resolve) => document.querySelector('gd-staff-login')!.addEventListener('gd-logout', (e) => resolve(e.detail.reason), { once: true })),
    );
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    assert.equal(await logoutReason, 'expired');
    await waitForState('error');
    assert.equal((await page.evaluate(() => document.querySelector('gd-staff-login')!.error))?.code, 'session_expired');
    await widget().locator('[part~=error]').waitFor();
    await loginButton().waitFor();
    await page.locator('#plain-user').getByText('会话已结束').waitFor();
    await shot('11-session-expired');
  });

  it('logging out (POST /auth/logout held back), then through the platform logout to the site', async () => {
    // Log in again: the platform still knows the browser (single sign-on) or asks once more.
    await loginButton().click();
    await signInAtSandbox(url('plain.html'));

    const out = await hold(page, '/auth/logout');
    await menuButton().click();
    await widget().getByRole('menuitem', { name: '退出' }).click();
    await out.sent;
    await waitForState('logging-out');
    await widget().locator('[part=spinner]').waitFor();
    assert.equal(await menuButton().getAttribute('aria-disabled'), 'true');
    await shot('12-logging-out');

    await out.release();
    await page.waitForURL(stack.url);
    await waitForState('logged-out');
    assert.deepEqual(await cspViolations(), []);
  });

  it('the Vue 3 page: the user and the state from the element’s events, under the same CSP', async () => {
    const response = await page.goto(url('vue/'));
    assert.ok(response);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-security-policy'] ?? '', /script-src 'self'(;|$)/);
    await waitForState('logged-out');
    await page.locator('#vue-state').getByText('logged-out', { exact: true }).waitFor();
    await page.locator('#vue-user').getByText('未登录').waitFor();

    // Vue passes `lang` to the element as a property.
    await page.getByRole('button', { name: 'English' }).click();
    await widget().getByRole('button', { name: 'Log in with Guangdong staff ID' }).waitFor();
    await page.getByRole('button', { name: '中文' }).click();
    await loginButton().click();
    await signInAtSandbox(url('vue/'));

    await page.locator('#vue-user').getByText('欢迎，张伟').waitFor();
    await page.locator('#vue-state').getByText('logged-in', { exact: true }).waitFor();
    await page.locator('#vue-events').getByText('gd-login 张伟').waitFor();
    await menuButton().waitFor();
    await shot('13-vue-logged-in');

    // Vue's runtime-only build needs no eval (the CSP above has no 'unsafe-eval'): the page ran
    // without a CSP violation. The control shows that a violation would have been seen: an inline
    // script is refused and reported.
    assert.deepEqual(await cspViolations(), []);
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 50));
      return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    assert.equal(ran, false, 'the CSP refuses inline scripts');
    assert.deepEqual(await cspViolations(), ['script-src-elem inline']);
    await page.waitForFunction(() => true); // let the console report arrive
    assert.deepEqual(cspConsole.filter((text) => !/inline script/i.test(text)), [], 'no other CSP report during the whole run');
    assert.equal(cspConsole.length, 1, cspConsole.join('\n'));
    assert.deepEqual(pageErrors, []);
  });
});
