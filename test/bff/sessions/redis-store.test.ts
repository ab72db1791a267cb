/**
 * The Redis session store against a real redis-server: values, expiry, single use, counting,
 * and what happens while Redis is down or stops answering, and after it returns.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisStore } from '../../../bff/session/redis-store.ts';
import { StoreUnavailableError } from '../../../bff/session/store.ts';
import { startRedis, skipWithoutRedis, type TestRedis } from '../../helpers/redis.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe('RedisStore', { skip: skipWithoutRedis }, () => {
  let redis: TestRedis;
  let store: RedisStore;
  let raw: Redis;
  before(async () => {
    redis = await startRedis();
    store = new RedisStore({ url: redis.url });
    await store.firstAttempt;
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => {});
  });
  after(async () => {
    raw?.disconnect();
    await store?.close();
    await redis?.destroy();
  });

  it('stores JSON values under the gdsl: prefix with a PX expiry', async () => {
    const value = { user: { id: 'u1', name: '张伟' }, createdAt: 1, localAccount: null };
    await store.set('s:abc', value, 60_000);
    assert.deepEqual(await store.get('s:abc'), value);
    assert.equal(await raw.get('gdsl:s:abc'), JSON.stringify(value));
    const ttl = await raw.pttl('gdsl:s:abc');
    assert.ok(ttl > 55_000 && ttl <= 60_000, `PTTL ${ttl}`);
    assert.equal(await store.get('s:missing'), undefined);
  });

  it('forgets a value when its time is up', async () => {
    await store.set('t:short', 'x', 80);
    assert.equal(await store.get('t:short'), 'x');
    await sleep(150);
    assert.equal(await store.get('t:short'), undefined);
  });

  it('hands a value out once with take(), even to concurrent callers (GETDEL)', async () => {
    await store.set('t:state', { returnTo: '/' }, 60_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.take('t:state')));
    assert.equal(results.filter((r) => r !== undefined).length, 1);
    assert.equal(await store.get('t:state'), undefined);
  });

  it('deletes, and counts live keys by prefix with glob characters taken literally', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.set(`cnt:${i}`, i, 60_000)));
    await store.set('cnt*x', 1, 60_000);
    await store.set('cn', 1, 60_000);
    assert.equal(await store.count('cnt:'), 25);
    assert.equal(await store.count('cnt*'), 1);
    await store.delete('cnt:0');
    assert.equal(await store.count('cnt:'), 24);
  });

  it('keeps to its own prefix: another prefix on the same Redis sees nothing of it', async () => {
    const other = new RedisStore({ url: redis.url, keyPrefix: 'other-app:' });
    await other.firstAttempt;
    try {
      await store.set('s:shared-name', 'ours', 60_000);
      assert.equal(await other.get('s:shared-name'), undefined);
      assert.equal(await other.count('s:'), 0);
    } finally {
      await other.close();
    }
  });

  it('rejects every call quickly with StoreUnavailableError while Redis is down, then recovers by itself', async () => {
    await store.set('s:before-outage', { kept: true }, 120_000);
    await redis.stop();
    // The client notices the closed connection at once; wait for that, not for a timeout.
    await eventually(() => store.ping().then(() => false, () => true));
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['get', () => store.get('s:before-outage')],
      ['set', () => store.set('s:x', 1, 1000)],
      ['take', () => store.take('t:x')],
      ['delete', () => store.delete('s:x')],
      ['ping', () => store.ping()],
      ['count', () => store.count('s:')],
    ];
    for (const [name, call] of calls) {
      const started = Date.now();
      const error = await call().then(
        () => assert.fail(`${name} succeeded while Redis was down`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof StoreUnavailableError, `${name}: ${String(error)}`);
      assert.match(error.message, new RegExp(`^Redis session store at redis://127\\.0\\.0\\.1:${redis.port} is unavailable: .+`));
      assert.doesNotMatch(error.message, /before-outage|gdsl:/, 'no key in the message');
      assert.ok(Date.now() - started < 1500, `${name} took ${Date.now() - started} ms`);
    }

    await redis.start();
    await eventually(async () => {
      await store.ping();
      return true;
    });
    assert.deepEqual(await store.get('s:before-outage'), { kept: true }, 'written before the outage, still there');
  });

  it('gives up on a Redis that stops answering after commandTimeoutMs, pipelined calls too, and carries on when it answers again', async () => {
    const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))![1]);
    const impatient = new RedisStore({ url: redis.url, commandTimeoutMs: 300 });
    try {
      await impatient.firstAttempt;
      await impatient.set('s:frozen', 'kept', 60_000);
      process.kill(pid, 'SIGSTOP');
      try {
        const started = Date.now();
        // Issued together, so they travel in one auto-pipelined write.
        const results = await Promise.allSettled([impatient.get('s:frozen'), impatient.set('s:y', 1, 1000), impatient.take('t:y')]);
        for (const result of results) {
          assert.equal(result.status, 'rejected');
          assert.ok((result as PromiseRejectedResult).reason instanceof StoreUnavailableError, String((result as PromiseRejectedResult).reason));
        }
        assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await eventually(async () => (await impatient.get('s:frozen')) === 'kept');
    } finally {
      await impatient.close();
    }
  });

  it('starts while Redis is down (firstAttempt resolves) and connects once Redis comes up', async () => {
    await redis.stop();
    const late = new RedisStore({ url: redis.url });
    try {
      const started = Date.now();
      await late.firstAttempt;
      assert.ok(Date.now() - started < 3000);
      await assert.rejects(late.ping(), StoreUnavailableError);
      await assert.rejects(late.ping(), /ECONNREFUSED/, 'the reason is the refused connection');
      await redis.start();
      await eventually(async () => {
        await late.ping();
        return true;
      });
      await late.set('s:late', 'ok', 10_000);
      assert.equal(await late.get('s:late'), 'ok');
    } finally {
      await late.close();
    }
  });

  it('rejects after close()', async () => {
    const closing = new RedisStore({ url: redis.url });
    await closing.firstAttempt;
    await closing.close();
    await assert.rejects(closing.get('s:any'), /closed/);
  });
});
