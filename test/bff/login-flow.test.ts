import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser } from '../helpers/browser.ts';
import { login, logout, me, startStack, type Stack } from '../helpers/stack.ts';

describe('login flow through the sandbox', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  it('logs in through the platform form and returns to the same-origin returnTo path', async () => {
    const browser = new TestBrowser();
    const { response, url } = await login(browser, stack, { returnTo: '/protected?tab=1' });
    assert.equal(url, new URL('/protected?tab=1', stack.url).href);
    assert.equal(response.status, 200);
    const { status, body } = await me(browser, stack);
    assert.equal(status, 200);
    assert.equal(body.user.account, 'zhangwei');
    assert.equal(body.user.name, '张伟');
    assert.equal(typeof body.user.id, 'string');
    assert.equal(body.bound, false);
    assert.ok(Date.parse(body.expiresAt) > Date.now());
    assert.ok(Date.parse(body.idleExpiresAt) <= Date.parse(body.expiresAt));
    // Nothing token-like reaches the page.
    assert.doesNotMatch(JSON.stringify(body), /token|secret/i);
  });

  it('sets the session cookie HttpOnly, Secure, SameSite=Lax, Path=/ under a __Host- name', async () => {
    const browser = new TestBrowser();
    const { hops } = await login(browser, stack);
    const callback = hops.find((h) => h.url.includes('/auth/callback'));
    assert.ok(callback, 'the flow passes through /auth/callback');
    const line = callback.setCookies.find((c) => c.startsWith('__Host-gdsl='));
    assert.ok(line, 'the callback sets the session cookie');
    assert.match(line, /; HttpOnly/i);
    assert.match(line, /; Secure/i);
    assert.match(line, /; SameSite=Lax/i);
    assert.match(line, /; Path=\/(;|$)/i);
    assert.doesNotMatch(line, /; Domain=/i);
    const value = browser.cookie(stack.url, '__Host-gdsl')!;
    assert.match(value, /^[A-Za-z0-9_-]{43}$/, 'a 256-bit random id');
  });

  it('falls back to / for a returnTo that leaves the site', async () => {
    const browser = new TestBrowser();
    const { url } = await login(browser, stack, { returnTo: '//evil.example/steal' });
    assert.equal(url, new URL('/', stack.url).href);
  });

  it('issues a new session id at login: a cookie planted before login is worthless', async () => {
    const browser = new TestBrowser();
    browser.setCookie(stack.url, '__Host-gdsl', 'planted-by-attacker-aaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    await login(browser, stack);
    const after = browser.cookie(stack.url, '__Host-gdsl');
    assert.notEqual(after, 'planted-by-attacker-aaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const attacker = new TestBrowser();
    attacker.setCookie(stack.url, '__Host-gdsl', 'planted-by-attacker-aaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    assert.equal((await me(attacker, stack)).status, 401);
  });

  it('reports a callback without state once, through /me, after returning to the site', async () => {
    const browser = new TestBrowser();
    const { url } = await browser.follow(new URL('auth/callback?code=abc', stack.url).href);
    assert.equal(url, new URL('/', stack.url).href);
    const first = await me(browser, stack);
    assert.equal(first.status, 401);
    assert.equal(first.body.loginError.code, 'missing_state');
    const second = await me(browser, stack);
    assert.equal(second.body.loginError, undefined, 'reported once');
  });

  it('rejects a callback whose state was never issued, before exchanging the code', async () => {
    const browser = new TestBrowser();
    await browser.follow(new URL('auth/callback?code=abc&state=forged', stack.url).href);
    const { body } = await me(browser, stack);
    assert.equal(body.loginError.code, 'invalid_state');
  });

  it('rejects a replayed callback (state is single-use)', async () => {
    const browser = new TestBrowser();
    const { hops } = await login(browser, stack);
    const callbackUrl = hops.find((h) => h.url.includes('/auth/callback'))!.url;
    await logout(browser, stack);
    await browser.follow(callbackUrl);
    const { status, body } = await me(browser, stack);
    assert.equal(status, 401);
    assert.equal(body.loginError.code, 'invalid_state');
  });

  it('rejects a callback carried to another browser (state bound to the browser that started)', async () => {
    const victim = new TestBrowser();
    const start = await victim.follow(new URL('auth/login', stack.url).href);
    const state = new URL(start.hops[0]!.location!).searchParams.get('state')!;
    const attacker = new TestBrowser();
    await attacker.follow(new URL(`auth/callback?code=whatever&state=${state}`, stack.url).href);
    assert.equal((await me(attacker, stack)).body.loginError.code, 'invalid_state');
  });

  it('shows a platform error returned to the callback as a clear code', async () => {
    const browser = new TestBrowser();
    const start = await browser.follow(new URL('auth/login', stack.url).href);
    const state = new URL(start.hops[0]!.location!).searchParams.get('state')!;
    await browser.follow(new URL(`auth/callback?error=access_denied&state=${state}`, stack.url).href);
    assert.equal((await me(browser, stack)).body.loginError.code, 'access_denied');
  });

  it('maps an invalid authorization code to the Table 2 code', async () => {
    const browser = new TestBrowser();
    const start = await browser.follow(new URL('auth/login', stack.url).href);
    const state = new URL(start.hops[0]!.location!).searchParams.get('state')!;
    await browser.follow(new URL(`auth/callback?code=not-a-real-code&state=${state}`, stack.url).href);
    assert.equal((await me(browser, stack)).body.loginError.code, 'invalid_authorization_code');
  });

  it('logs out: the old cookie is rejected and the browser is sent through the platform logout', async () => {
    const browser = new TestBrowser();
    await login(browser, stack);
    const oldCookie = browser.cookie(stack.url, '__Host-gdsl')!;
    const { status, body } = await logout(browser, stack);
    assert.equal(status, 200);
    const logoutUrl = new URL(body.logoutUrl);
    assert.equal(logoutUrl.origin, new URL(stack.sandboxUrl).origin);
    assert.equal(logoutUrl.searchParams.get('redirect_uri'), stack.url);
    const replay = new TestBrowser();
    replay.setCookie(stack.url, '__Host-gdsl', oldCookie);
    assert.equal((await me(replay, stack)).status, 401);
  });

  it('refuses a logout without the anti-forgery header', async () => {
    const browser = new TestBrowser();
    await login(browser, stack);
    const response = await browser.request(new URL('auth/logout', stack.url).href, { method: 'POST' });
    assert.equal(response.status, 403);
    assert.equal((await response.json()).error, 'forbidden_request');
    assert.equal((await me(browser, stack)).status, 200, 'still logged in');
  });

  it('never sends the client secret to the browser', async () => {
    const browser = new TestBrowser();
    const seen: string[] = [];
    const originalRequest = browser.request.bind(browser);
    browser.request = async (url, init) => {
      const response = await originalRequest(url, init);
      const copy = response.clone();
      seen.push(url, JSON.stringify([...response.headers]), await copy.text());
      return response;
    };
    await login(browser, stack);
    await me(browser, stack);
    await logout(browser, stack);
    const everything = seen.join('\n');
    assert.ok(everything.length > 1000);
    assert.ok(!everything.includes(stack.clientSecret), 'client secret seen by the browser');
  });
});
