/**
 * Rule 6: no token, client_secret, authorization code, cookie value or platform error body
 * reaches the browser, the logs or a URL. The BFF's log is captured over a full login, a failed
 * login, a platform fault, a token refresh and a logout, and searched for every secret seen.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { COOKIE, TestBrowser, at, callbackOutcome, callbackUrlFor, logout, me, startLogin, startSecureStack, type SecureStack } from './helpers.ts';

describe('no secrets out (rule 6)', () => {
  let stack: SecureStack;
  /** Everything the browser received: URLs, headers and bodies. */
  const seen: string[] = [];
  /** Every secret value that exists during the run. */
  const secrets = new Map<string, string>();

  function recording(browser: TestBrowser): TestBrowser {
    const original = browser.request.bind(browser);
    browser.request = async (url, init) => {
      const response = await original(url, init);
      seen.push(url, JSON.stringify([...response.headers]), await response.clone().text());
      return response;
    };
    return browser;
  }

  before(async () => {
    stack = await startSecureStack({ sandbox: { accessTokenTtlSeconds: 120 } });
    secrets.set('client_secret', stack.clientSecret);

    // 1. A full login.
    const browser = recording(new TestBrowser());
    const callback = await callbackUrlFor(browser, stack);
    secrets.set('authorization code', new URL(callback).searchParams.get('code')!);
    for (const [name, value] of browser.cookies.get('localhost') ?? []) secrets.set(`cookie ${name}`, value);
    await browser.follow(callback);
    const sessionCookie = browser.cookie(stack.url, COOKIE)!;
    secrets.set('session cookie', sessionCookie);
    const first = (await stack.session(sessionCookie))!.tokens;
    secrets.set('access token', first.accessToken);
    secrets.set('refresh token', first.refreshToken!);
    await me(browser, stack);

    // 2. A token refresh through host code.
    stack.clock.advance(120_000);
    assert.equal((await browser.request(at(stack, '/api/platform-profile'))).status, 200);
    const second = (await stack.session(sessionCookie))!.tokens;
    secrets.set('refreshed access token', second.accessToken);
    secrets.set('rotated refresh token', second.refreshToken!);

    // 3. A failed login (a replayed code), and one that meets a platform fault.
    const failed = recording(new TestBrowser());
    const { state } = await startLogin(failed, stack);
    await callbackOutcome(failed, stack, `?code=${secrets.get('authorization code')}&state=${state}`);
    const faulty = recording(new TestBrowser());
    const faultyCallback = await callbackUrlFor(faulty, stack);
    secrets.set('second authorization code', new URL(faultyCallback).searchParams.get('code')!);
    stack.sandbox.faults.set('token', { kind: 'status', status: 503, times: 1 });
    await callbackOutcome(faulty, stack, new URL(faultyCallback).search);

    // 4. Logout.
    await logout(browser, stack);
  });
  after(() => stack.close());

  it('captured a real run (sanity)', () => {
    assert.ok(stack.logs.length >= 6, `${stack.logs.length} log lines`);
    assert.ok(secrets.size >= 9);
    for (const value of secrets.values()) assert.ok(value.length >= 20);
  });

  it('writes structured JSON log lines only', () => {
    for (const line of stack.logs) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('never writes the client secret, a token, an authorization code or a cookie value to the log', () => {
    const log = stack.logs.join('\n');
    for (const [name, value] of secrets) assert.ok(!log.includes(value), `${name} found in the log`);
  });

  it('still logs why a login failed, by error code (not redacted)', () => {
    const failures = stack.logs.map((l) => JSON.parse(l)).filter((r) => r.msg === 'login failed');
    assert.deepEqual(failures.map((r) => r.error).sort(), ['invalid_authorization_code', 'platform_unavailable']);
  });

  it('never sends a token, the client secret or the code_verifier to the browser', () => {
    const everything = seen.join('\n');
    assert.ok(everything.length > 2000);
    for (const name of ['client_secret', 'access token', 'refresh token', 'refreshed access token', 'rotated refresh token']) {
      assert.ok(!everything.includes(secrets.get(name)!), `${name} seen by the browser`);
    }
    assert.doesNotMatch(everything, /code_verifier|access_token|refresh_token/);
  });

  it('never puts a token or the client secret in a URL sent to the platform', () => {
    const urls = stack.platformRequests.join('\n');
    for (const name of ['client_secret', 'access token', 'refresh token', 'refreshed access token', 'rotated refresh token']) {
      assert.ok(!urls.includes(secrets.get(name)!), `${name} in a platform URL`);
    }
    assert.doesNotMatch(urls, /client_secret=|access_token=|refresh_token=|code_verifier=/);
  });

  it('never passes a platform error body on to the browser', () => {
    const everything = seen.join('\n');
    // Texts only the sandbox writes: its fault page and its detailed error_description.
    const leak = /Sandbox fault|tokens issued from it|server_error|invalid_grant|Invalid authorization code:/.exec(everything);
    assert.equal(leak, null, leak ? everything.slice(Math.max(0, leak.index - 300), leak.index + 100) : '');
  });
});
