/**
 * Rule 3: the session cookie. `__Host-` prefix, HttpOnly, Secure, Path=/, no Domain,
 * SameSite=Lax (see docs/security.md for why not Strict); 256 random bits; a new id at login;
 * the old cookie is worthless after logout. Odd and oversized cookies are refused with a 4xx.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { COOKIE, TestBrowser, assertNo5xx, at, rawRequest, callbackUrlFor, logout, me, startSecureStack, type SecureStack } from './helpers.ts';

describe('session cookie (rule 3)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack();
  });
  after(() => stack.close());

  async function loggedIn(account = 'zhangwei'): Promise<{ browser: TestBrowser; setCookie: string }> {
    const browser = new TestBrowser();
    const callback = await callbackUrlFor(browser, stack, { account });
    const answer = await browser.request(callback);
    const setCookie = answer.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!;
    return { browser, setCookie };
  }

  it('sets __Host-gdsl HttpOnly, Secure, SameSite=Lax, Path=/ and no Domain', async () => {
    const { setCookie } = await loggedIn();
    assert.match(setCookie, /; HttpOnly/i);
    assert.match(setCookie, /; Secure/i);
    assert.match(setCookie, /; SameSite=Lax/i);
    assert.match(setCookie, /; Path=\/(;|$)/i);
    assert.doesNotMatch(setCookie, /; Domain=/i);
  });

  it('gives every login a distinct 256-bit id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await loggedIn()).browser.cookie(stack.url, COOKIE)!);
    assert.equal(ids.size, 5);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  });

  it('issues a new id at login: an attacker-planted cookie is worthless afterwards (session fixation)', async () => {
    const attacker = await loggedIn('lina');
    const planted = attacker.browser.cookie(stack.url, COOKIE)!;
    const victim = new TestBrowser();
    victim.setCookie(stack.url, COOKIE, planted);
    await victim.follow(await callbackUrlFor(victim, stack));
    assert.notEqual(victim.cookie(stack.url, COOKIE), planted);
    assert.equal((await me(victim, stack)).body.user.account, 'zhangwei');
    assert.equal((await me(attacker.browser, stack)).status, 401, 'the planted session does not become the victim’s');
  });

  it('rejects the old cookie after logout, replayed from another browser', async () => {
    const { browser } = await loggedIn();
    const old = browser.cookie(stack.url, COOKIE)!;
    assert.equal((await logout(browser, stack)).status, 200);
    const replay = new TestBrowser();
    replay.setCookie(stack.url, COOKIE, old);
    const answer = await me(replay, stack);
    assert.equal(answer.status, 401);
    assert.equal((await replay.request(at(stack, '/auth/verify'))).status, 401);
    assert.equal((await replay.request(at(stack, '/protected'), { headers: { accept: 'application/json' } })).status, 401);
  });

  it('clears the cookie at logout', async () => {
    const { browser } = await loggedIn();
    const answer = await browser.request(at(stack, '/auth/logout'), { method: 'POST', headers: { 'x-gd-login': '1', origin: stack.siteOrigin } });
    const cleared = answer.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=;`));
    assert.ok(cleared, 'Set-Cookie clears the session cookie');
    assert.match(cleared, /Expires=Thu, 01 Jan 1970/i);
  });

  const ODD_COOKIES: Array<[string, string]> = [
    ['a guessed id', `${COOKIE}=${'A'.repeat(43)}`],
    ['an 8 kB value', `${COOKIE}=${'x'.repeat(8000)}`],
    ['bad percent-encoding', `${COOKIE}=%E0%A4%A`],
    ['a JSON cookie (cookie-parser j: prefix)', `${COOKIE}=j:${encodeURIComponent('{"id":"x"}')}`],
    ['a signed-cookie prefix', `${COOKIE}=s:abc.def`],
    ['an empty value', `${COOKIE}=`],
    ['two session cookies', `${COOKIE}=${'B'.repeat(43)}; ${COOKIE}=${'C'.repeat(43)}`],
    ['300 junk cookies', Array.from({ length: 300 }, (_, i) => `c${i}=v${i}`).join('; ')],
    ['no = sign at all', 'garbage;;;=;'],
  ];
  for (const [name, header] of ODD_COOKIES) {
    it(`refuses a session cookie with ${name} with 401, not a 5xx`, async () => {
      const response = await fetch(at(stack, '/auth/me'), { headers: { cookie: header } });
      assertNo5xx(response, name);
      assert.equal(response.status, 401);
      assert.match((await response.json()).error, /^(not_authenticated|session_expired)$/);
    });
  }

  it('refuses a Cookie header with control characters with a 4xx (sent raw)', async () => {
    const status = await rawRequest(stack, `GET /auth/me HTTP/1.1\r\nHost: localhost\r\nCookie: ${COOKIE}=\u0001\u0002abc\r\nConnection: close\r\n\r\n`);
    assert.ok(status >= 400 && status < 500, `got ${status}`);
  });

  it('answers a Cookie header beyond the server limit (20 kB) with 431, not a 5xx', async () => {
    const response = await fetch(at(stack, '/auth/me'), { headers: { cookie: `big=${'x'.repeat(20_000)}` } });
    assert.equal(response.status, 431);
  });

  it('keeps the session of someone else intact while those odd cookies fly', async () => {
    const { browser } = await loggedIn();
    assert.equal((await me(browser, stack)).status, 200);
  });
});
