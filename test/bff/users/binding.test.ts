import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { TestBrowser } from '../../helpers/browser.ts';
import { login, me, startStack, type Stack } from '../../helpers/stack.ts';
import { createBff, type Bff } from '../../../bff/index.ts';
import { DIALECTS } from './dialects.ts';
import { ERROR_CODES } from '../../../bff/error-codes.ts';

const LOCAL = { username: 'lisi.local', password: 'Local@2026' };
const ZHANGWEI_ID = 'gd-4400-000001';
const LINA_ID = 'gd-4401-000002';

interface Answer {
  status: number;
  body: any;
}

async function post(browser: TestBrowser, stack: Stack, path: 'bind' | 'unbind', body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await browser.request(new URL(`auth/${path}`, stack.url).href, {
    method: 'POST',
    headers: { 'x-gd-login': '1', origin: new URL(stack.url).origin, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body ?? {}),
  });
  return { status: response.status, body: await response.json() };
}
const bind = (browser: TestBrowser, stack: Stack, body: unknown = LOCAL, headers?: Record<string, string>) => post(browser, stack, 'bind', body, headers);
const unbind = (browser: TestBrowser, stack: Stack) => post(browser, stack, 'unbind');

async function loggedIn(stack: Stack, account?: string): Promise<TestBrowser> {
  const browser = new TestBrowser();
  await login(browser, stack, account ? { account } : {});
  assert.equal((await me(browser, stack)).status, 200);
  return browser;
}

/** A host application's own route behind `bff.requireLogin()`, on its own port (cookies ignore ports). */
async function hostApp(bff: Bff): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.get('/api/whoami', bff.requireLogin(), (req, res) => {
    res.json(req.gdStaff);
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/api/whoami`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

for (const dialect of DIALECTS) {
  describe(`account binding on ${dialect.name}`, { skip: dialect.skip }, () => {
    let stack: Stack;
    /** The BFF's clock runs this far ahead, so that a test can let the touch interval pass. */
    let clockOffsetMs = 0;
    before(async () => {
      await dialect.start();
      stack = await startStack({
        bffOptions: { databaseUrl: await dialect.newDatabase(), rateLimitBind: 1000 },
        bffDeps: { now: () => Date.now() + clockOffsetMs },
      });
    });
    after(async () => {
      await stack?.close();
      await dialect.stop();
    });

    it('binds a logged-in platform user to a local account proven by the host’s hook', async () => {
      const browser = await loggedIn(stack);
      const before = await me(browser, stack);
      assert.equal(before.body.bound, false);
      assert.equal(before.body.binding, true);
      const answer = await bind(browser, stack);
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { bound: true, localAccount: { username: 'lisi.local', displayName: '李四（业务系统账号）' } });
      const after = await me(browser, stack);
      assert.equal(after.body.bound, true);
      assert.deepEqual(after.body.localAccount, answer.body.localAccount);
      assert.equal((await stack.bff.users.getBinding(ZHANGWEI_ID))?.localAccount.username, 'lisi.local');
      const [event] = await stack.bff.users.listAuditEvents({ type: 'bind', accountId: ZHANGWEI_ID });
      assert.equal(event?.outcome, 'success');
      assert.equal(event?.detail, 'lisi.local');
    });

    it('hands the bound local account to the host through requireLogin()', async () => {
      const host = await hostApp(stack.bff);
      try {
        const browser = await loggedIn(stack);
        const response = await browser.request(host.url, { headers: { accept: 'application/json' } });
        assert.equal(response.status, 200);
        const info = await response.json();
        assert.equal(info.user.id, ZHANGWEI_ID);
        assert.deepEqual(info.localAccount, { username: 'lisi.local', displayName: '李四（业务系统账号）' });
      } finally {
        await host.close();
      }
    });

    it('brings a later login of the platform account back already bound', async () => {
      const browser = new TestBrowser();
      await login(browser, stack);
      const { body } = await me(browser, stack);
      assert.equal(body.bound, true);
      assert.equal(body.localAccount.username, 'lisi.local');
      assert.equal((await stack.bff.users.getUser(ZHANGWEI_ID))!.localAccount?.username, 'lisi.local');
    });

    it('answers 409 already_bound when this platform account is bound already, without checking the password', async () => {
      const browser = await loggedIn(stack);
      const answer = await bind(browser, stack, { username: 'wangfang.local', password: 'wrong' });
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error, 'already_bound');
      assert.equal((await stack.bff.users.getBinding(ZHANGWEI_ID))?.localAccount.username, 'lisi.local');
    });

    it('answers 409 local_account_taken when another platform account holds the local account', async () => {
      const lina = await loggedIn(stack, 'lina');
      const answer = await bind(lina, stack, LOCAL);
      assert.equal(answer.status, 409);
      assert.equal(answer.body.error, 'local_account_taken');
      assert.equal((await me(lina, stack)).body.bound, false);
      const [event] = await stack.bff.users.listAuditEvents({ type: 'bind', accountId: LINA_ID });
      assert.deepEqual([event?.outcome, event?.detail], ['failure', 'local_account_taken']);
    });

    it('answers 400 invalid_local_credentials to a wrong password or an unknown account, and audits it', async () => {
      const lina = await loggedIn(stack, 'lina');
      for (const attempt of [{ username: 'wangfang.local', password: 'Local@2025' }, { username: 'nobody.local', password: 'Local@2026' }]) {
        const answer = await bind(lina, stack, attempt);
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.body, { error: 'invalid_local_credentials', error_description: 'Wrong local username or password.', message: ERROR_CODES.invalid_local_credentials.message });
      }
      const failures = await stack.bff.users.listAuditEvents({ type: 'bind', accountId: LINA_ID });
      assert.deepEqual(failures.slice(0, 2).map((e) => `${e.outcome}:${e.detail}`), ['failure:invalid_local_credentials', 'failure:invalid_local_credentials']);
      assert.doesNotMatch(JSON.stringify(failures), /Local@202/, 'no password in the audit trail');
    });

    it('lets exactly one of two simultaneous binds of one local account win (the database decides)', async () => {
      const [a, b] = await Promise.all([loggedIn(stack, 'wangfang'), loggedIn(stack, 'liuyang')]);
      const answers = await Promise.all([bind(a, stack, { username: 'wangfang.local', password: 'Local@2026' }), bind(b, stack, { username: 'WangFang.local', password: 'Local@2026' })]);
      assert.deepEqual(answers.map((x) => x.status).sort(), [200, 409]);
      assert.equal(answers.find((x) => x.status === 409)!.body.error, 'local_account_taken');
    });

    it('unbinds: /me says unbound at once in this browser, and in other sessions of the account within the touch interval', async () => {
      const first = await loggedIn(stack);
      const second = await loggedIn(stack);
      const host = await hostApp(stack.bff);
      try {
        const answer = await unbind(first, stack);
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body, { bound: false });
        assert.equal((await me(first, stack)).body.bound, false);
        // The other session re-reads the binding once its touch interval has passed (no query per request).
        clockOffsetMs += stack.bff.sessions.touchIntervalMs;
        assert.equal((await me(second, stack)).body.localAccount, null, 'the other session follows the database');
        const info = await (await second.request(host.url, { headers: { accept: 'application/json' } })).json();
        assert.equal(info.localAccount, null, 'requireLogin() no longer grants the local account');
        assert.equal(await stack.bff.users.getBinding(ZHANGWEI_ID), null);
        const [event] = await stack.bff.users.listAuditEvents({ type: 'unbind', accountId: ZHANGWEI_ID });
        assert.equal(event?.outcome, 'success');
      } finally {
        await host.close();
      }
      // The next login comes back unbound, and the local account is free for another platform account.
      const again = await loggedIn(stack);
      assert.equal((await me(again, stack)).body.bound, false);
      const lina = await loggedIn(stack, 'lina');
      assert.equal((await bind(lina, stack, LOCAL)).status, 200);
    });

    it('answers unbind without a binding with 200 { bound: false }', async () => {
      const browser = await loggedIn(stack, 'huangxiaomin');
      assert.deepEqual(await unbind(browser, stack), { status: 200, body: { bound: false } });
    });
  });
}

describe('account binding: the HTTP edge', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ bffOptions: { rateLimitBind: 100 } });
  });
  after(() => stack.close());

  it('needs a session: 401 not_authenticated', async () => {
    const answer = await bind(new TestBrowser(), stack);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'not_authenticated');
  });

  it('needs the anti-forgery header, a same-site origin and POST: 403 forbidden_request', async () => {
    const browser = await loggedIn(stack);
    const url = new URL('auth/bind', stack.url).href;
    const noHeader = await browser.request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(LOCAL) });
    assert.equal(noHeader.status, 403);
    assert.equal((await bind(browser, stack, LOCAL, { origin: 'https://evil.example' })).status, 403);
    const get = await browser.request(url, { headers: { 'x-gd-login': '1' } });
    assert.equal(get.status, 403);
    assert.equal((await me(browser, stack)).body.bound, false, 'nothing was bound');
  });

  it('rejects malformed bodies with 400 bad_request and oversized ones with 413 payload_too_large', async () => {
    const browser = await loggedIn(stack);
    const malformed = ['{not json', '[]', '{}', JSON.stringify({ username: 'x' }), JSON.stringify({ username: '', password: 'p' }), JSON.stringify({ username: 1, password: 'p' }), JSON.stringify({ username: 'u'.repeat(129), password: 'p' })];
    for (const body of malformed) {
      const answer = await bind(browser, stack, body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.body.error, 'bad_request', body);
    }
    const form = await bind(browser, stack, 'username=lisi.local&password=Local%402026', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 400, 'JSON only');
    const big = await bind(browser, stack, { username: 'lisi.local', password: 'p'.repeat(5000) });
    assert.equal(big.status, 413);
    assert.equal(big.body.error, 'payload_too_large');
  });

  it('rate-limits bind attempts: 429 rate_limited with Retry-After once the limit is spent', async () => {
    const limited = await startStack({ bffOptions: { rateLimitBind: 3 } });
    try {
      const browser = await loggedIn(limited, 'lina');
      for (let i = 0; i < 3; i++) assert.equal((await bind(browser, limited, { username: 'lisi.local', password: `guess-${i}` })).status, 400);
      const response = await browser.request(new URL('auth/bind', limited.url).href, {
        method: 'POST',
        headers: { 'x-gd-login': '1', 'content-type': 'application/json' },
        body: JSON.stringify(LOCAL),
      });
      assert.equal(response.status, 429);
      assert.equal((await response.json()).error, 'rate_limited');
      assert.ok(Number(response.headers.get('retry-after')) >= 1);
      assert.equal((await me(browser, limited)).body.bound, false, 'the right password does not get through while limited');
    } finally {
      await limited.close();
    }
  });
});

describe('account binding switched off (no verifyLocalAccount hook)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ bffOptions: { verifyLocalAccount: undefined } });
  });
  after(() => stack.close());

  it('answers /bind and /unbind with 404 binding_disabled and reports binding: false on /me', async () => {
    const browser = await loggedIn(stack);
    assert.equal((await me(browser, stack)).body.binding, false);
    for (const answer of [await bind(browser, stack), await unbind(browser, stack)]) {
      assert.equal(answer.status, 404);
      assert.deepEqual(answer.body, { error: 'binding_disabled', error_description: 'Account binding is not enabled on this system.', message: ERROR_CODES.binding_disabled.message });
    }
  });
});

describe('database unavailable at start-up', () => {
  let bff: Bff;
  let server: Server;
  before(async () => {
    bff = createBff({
      mode: 'development',
      platformUrl: 'http://127.0.0.1:9',
      clientId: 'readyz-test',
      clientSecret: 'readyz-test-secret-0123456789',
      redirectUri: 'http://localhost:9/auth/callback',
      logLevel: 'silent',
      databaseUrl: 'postgres://nobody@127.0.0.1:1/none',
    }, {});
    server = createServer(express().use('/auth', bff));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await bff.close();
  });

  it('rejects bff.ready and answers /readyz with 503 database_unavailable', async () => {
    await assert.rejects(bff.ready);
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/readyz`);
    assert.equal(response.status, 503);
    assert.equal((await response.json()).error, 'database_unavailable');
  });
});
