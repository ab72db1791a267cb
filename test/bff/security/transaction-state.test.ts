/**
 * Rule 1: the login transaction. `state` is 256-bit CSPRNG output, kept server-side, bound to the
 * browser that started the login, single-use and expiring, and checked before the code is
 * exchanged (RFC 9700 sections 2.1, 4.7; RFC 6749 section 10.12). PKCE S256 by default.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TestBrowser, at, callbackOutcome, callbackUrlFor, me, startLogin, startSecureStack, type SecureStack } from './helpers.ts';

const tokenRequests = (stack: SecureStack) => stack.platformRequests.filter((r) => r.startsWith('POST /oauth/token')).length;

describe('transaction state (rule 1)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack();
  });
  after(() => stack.close());

  it('issues a fresh 256-bit state and an S256 code_challenge for every login', async () => {
    const browser = new TestBrowser();
    const a = await startLogin(browser, stack);
    const b = await startLogin(browser, stack);
    assert.match(a.state, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.state, b.state);
    assert.equal(a.authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.match(a.authorize.searchParams.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.authorize.searchParams.get('code_challenge'), b.authorize.searchParams.get('code_challenge'));
    assert.equal(a.authorize.searchParams.get('redirect_uri'), at(stack, '/auth/callback'));
  });

  it('keeps the state server-side: the binding cookie holds an unrelated random value, not the state', async () => {
    const browser = new TestBrowser();
    const { state, response } = await startLogin(browser, stack);
    const binding = response.headers.getSetCookie().find((c) => c.startsWith('__Host-gdsl-tx-'))!;
    assert.ok(binding, 'a browser-binding cookie is set');
    assert.ok(!binding.includes(state));
    assert.match(binding, /; HttpOnly/i);
    assert.match(binding, /; Secure/i);
    assert.match(binding, /; SameSite=Lax/i);
    assert.match(binding, /; Max-Age=600/i, 'expires with the transaction (10 minutes)');
  });

  it('rejects a callback without state, before any code exchange', async () => {
    const before = tokenRequests(stack);
    const outcome = await callbackOutcome(new TestBrowser(), stack, '?code=stolen-code');
    assert.equal(outcome.loginError, 'missing_state');
    assert.equal(outcome.finalUrl, at(stack, '/'));
    assert.equal(tokenRequests(stack), before, 'the code never reached the platform');
  });

  it('rejects a forged state, before any code exchange', async () => {
    const before = tokenRequests(stack);
    const outcome = await callbackOutcome(new TestBrowser(), stack, `?code=stolen-code&state=${'A'.repeat(43)}`);
    assert.equal(outcome.loginError, 'invalid_state');
    assert.equal(tokenRequests(stack), before);
  });

  it('rejects a repeated state parameter (state=a&state=b)', async () => {
    const browser = new TestBrowser();
    const { state } = await startLogin(browser, stack);
    const outcome = await callbackOutcome(browser, stack, `?code=x&state=${state}&state=${state}`);
    assert.equal(outcome.loginError, 'missing_state');
  });

  it('rejects an over-long state (5000 characters)', async () => {
    const outcome = await callbackOutcome(new TestBrowser(), stack, `?code=x&state=${'s'.repeat(5000)}`);
    assert.equal(outcome.loginError, 'missing_state');
  });

  it('rejects a state with bad percent-encoding (%E0%A4%A)', async () => {
    const outcome = await callbackOutcome(new TestBrowser(), stack, '?code=x&state=%E0%A4%A');
    assert.equal(outcome.loginError, 'invalid_state');
  });

  it('rejects a replayed callback: the state is single-use', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrlFor(browser, stack);
    await browser.follow(callback);
    assert.equal((await me(browser, stack)).status, 200);
    const before = tokenRequests(stack);
    const { url } = await browser.follow(callback);
    assert.equal(url, at(stack, '/'));
    const answer = await me(browser, stack);
    assert.equal(answer.status, 200, 'the replay does not disturb the session');
    assert.equal(answer.body.loginError, undefined);
    assert.equal(tokenRequests(stack), before, 'the replayed code is not exchanged again');
    const fresh = new TestBrowser();
    fresh.cookies.set('localhost', new Map(browser.cookies.get('localhost')));
    fresh.cookies.get('localhost')!.delete('__Host-gdsl');
    assert.equal((await callbackOutcome(fresh, stack, new URL(callback).search)).loginError, 'invalid_state');
  });

  it('rejects a callback carried to another browser (login CSRF: the state is bound to the browser that started it)', async () => {
    const attacker = new TestBrowser();
    const callback = await callbackUrlFor(attacker, stack, { account: 'lina' });
    const victim = new TestBrowser();
    const before = tokenRequests(stack);
    const outcome = await callbackOutcome(victim, stack, new URL(callback).search);
    assert.equal(outcome.loginError, 'invalid_state');
    assert.equal(outcome.status, 401, 'the victim is not logged in as the attacker');
    assert.equal(tokenRequests(stack), before);
  });

  it('rejects a callback whose binding cookie was swapped for another login’s', async () => {
    const browser = new TestBrowser();
    const first = await startLogin(browser, stack);
    const second = await startLogin(browser, stack);
    const jar = browser.cookies.get('localhost')!;
    const nameOf = (state: string) => `__Host-gdsl-tx-${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
    jar.set(nameOf(first.state), jar.get(nameOf(second.state))!);
    assert.equal((await callbackOutcome(browser, stack, `?code=x&state=${first.state}`)).loginError, 'invalid_state');
  });

  it('rejects an expired state (after 10 minutes), before any code exchange', async () => {
    const browser = new TestBrowser();
    const callback = await callbackUrlFor(browser, stack);
    stack.clock.advance(10 * 60_000 + 1000);
    const before = tokenRequests(stack);
    const outcome = await callbackOutcome(browser, stack, new URL(callback).search);
    assert.equal(outcome.loginError, 'invalid_state');
    assert.equal(tokenRequests(stack), before);
  });

  it('accepts a state used just inside its lifetime (9 minutes)', async () => {
    const browser = new TestBrowser();
    const { authorize } = await startLogin(browser, stack);
    stack.clock.advance(9 * 60_000);
    const callback = await callbackUrlFor(browser, stack, { authorize });
    await browser.follow(callback);
    assert.equal((await me(browser, stack)).status, 200);
  });

  it('lets several tabs that start logins at the same moment all finish', async () => {
    const browser = new TestBrowser();
    const tabs = await Promise.all([1, 2, 3, 4].map((n) => startLogin(browser, stack, `?returnTo=/tab${n}`)));
    const ends: string[] = [];
    for (const tab of tabs) {
      const callback = await callbackUrlFor(browser, stack, { authorize: tab.authorize });
      ends.push((await browser.follow(callback)).url);
    }
    assert.deepEqual(ends, [1, 2, 3, 4].map((n) => at(stack, `/tab${n}`)));
    const answer = await me(browser, stack);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.loginError, undefined);
  });

  it('drops the pending logins when one browser starts more than ten at once (bounded cookies)', async () => {
    const browser = new TestBrowser();
    for (let i = 0; i < 12; i++) await startLogin(browser, stack);
    const pending = [...browser.cookies.get('localhost')!.keys()].filter((name) => name.startsWith('__Host-gdsl-tx-'));
    assert.ok(pending.length <= 10, `${pending.length} binding cookies`);
  });

  it('maps a platform error sent to the callback with a valid state (error=access_denied, error=server_error)', async () => {
    for (const [error, code] of [
      ['access_denied', 'access_denied'],
      ['server_error', 'platform_error'],
    ] as const) {
      const browser = new TestBrowser();
      const { state } = await startLogin(browser, stack);
      assert.equal((await callbackOutcome(browser, stack, `?error=${error}&state=${state}`)).loginError, code);
    }
  });

  it('rejects a valid state without a code, and a repeated code', async () => {
    for (const extra of ['', '&code=a&code=b']) {
      const browser = new TestBrowser();
      const { state } = await startLogin(browser, stack);
      assert.equal((await callbackOutcome(browser, stack, `?state=${state}${extra}`)).loginError, 'missing_code');
    }
  });
});

describe('PKCE switched off (GD_PKCE=off)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack({ bffOptions: { pkce: false } });
  });
  after(() => stack.close());

  it('sends no code_challenge and still logs in', async () => {
    const browser = new TestBrowser();
    const { authorize } = await startLogin(browser, stack);
    assert.equal(authorize.searchParams.get('code_challenge'), null);
    await browser.follow(await callbackUrlFor(browser, stack, { authorize }));
    assert.equal((await me(browser, stack)).status, 200);
  });
});
