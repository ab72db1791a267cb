/**
 * Rule 8: per-IP rate limits on /login, /callback and /bind, configurable, answering 429
 * with Retry-After and the usual JSON error; other routes are not limited by them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser, at, startSecureStack, type SecureStack } from './helpers.ts';

describe('rate limits (rule 8)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack({ bffOptions: { rateLimitLogin: 3, rateLimitCallback: 3, rateLimitBind: 3, rateLimitWindowSeconds: 60 } });
  });
  after(() => stack.close());

  async function assertLimited(path: string, init: RequestInit = {}): Promise<void> {
    const browser = new TestBrowser();
    for (let i = 0; i < 3; i++) assert.notEqual((await browser.request(at(stack, path), init)).status, 429, `request ${i + 1} is within the limit`);
    const response = await browser.request(at(stack, path), { ...init, headers: { ...(init.headers as Record<string, string>), accept: 'application/json' } });
    assert.equal(response.status, 429);
    const retryAfter = Number(response.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('ratelimit-policy') ?? '', /3;w=60/);
    const body = await response.json();
    assert.equal(body.error, 'rate_limited');
  }

  it('answers a burst of logins from one IP with 429 and Retry-After', async () => {
    await assertLimited('/auth/login');
  });

  it('answers a burst of callbacks (code guessing) from one IP with 429 and Retry-After', async () => {
    await assertLimited('/auth/callback?code=guess&state=guess');
  });

  it('answers a burst of local-password guesses on /bind from one IP with 429 and Retry-After', async () => {
    await assertLimited('/auth/bind', {
      method: 'POST',
      headers: { 'x-gd-login': '1', origin: stack.siteOrigin, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'local.user', password: 'guess' }),
    });
  });

  it('does not let a client dodge the limit with a forged X-Forwarded-For (no trusted proxy)', async () => {
    const response = await fetch(at(stack, '/auth/login'), { headers: { 'x-forwarded-for': '203.0.113.7' }, redirect: 'manual' });
    assert.equal(response.status, 429);
  });

  it('shows a page (not JSON) to a browser navigating while limited', async () => {
    const response = await fetch(at(stack, '/auth/login'), { headers: { accept: 'text/html' }, redirect: 'manual' });
    assert.equal(response.status, 429);
    assert.match(response.headers.get('content-type')!, /text\/html/);
    assert.match(await response.text(), /rate_limited/);
  });

  it('keeps /me answering while /login is limited', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await fetch(at(stack, '/auth/me'))).status, 401);
  });
});
