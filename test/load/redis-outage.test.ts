/**
 * Redis stopped and started again while users are active: the BFF does not crash, answers 503
 * `store_unavailable` (quickly) while Redis is down, recovers fully by itself once it is back,
 * and every session written before the outage is still there (Redis with its append-only file).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, storeKind, timedLogin, getMe, pool, TestBrowser, type Harness } from '../bench/lib/harness.ts';
import { makeAccounts } from '../bench/lib/accounts.ts';
import { startRedis, skipWithoutRedis, type TestRedis } from '../helpers/redis.ts';

const USERS = 30;
const accounts = makeAccounts(USERS + 200, 'redis');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis stopped and restarted under load', { skip: skipWithoutRedis }, () => {
  let redis: TestRedis;
  let harness: Harness;
  const unhandled: unknown[] = [];
  const trap = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', trap);
    redis = await startRedis();
    harness = await startHarness({ accounts, bffOptions: { redisUrl: redis.url, platformTimeoutMs: 30_000 } });
  });
  after(async () => {
    await harness?.close();
    await redis?.destroy();
    process.off('unhandledRejection', trap);
  });

  it('answers 503 while Redis is down, recovers, and loses no written session', { timeout: 120_000 }, async () => {
    assert.equal(storeKind(harness.bff), 'RedisStore');
    const users: { browser: TestBrowser; account: string }[] = [];
    await pool(USERS, 5, async (i) => {
      const browser = new TestBrowser();
      await timedLogin(browser, harness.url, accounts[i]!);
      const me = await getMe(browser, harness.url);
      assert.equal(me.status, 200, JSON.stringify(me.body));
      users.push({ browser, account: accounts[i]!.account });
    });

    type Phase = 'up' | 'down' | 'back';
    const now: { phase: Phase } = { phase: 'up' };
    let stop = false;
    const seen = { up: new Map<number, number>(), down: new Map<number, number>(), back: new Map<number, number>() };
    let slowestWhileDown = 0;
    const unexpected: string[] = [];
    const note = (status: number, ms: number, what: string) => {
      seen[now.phase].set(status, (seen[now.phase].get(status) ?? 0) + 1);
      if (now.phase === 'down') slowestWhileDown = Math.max(slowestWhileDown, ms);
      if (status !== 200 && status !== 503) unexpected.push(`${what}: ${status} while Redis was ${now.phase}`);
    };
    const deadline = Date.now() + 90_000;
    const pollers = users.map(async ({ browser, account }) => {
      while (!stop && Date.now() < deadline) {
        const me = await getMe(browser, harness.url);
        note(me.status, me.ms, `/me ${account}`);
        if (me.status === 200) assert.equal(me.body.user.account, account);
        if (me.status === 503) assert.equal(me.body.error, 'store_unavailable');
        await sleep(20);
      }
    });
    // New logins keep arriving too; those that complete while Redis is up must survive.
    const lateUsers: { browser: TestBrowser; account: string }[] = [];
    const newcomers = (async () => {
      for (let i = USERS; !stop && Date.now() < deadline && i < accounts.length; i++) {
        const browser = new TestBrowser();
        const started: Phase = now.phase;
        const t0 = performance.now();
        const login = await timedLogin(browser, harness.url, accounts[i]!);
        for (const hop of login.hops) if (hop.url.startsWith(harness.url)) note(hop.status === 302 ? 200 : hop.status, performance.now() - t0, `login hop ${hop.url}`);
        const me = await getMe(browser, harness.url);
        if (me.status === 200 && started === now.phase && started !== 'down') lateUsers.push({ browser, account: accounts[i]!.account });
        await sleep(50);
      }
    })();

    await sleep(1000);
    now.phase = 'down';
    await redis.stop();
    const downAt = Date.now();
    while (!seen.down.has(503) && Date.now() - downAt < 5000) await sleep(20);
    assert.ok(seen.down.has(503), '503 within 5 s of Redis going down');
    const ready = await fetch(new URL('auth/readyz', harness.url));
    assert.equal(ready.status, 503, '/readyz reports the store');
    await ready.arrayBuffer();
    await sleep(1500);

    await redis.start();
    now.phase = 'back';
    const backAt = Date.now();
    // Recovery: every logged-in user gets 200 again.
    let recovered = false;
    while (!recovered && Date.now() - backAt < 20_000) {
      await sleep(200);
      const answers = await Promise.all(users.map(({ browser }) => getMe(browser, harness.url)));
      recovered = answers.every((a) => a.status === 200);
    }
    const recoveryMs = Date.now() - backAt;
    await sleep(500);
    stop = true;
    await Promise.all([...pollers, newcomers]);

    assert.ok(recovered, 'every user is served again within 20 s of Redis coming back');
    assert.deepEqual(unexpected.slice(0, 5), [], 'only 200 and 503 answers');
    assert.ok(!seen.up.has(503), 'no 503 before the outage');
    assert.ok(slowestWhileDown < 2000, `answers stay fast while Redis is down (slowest ${slowestWhileDown.toFixed(0)} ms)`);
    for (const { browser, account } of [...users, ...lateUsers]) {
      const me = await getMe(browser, harness.url);
      assert.equal(me.status, 200, `${account}'s session survived the restart`);
      assert.equal(me.body.user.account, account);
    }
    const fresh = new TestBrowser();
    await timedLogin(fresh, harness.url, accounts.at(-1)!);
    assert.equal((await getMe(fresh, harness.url)).status, 200, 'a new login works after recovery');
    assert.deepEqual(unhandled, []);
    const summary = (m: Map<number, number>) => [...m].map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(`answers while up: ${summary(seen.up)}; down: ${summary(seen.down)}; back: ${summary(seen.back)}; all ${users.length + lateUsers.length} written sessions survived; recovered ${recoveryMs} ms after restart`);
  });
});
