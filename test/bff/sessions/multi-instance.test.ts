/**
 * Two BFF processes sharing one real redis-server, as behind a load balancer: one runs as a
 * child process (`gd-staff-login serve`), the other in this process (`startServer`). Both use
 * the same redirect URI (the site's one address); the browser's cookie is per host, not port,
 * so it reaches both, as it would through a load balancer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser } from '../../helpers/browser.ts';
import { login, me, type Stack } from '../../helpers/stack.ts';
import { bffEnv, freePort, startBffProcess, startSandboxFor, type BffProcess, type SandboxWithClient } from '../../helpers/child.ts';
import { startRedis, skipWithoutRedis, type TestRedis } from '../../helpers/redis.ts';
import { startServer, type RunningServer } from '../../../bff/server.ts';
import { ERROR_CODES } from '../../../bff/error-codes.ts';

const COOKIE = '__Host-gdsl';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sessions shared through Redis by two BFF processes', { skip: skipWithoutRedis }, () => {
  let redis: TestRedis;
  let platform: SandboxWithClient;
  let env: Record<string, string>;
  let a: BffProcess;
  let b: RunningServer;
  let siteA: string;
  let siteB: string;

  /** The site as the test helpers see it; the login form lives on the sandbox. */
  const site = (url: string) => ({ url, sandboxUrl: platform.sandbox.url }) as unknown as Stack;

  async function logoutAt(browser: TestBrowser, base: string): Promise<Response> {
    return browser.request(new URL('auth/logout', base).href, {
      method: 'POST',
      // Through the load balancer both instances are the one site of the redirect URI.
      headers: { 'x-gd-login': '1', origin: new URL(siteA).origin },
    });
  }

  async function waitReady(base: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await fetch(new URL('auth/readyz', base));
      await response.arrayBuffer();
      if (response.status === 200) return;
      if (Date.now() > deadline) throw new Error(`${base} not ready within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  before(async () => {
    redis = await startRedis();
    const portA = await freePort();
    siteA = `http://localhost:${portA}/`;
    const redirectUri = `${siteA}auth/callback`;
    platform = await startSandboxFor(redirectUri);
    // One Redis and one user database (SQLite file) for both instances, as in production.
    env = bffEnv(platform, redirectUri, { REDIS_URL: redis.url, DATABASE_URL: `sqlite:${redis.dir}/users.db`, GD_PORT: String(portA), GD_HOST: '127.0.0.1' });
    a = await startBffProcess(env);
    b = await startServer({ env: { ...env, GD_PORT: '0', GD_LOG_LEVEL: 'silent' } });
    siteB = `http://localhost:${new URL(b.url).port}/`;
  });
  after(async () => {
    await a?.stop();
    await b?.close();
    await platform?.sandbox.close();
    await redis?.destroy();
  });

  it('logs in through instance A, is known on instance B, and a logout on B ends it on A too', async () => {
    const browser = new TestBrowser();
    await login(browser, site(siteA));
    const cookie = browser.cookie(siteA, COOKIE);
    assert.ok(cookie, 'instance A set the session cookie');

    const onA = await me(browser, site(siteA));
    const onB = await me(browser, site(siteB));
    assert.equal(onA.status, 200);
    assert.equal(onB.status, 200, 'instance B knows the session');
    assert.equal(onB.body.user.name, '张伟');
    assert.deepEqual(onB.body.user, onA.body.user);

    const out = await logoutAt(browser, siteB);
    assert.equal(out.status, 200);
    const replay = new TestBrowser();
    replay.setCookie(siteA, COOKIE, cookie);
    assert.equal((await me(replay, site(siteA))).status, 401, 'instance A no longer accepts the cookie');
    assert.equal((await me(replay, site(siteB))).status, 401);
  });

  it('keeps every session across a restart of a BFF process', async () => {
    const browsers = [new TestBrowser(), new TestBrowser(), new TestBrowser()];
    for (const browser of browsers) await login(browser, site(siteA));

    assert.equal(await a.stop(), 0, 'SIGTERM ends the process cleanly');
    assert.match(a.output(), /shutting down/);
    a = await startBffProcess(env);

    for (const browser of browsers) {
      const { status, body } = await me(browser, site(siteA));
      assert.equal(status, 200);
      assert.equal(body.user.account, 'zhangwei');
    }
  });

  describe('when Redis stops and starts again', () => {
    const before = new TestBrowser();
    let cookieBefore: string;

    it('answers 503 with the reason, keeps the cookie, never a 500 or a stack trace', async () => {
      await login(before, site(siteA));
      cookieBefore = before.cookie(siteA, COOKIE)!;
      assert.equal((await me(before, site(siteB))).status, 200);

      await redis.stop();

      for (const base of [siteA, siteB]) {
        // /readyz: 503 with the reason.
        const ready = await fetch(new URL('auth/readyz', base));
        assert.equal(ready.status, 503, `${base} readyz`);
        const readyBody = (await ready.json()) as Record<string, string>;
        assert.equal(readyBody.status, 'unavailable');
        assert.equal(readyBody.error, 'store_unavailable');
        assert.match(readyBody.error_description!, new RegExp(`Redis session store at redis://127\\.0\\.0\\.1:${redis.port} is unavailable: \\S+`));

        // /me: 503 store_unavailable, a clear message, the cookie untouched (no silent logout).
        const meResponse = await before.request(new URL('auth/me', base).href);
        const meText = await meResponse.text();
        assert.equal(meResponse.status, 503, `${base} /me`);
        assert.deepEqual(JSON.parse(meText), { error: 'store_unavailable', error_description: ERROR_CODES.store_unavailable.message.en, message: ERROR_CODES.store_unavailable.message });
        assert.deepEqual(meResponse.headers.getSetCookie(), [], 'no cookie is set or cleared');
        assert.doesNotMatch(meText, /\bat \S+ \(|Error:|ECONNREFUSED/, 'no stack trace or internals');

        // /logout: 503, the session is not dropped on the client's side either.
        const out = await logoutAt(before, base);
        assert.equal(out.status, 503, `${base} /logout`);
        assert.equal(((await out.json()) as { error: string }).error, 'store_unavailable');
        assert.deepEqual(out.headers.getSetCookie(), []);
        assert.equal(before.cookie(siteA, COOKIE), cookieBefore);

        // /login, navigated to by the browser: a 503 page that says what is going on.
        const page = await before.request(new URL('auth/login', base).href, { headers: { accept: 'text/html' } });
        const html = await page.text();
        assert.equal(page.status, 503, `${base} /login`);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/);
        assert.ok(html.includes(ERROR_CODES.store_unavailable.message['zh-CN']), 'the Chinese message');
        assert.ok(html.includes('store_unavailable'));
        assert.doesNotMatch(html, /\bat \S+ \(/);

        // /verify (nginx auth_request): not a 401, which would look like a logout.
        const verify = await before.request(new URL('auth/verify', base).href);
        await verify.arrayBuffer();
        assert.equal(verify.status, 503);
      }
    });

    it('recovers by itself when Redis returns, with the sessions written before the outage', async () => {
      await redis.start();
      await Promise.all([waitReady(siteA), waitReady(siteB)]);

      for (const base of [siteA, siteB]) {
        const { status, body } = await me(before, site(base));
        assert.equal(status, 200, `${base}: the session from before the outage`);
        assert.equal(body.user.account, 'zhangwei');
      }
      const fresh = new TestBrowser();
      await login(fresh, site(siteB));
      assert.equal((await me(fresh, site(siteA))).status, 200, 'a new login works on both');
    });

    it('never logs a cookie value or a store key', () => {
      const log = a.output();
      assert.ok(log.length > 0);
      assert.ok(!log.includes(cookieBefore), 'cookie value in the log');
      assert.doesNotMatch(log, /gdsl:[st]:/, 'store key in the log');
      assert.match(log, /session store unavailable/, 'the outage is logged once');
      assert.match(log, /session store reachable again/);
    });
  });
});
