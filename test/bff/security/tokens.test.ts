/**
 * Rule 12: tokens stay server-side. Host code gets the access token through
 * `bff.accessToken(req)`, which refreshes it first when it has expired (once per session, even
 * under concurrent requests: the sandbox rotates refresh tokens and revokes on reuse, RFC 9700
 * 4.14.2). A refused refresh ends the local session cleanly; a platform outage does not.
 * The sandbox's access tokens live 2 minutes here; the clock moves both sides.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { COOKIE, TestBrowser, at, callbackUrlFor, me, startSecureStack, type SecureStack } from './helpers.ts';

const TOKEN_LIFETIME_MS = 120_000;

describe('token handling (rule 12)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack({ sandbox: { accessTokenTtlSeconds: TOKEN_LIFETIME_MS / 1000 } });
  });
  after(() => stack.close());

  const tokenRequests = () => stack.platformRequests.filter((r) => r.startsWith('POST /oauth/token')).length;

  async function loggedIn(): Promise<TestBrowser> {
    const browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack));
    return browser;
  }

  async function profile(browser: TestBrowser): Promise<{ status: number; body: { name?: string; error?: string } }> {
    const response = await browser.request(at(stack, '/api/platform-profile'), { headers: { accept: 'application/json' } });
    return { status: response.status, body: await response.json() };
  }

  it('never sends a token to the page: /me holds neither the access nor the refresh token', async () => {
    const browser = await loggedIn();
    const session = (await stack.session(browser.cookie(stack.url, COOKIE)!))!;
    const page = await (await browser.request(at(stack, '/'))).text();
    const body = JSON.stringify((await me(browser, stack)).body);
    for (const token of [session.tokens.accessToken, session.tokens.refreshToken!]) {
      assert.ok(!body.includes(token));
      assert.ok(!page.includes(token));
    }
  });

  it('uses the stored access token while it is valid, without asking the platform for another', async () => {
    const browser = await loggedIn();
    const before = tokenRequests();
    assert.deepEqual(await profile(browser), { status: 200, body: { name: '张伟' } });
    assert.equal(tokenRequests(), before);
  });

  it('refreshes an expired access token before calling the platform, and keeps the new tokens server-side', async () => {
    const browser = await loggedIn();
    const cookie = browser.cookie(stack.url, COOKIE)!;
    const old = (await stack.session(cookie))!.tokens;
    stack.clock.advance(TOKEN_LIFETIME_MS);
    const before = tokenRequests();
    assert.deepEqual(await profile(browser), { status: 200, body: { name: '张伟' } });
    assert.equal(tokenRequests(), before + 1);
    const fresh = (await stack.session(cookie))!.tokens;
    assert.notEqual(fresh.accessToken, old.accessToken);
    assert.notEqual(fresh.refreshToken, old.refreshToken, 'the rotated refresh token is stored');
    assert.equal((await me(browser, stack)).status, 200);
  });

  it('refreshes once for ten concurrent requests with an expired token (no refresh-token replay)', async () => {
    const browser = await loggedIn();
    stack.clock.advance(TOKEN_LIFETIME_MS);
    const before = tokenRequests();
    const answers = await Promise.all(Array.from({ length: 10 }, () => profile(browser)));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(tokenRequests(), before + 1);
    assert.equal((await me(browser, stack)).status, 200);
  });

  it('ends the session cleanly when the platform refuses the refresh token: one 401, then the login button', async () => {
    const browser = await loggedIn();
    // The platform forgets every grant (as after a password change or an operator revocation).
    stack.sandbox.resetState();
    stack.clock.advance(TOKEN_LIFETIME_MS);
    const refused = await profile(browser);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'session_expired');
    const before = tokenRequests();
    const next = await me(browser, stack);
    assert.equal(next.status, 401);
    assert.equal(next.body.error, 'session_expired');
    assert.equal((await profile(browser)).status, 401);
    assert.equal(tokenRequests(), before, 'no error loop: nothing more is asked of the platform');
    const audit = stack.audits().find((a) => a.audit === 'token_refresh');
    assert.equal(audit?.outcome, 'failure');
    assert.equal(audit?.detail, 'invalid_refresh_token');
    assert.equal(audit?.accountId, 'gd-4400-000001');
    await browser.follow(await callbackUrlFor(browser, stack));
    assert.equal((await profile(browser)).status, 200, 'logging in again works');
  });

  it('keeps the session when the refresh fails only because the platform is down, and refreshes once it is back', async () => {
    const browser = await loggedIn();
    stack.clock.advance(TOKEN_LIFETIME_MS);
    stack.sandbox.faults.set('token', { kind: 'status', status: 503, times: 1 });
    const down = await profile(browser);
    assert.equal(down.status, 502);
    assert.equal(down.body.error, 'platform_unavailable');
    assert.equal((await me(browser, stack)).status, 200, 'still logged in');
    assert.deepEqual(await profile(browser), { status: 200, body: { name: '张伟' } });
  });

  it('refuses a host call for a browser without a session (not_authenticated)', async () => {
    const response = await fetch(at(stack, '/api/platform-profile'), { headers: { accept: 'application/json' } });
    assert.equal(response.status, 401);
  });
});
