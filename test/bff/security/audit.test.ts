/**
 * Rule 11: the audit trail (MLPS level 3 security audit, clause 8.5 g). Every login success and
 * failure, logout, bind, session expiry and refused token refresh is recorded with its time, account
 * id, client IP and outcome.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LOCAL_ACCOUNT, TestBrowser, at, callbackOutcome, callbackUrlFor, logout, me, startSecureStack, type SecureStack } from './helpers.ts';

describe('audit trail (rule 11)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack();
  });
  after(() => stack.close());

  function last(type: string): Record<string, unknown> {
    const records = stack.audits().filter((a) => a.audit === type);
    assert.ok(records.length > 0, `an audit record of type ${type}`);
    return records.at(-1)!;
  }

  function assertShape(record: Record<string, unknown>): void {
    assert.ok(!Number.isNaN(Date.parse(String(record.time))), 'time');
    assert.match(String(record.ip), /127\.0\.0\.1/, 'client IP');
    assert.match(String(record.outcome), /^(success|failure)$/);
  }

  it('records a successful login with time, account id, IP and outcome', async () => {
    const browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack, { account: 'lina' }));
    const record = last('login');
    assertShape(record);
    assert.equal(record.outcome, 'success');
    assert.equal(record.accountId, 'gd-4401-000002');
  });

  it('records a forged callback as a failed login with its error code', async () => {
    await callbackOutcome(new TestBrowser(), stack, `?code=x&state=${'F'.repeat(43)}`);
    const record = last('login');
    assertShape(record);
    assert.equal(record.outcome, 'failure');
    assert.equal(record.detail, 'invalid_state');
  });

  it('records a logout with the account id', async () => {
    const browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack));
    await logout(browser, stack);
    const record = last('logout');
    assertShape(record);
    assert.equal(record.accountId, 'gd-4400-000001');
  });

  it('records an idle session expiry once', async () => {
    const browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack, { account: 'wangfang' }));
    stack.clock.advance(31 * 60_000);
    await me(browser, stack);
    await me(browser, stack);
    const records = stack.audits().filter((a) => a.audit === 'session_expired' && a.accountId === 'gd-4419-000006');
    assert.equal(records.length, 1);
    assertShape(records[0]!);
  });

  it('records a failed and a successful bind, never the password', async () => {
    const browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack, { account: 'liuyang' }));
    const bind = (password: string) =>
      browser.request(at(stack, '/auth/bind'), {
        method: 'POST',
        headers: { 'x-gd-login': '1', origin: stack.siteOrigin, 'content-type': 'application/json' },
        body: JSON.stringify({ username: LOCAL_ACCOUNT.username, password }),
      });
    assert.equal((await bind('guess-1')).status, 400);
    assert.equal((await bind(LOCAL_ACCOUNT.password)).status, 200);
    const records = stack.audits().filter((a) => a.audit === 'bind' && a.accountId === 'gd-4400-000007');
    assert.deepEqual(records.map((r) => [r.outcome, r.detail]), [
      ['failure', 'invalid_local_credentials'],
      ['success', LOCAL_ACCOUNT.username],
    ]);
    records.forEach(assertShape);
    assert.ok(!stack.logs.join('\n').includes(LOCAL_ACCOUNT.password), 'the local password is not logged');
  });

  it('records no secret in an audit record', async () => {
    for (const record of stack.audits()) {
      assert.deepEqual(Object.keys(record).filter((k) => !['level', 'time', 'name', 'msg', 'audit', 'outcome', 'accountId', 'ip', 'detail'].includes(k)), []);
    }
  });
});
