/**
 * Soak: SOAK_LOGINS logins and logouts (full: 50,000 with `npm run test:load`; 200 in `npm test`),
 * SOAK_CONCURRENCY at a time, each login → /me → logout → platform logout. Afterwards no session,
 * login transaction or login error is left in the store, and the process heap (after forced GC)
 * is back within a small margin of where it started: nothing grows per login.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, timedLogin, getMe, fullLogout, pool, TestBrowser, type Harness } from '../bench/lib/harness.ts';
import { makeAccounts } from '../bench/lib/accounts.ts';
import { envCount, forceGc } from './lib.ts';

const LOGINS = envCount('SOAK_LOGINS', 200);
const CONCURRENCY = envCount('SOAK_CONCURRENCY', 8);
const WARMUP = Math.min(300, Math.max(50, LOGINS >> 2));
/** Allowed heap growth: a few MiB for JIT code, caches and pools that settle, not per login. */
const MARGIN_BYTES = 8 * 2 ** 20;
const accounts = makeAccounts(500, 'soak');

describe(`soak: ${LOGINS} logins and logouts`, () => {
  let harness: Harness;
  const gc = forceGc();
  before(async () => {
    harness = await startHarness({ accounts, bffOptions: { platformTimeoutMs: 30_000 } });
  });
  after(() => harness.close());

  async function cycle(i: number): Promise<void> {
    const account = accounts[i % accounts.length]!;
    const browser = new TestBrowser();
    const login = await timedLogin(browser, harness.url, account);
    assert.ok(login.url.startsWith(harness.url), `login ${i} came back to the site`);
    const me = await getMe(browser, harness.url);
    assert.equal(me.status, 200, `login ${i}: ${JSON.stringify(me.body)}`);
    assert.equal(me.body.user.account, account.account);
    await fullLogout(browser, harness.url);
    assert.equal((await getMe(browser, harness.url)).status, 401);
  }

  /** Heap after GC, with the sandbox's own bookkeeping (codes, tokens: it stands in for the platform) dropped. */
  async function settledHeap(): Promise<number> {
    harness.sandbox.sandbox.resetState();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed;
  }

  it('leaves no session behind and returns to its starting memory', { timeout: 30 * 60_000 }, async () => {
    await pool(WARMUP, CONCURRENCY, cycle);
    const start = await settledHeap();
    const startedAt = performance.now();
    const checkpoints: string[] = [];
    const step = Math.max(1, Math.floor(LOGINS / 5));
    for (let done = 0; done < LOGINS; done += step) {
      const n = Math.min(step, LOGINS - done);
      await pool(n, CONCURRENCY, (i) => cycle(done + i));
      if (LOGINS >= 5000) checkpoints.push(`${done + n}: ${((process.memoryUsage().heapUsed - start) / 2 ** 20).toFixed(1)} MiB`);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    const store = harness.bff.sessions.store;
    assert.equal(await store.count('s:'), 0, 'sessions left in the store');
    assert.equal(await store.count('t:'), 0, 'login transactions left in the store');
    assert.equal(await store.count('e:'), 0, 'login errors left in the store');
    const end = await settledHeap();
    const growth = end - start;
    console.log(
      `${LOGINS} logins+logouts in ${seconds.toFixed(1)} s (${(LOGINS / seconds).toFixed(0)}/s); heap after GC ${(start / 2 ** 20).toFixed(1)} → ${(end / 2 ** 20).toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${(growth / 2 ** 20).toFixed(2)} MiB, ${((growth / LOGINS) | 0)} B per login)` +
        (checkpoints.length ? `; heap growth before GC at ${checkpoints.join(', ')}` : ''),
    );
    assert.ok(growth < MARGIN_BYTES, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MiB over ${LOGINS} logins`);
  });
});
