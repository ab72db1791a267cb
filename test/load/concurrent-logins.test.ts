/**
 * 1,000 distinct platform accounts (LOAD_ACCOUNTS) log in at the same time through the BFF:
 * every one ends logged in as itself, never as anyone else, with no error.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, timedLogin, getMe, TestBrowser, type Harness } from '../bench/lib/harness.ts';
import { makeAccounts } from '../bench/lib/accounts.ts';
import { envCount } from './lib.ts';

const COUNT = envCount('LOAD_ACCOUNTS', 1000);
const accounts = makeAccounts(COUNT, 'many');

describe(`${COUNT} users logging in at once`, () => {
  let harness: Harness;
  before(async () => {
    // A generous platform timeout: here the sandbox, the BFF and 1,000 clients share one process.
    harness = await startHarness({ accounts, bffOptions: { platformTimeoutMs: 30_000 } });
  });
  after(() => harness.close());

  it('gives every user their own session and /me, never another user\'s, with zero errors', async () => {
    const errors: string[] = [];
    const browsers = accounts.map(() => new TestBrowser());
    let inFlight = 0;
    let mostInFlight = 0;
    await Promise.all(
      accounts.map(async (account, i) => {
        // Starts spread over about a second: 1,000 new TCP connections in the same instant
        // overflow the kernel's accept queue (listen backlog 511), which is not what is tested here.
        await new Promise((resolve) => setTimeout(resolve, i));
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          const login = await timedLogin(browsers[i]!, harness.url, account);
          if (!login.url.startsWith(harness.url)) errors.push(`${account.account}: ended at ${login.url}`);
        } catch (error) {
          errors.push(`${account.account}: ${(error as Error).message} ${String((error as Error).cause ?? '')}`);
        } finally {
          inFlight--;
        }
      }),
    );
    console.log(`${COUNT} logins, at most ${mostInFlight} in flight at once`);
    assert.ok(mostInFlight >= Math.min(COUNT, 200), `logins overlapped (${mostInFlight} at once)`);
    assert.deepEqual(errors.slice(0, 10), [], `${errors.length} logins failed`);
    // Every /me at once as well, so that answers could be mixed up if anything were shared.
    const answers = await Promise.all(browsers.map((browser) => getMe(browser, harness.url)));
    answers.forEach((me, i) => {
      assert.equal(me.status, 200, `${accounts[i]!.account}: ${JSON.stringify(me.body)}`);
      assert.equal(me.body.user.account, accounts[i]!.account);
      assert.equal(me.body.user.id, accounts[i]!.userId);
      assert.equal(me.body.user.name, accounts[i]!.name);
    });
    const cookies = new Set(browsers.map((b) => b.cookie(harness.url, '__Host-gdsl')));
    assert.equal(cookies.size, COUNT, 'every browser holds a different session id');
    assert.equal(await harness.bff.sessions.store.count('s:'), COUNT);
  });
});
