/**
 * Rule 4: idle timeout and absolute lifetime (defaults 30 minutes / 8 hours, MLPS level 3);
 * `/me` reports both; `?touch=0` polls without extending the idle timer. Time is moved with the
 * stack's clock, never waited for.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { COOKIE, TestBrowser, at, callbackUrlFor, me, startSecureStack, type SecureStack } from './helpers.ts';

const MINUTE = 60_000;

describe('session timeouts (rule 4)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack();
  });
  after(() => stack.close());

  async function loggedIn(): Promise<TestBrowser> {
    const browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack));
    return browser;
  }

  it('reports when the session ends: idle in 30 minutes, absolute in 8 hours', async () => {
    const browser = await loggedIn();
    const now = stack.clock.now();
    const { body } = await me(browser, stack);
    const idle = Date.parse(body.idleExpiresAt) - now;
    const absolute = Date.parse(body.expiresAt) - now;
    assert.ok(Math.abs(idle - 30 * MINUTE) < MINUTE, `idle ${idle}`);
    assert.ok(Math.abs(absolute - 8 * 60 * MINUTE) < MINUTE, `absolute ${absolute}`);
  });

  it('rejects a session idle for 31 minutes, and its cookie stays worthless', async () => {
    const browser = await loggedIn();
    const cookie = browser.cookie(stack.url, COOKIE)!;
    stack.clock.advance(31 * MINUTE);
    const first = await me(browser, stack);
    assert.equal(first.status, 401);
    assert.equal(first.body.error, 'session_expired');
    const replay = new TestBrowser();
    replay.setCookie(stack.url, COOKIE, cookie);
    assert.equal((await me(replay, stack)).status, 401);
    assert.equal((await replay.request(at(stack, '/auth/verify'))).status, 401);
  });

  it('does not let polling with ?touch=0 keep an idle session alive', async () => {
    const browser = await loggedIn();
    stack.clock.advance(20 * MINUTE);
    assert.equal((await me(browser, stack, '?touch=0')).status, 200);
    stack.clock.advance(11 * MINUTE);
    assert.equal((await me(browser, stack, '?touch=0')).body.error, 'session_expired');
  });

  it('extends the idle timer on real use', async () => {
    const browser = await loggedIn();
    const first = await me(browser, stack);
    stack.clock.advance(20 * MINUTE);
    const touched = await me(browser, stack);
    assert.equal(touched.status, 200);
    // The deadline moves: an answer from before the touch must not be served again.
    assert.ok(Date.parse(touched.body.idleExpiresAt) - stack.clock.now() > 29 * MINUTE);
    assert.ok(Date.parse(touched.body.idleExpiresAt) > Date.parse(first.body.idleExpiresAt));
    stack.clock.advance(20 * MINUTE);
    assert.equal((await me(browser, stack)).status, 200);
  });

  it('ends a session after 8 hours however busy it is (absolute lifetime)', async () => {
    const browser = await loggedIn();
    const cookie = browser.cookie(stack.url, COOKIE)!;
    for (let elapsed = 0; elapsed < 7 * 60 + 40; elapsed += 20) {
      stack.clock.advance(20 * MINUTE);
      assert.equal((await me(browser, stack)).status, 200, `still alive after ${elapsed + 20} minutes`);
    }
    stack.clock.advance(21 * MINUTE);
    assert.equal((await me(browser, stack)).body.error, 'session_expired');
    const replay = new TestBrowser();
    replay.setCookie(stack.url, COOKIE, cookie);
    assert.equal((await me(replay, stack)).status, 401);
  });

  it('sends a host page behind requireLogin() back to the login once the session has expired', async () => {
    const browser = await loggedIn();
    stack.clock.advance(31 * MINUTE);
    const page = await browser.request(at(stack, '/protected'), { headers: { accept: 'text/html' } });
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), '/auth/login?returnTo=%2Fprotected');
  });
});
