import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser, parseForm } from '../../helpers/browser.ts';
import { login, logout, me, startStack, type Stack } from '../../helpers/stack.ts';
import { UserCenter } from '../../../bff/users/user-center.ts';
import { openDatabase } from '../../../bff/users/database.ts';
import { createLogger } from '../../../bff/logger.ts';
import { DIALECTS } from './dialects.ts';

const DAY = 86_400_000;
const ZHANGWEI_ID = 'gd-4400-000001';
const silent = createLogger('silent');

/** Edits the logged-in account on the sandbox's manage/userinfo page, as the user would. */
async function editOnPlatform(browser: TestBrowser, stack: Stack, changes: Record<string, string>): Promise<void> {
  const page = await browser.follow(new URL('/manage/userinfo', stack.sandboxUrl).href);
  assert.equal(page.response.status, 200);
  const form = parseForm(await page.response.text(), page.url);
  const posted = await browser.request(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(stack.sandboxUrl).origin },
    body: new URLSearchParams({ ...form.fields, ...changes }),
  });
  assert.equal(posted.status, 303, 'the platform saved the edit');
}

for (const dialect of DIALECTS) {
  describe(`local user center on ${dialect.name}`, { skip: dialect.skip }, () => {
    let stack: Stack;
    let databaseUrl: string;
    before(async () => {
      await dialect.start();
      databaseUrl = await dialect.newDatabase();
      stack = await startStack({ bffOptions: { databaseUrl } });
    });
    after(async () => {
      await stack?.close();
      await dialect.stop();
    });

    it('stores the allow-listed details at the first login, keyed by the platform account id', async () => {
      const browser = new TestBrowser();
      await login(browser, stack);
      const { body } = await me(browser, stack);
      const stored = await stack.bff.users.getUser(body.user.id);
      assert.ok(stored, 'the user is in the user center');
      assert.deepEqual(stored.user, body.user, 'the same fields as the session');
      assert.equal(stored.user.id, ZHANGWEI_ID);
      assert.equal(stored.loginCount, 1);
      assert.ok(Math.abs(stored.lastLoginAt.getTime() - Date.now()) < 60_000);
      assert.equal(stored.firstLoginAt.getTime(), stored.lastLoginAt.getTime());
      assert.equal(stored.localAccount, null);
    });

    it('keeps nothing off the allow-list: the platform sends mobile, email and orgCode, the table holds NULL', async () => {
      const { db } = openDatabase(databaseUrl);
      try {
        const row = await db.selectFrom('gd_users').selectAll().where('platform_user_id', '=', ZHANGWEI_ID).executeTakeFirstOrThrow();
        assert.equal(row.mobile, null);
        assert.equal(row.email, null);
        assert.equal(row.org_code, null);
        assert.equal(row.name, '张伟');
        assert.equal(row.org, '广东省政务服务和数据管理局');
        // Nothing token-like or secret anywhere in the database.
        const dump = JSON.stringify(await db.selectFrom('gd_users').selectAll().execute());
        assert.doesNotMatch(dump, new RegExp(stack.clientSecret));
        assert.doesNotMatch(dump, /token|password|13800138001/i);
      } finally {
        await db.destroy();
      }
    });

    it('refreshes the record at every login with the platform’s latest details (clause 8.5 j)', async () => {
      const browser = new TestBrowser();
      await login(browser, stack);
      const before = await stack.bff.users.getUser(ZHANGWEI_ID);
      await editOnPlatform(browser, stack, { title: '副处长', deptName: '数据应用处' });
      assert.equal((await stack.bff.users.getUser(ZHANGWEI_ID))!.user.title, before!.user.title, 'no bulk query: unchanged until the next login');
      await logout(browser, stack);
      await login(browser, stack);
      const after = await stack.bff.users.getUser(ZHANGWEI_ID);
      assert.equal(after!.user.title, '副处长');
      assert.equal(after!.user.dept, '数据应用处');
      assert.equal(after!.loginCount, before!.loginCount + 1);
      assert.equal(after!.firstLoginAt.getTime(), before!.firstLoginAt.getTime());
      assert.ok(after!.lastLoginAt.getTime() >= before!.lastLoginAt.getTime());
    });

    it('stores the audit trail: login and logout with account, time and client address', async () => {
      const browser = new TestBrowser();
      const since = Date.now();
      await login(browser, stack, { account: 'lina' });
      await logout(browser, stack);
      const events = await stack.bff.users.listAuditEvents({ accountId: 'gd-4401-000002' });
      assert.deepEqual(events.map((e) => `${e.type}:${e.outcome}`), ['logout:success', 'login:success']);
      for (const event of events) {
        assert.ok(event.at.getTime() >= since - 1000);
        assert.match(event.ip ?? '', /127\.0\.0\.1/);
      }
    });

    it('stores failed logins with their error code', async () => {
      const browser = new TestBrowser();
      await browser.follow(new URL('auth/callback?code=abc&state=forged', stack.url).href);
      const failures = (await stack.bff.users.listAuditEvents({ type: 'login' })).filter((e) => e.outcome === 'failure');
      assert.equal(failures[0]?.detail, 'invalid_state');
    });

    it('deletes audit events older than the retention period, at start-up and on demand', async () => {
      const url = await dialect.newDatabase();
      const options = { databaseUrl: url, userFields: ['id', 'name'] as const, auditRetentionDays: 30, logger: silent };
      const first = new UserCenter({ ...options, userFields: [...options.userFields] });
      const event = (daysAgo: number, detail: string) =>
        first.auditSink.record({ type: 'login', outcome: 'success', at: new Date(Date.now() - daysAgo * DAY), accountId: 'a', ip: '127.0.0.1', detail });
      await event(45, 'old-1');
      await event(31, 'old-2');
      await event(29, 'recent');
      assert.equal(await first.deleteExpiredAuditEvents(), 2);
      assert.deepEqual((await first.listAuditEvents()).map((e) => e.detail), ['recent']);
      await event(400, 'very-old');
      await first.close();

      const second = new UserCenter({ ...options, userFields: [...options.userFields] });
      try {
        await second.ready;
        assert.deepEqual((await second.listAuditEvents()).map((e) => e.detail), ['recent'], 'pruned at start-up');
      } finally {
        await second.close();
      }
    });

    it('takes the retention period from GD_AUDIT_RETENTION_DAYS (default 180)', async () => {
      const url = await dialect.newDatabase();
      const seed = new UserCenter({ databaseUrl: url, userFields: ['id'], auditRetentionDays: 36_500, logger: silent });
      for (const days of [200, 100, 5]) {
        await seed.auditSink.record({ type: 'logout', outcome: 'success', at: new Date(Date.now() - days * DAY), accountId: 'a', ip: undefined, detail: `${days}` });
      }
      await seed.close();
      const byDefault = await startStack({ bffOptions: { databaseUrl: url } });
      try {
        assert.deepEqual((await byDefault.bff.users.listAuditEvents({ type: 'logout' })).map((e) => e.detail), ['5', '100']);
      } finally {
        await byDefault.close();
      }
      const shorter = await startStack({ env: { GD_AUDIT_RETENTION_DAYS: '30' }, bffOptions: { databaseUrl: url } });
      try {
        assert.equal(shorter.bff.config.auditRetentionDays, 30);
        assert.deepEqual((await shorter.bff.users.listAuditEvents({ type: 'logout' })).map((e) => e.detail), ['5']);
      } finally {
        await shorter.close();
      }
    });

    it('stores a field once it is on the allow-list, and clears it when it leaves the list', async () => {
      const url = await dialect.newDatabase();
      const wide = await startStack({ bffOptions: { databaseUrl: url, userFields: 'id,name,mobile,email' } });
      try {
        await login(new TestBrowser(), wide, { account: 'lina' });
        const stored = await wide.bff.users.getUser('gd-4401-000002');
        assert.deepEqual(stored!.user, { id: 'gd-4401-000002', name: '李娜', mobile: '13800138002', email: 'lina@gz.gov.cn' });
      } finally {
        await wide.close();
      }
      const narrow = await startStack({ bffOptions: { databaseUrl: url, userFields: 'id,name' } });
      try {
        await login(new TestBrowser(), narrow, { account: 'lina' });
        const { db } = openDatabase(url);
        try {
          const row = await db.selectFrom('gd_users').select(['mobile', 'email', 'name']).where('platform_user_id', '=', 'gd-4401-000002').executeTakeFirstOrThrow();
          assert.deepEqual(row, { mobile: null, email: null, name: '李娜' });
        } finally {
          await db.destroy();
        }
      } finally {
        await narrow.close();
      }
    });

    it('answers /readyz with the database reachable', async () => {
      const response = await fetch(new URL('auth/readyz', stack.url));
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ready' });
    });
  });
}
