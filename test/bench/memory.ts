/**
 * Benchmark 3: memory per session at 100,000 sessions (BENCH_SESSIONS), ours against
 * express-session, with the same payload: the allow-listed user (from a platform user-detail
 * JSON parsed per session, as in a real login) and the token set.
 *
 * - memory stores: V8 heap used after a forced GC, before and after, divided by the count;
 * - Redis: `INFO memory` used_memory, before and after, divided by the count;
 * - ours keeps its cap: past `maxSessions` the count stays at the cap and the heap stops growing.
 *
 *   node --expose-gc --import tsx test/bench/memory.ts
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import session from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { Redis } from 'ioredis';
import { resolveConfig } from '../../bff/config.ts';
import { mapUser } from '../../bff/user.ts';
import { MemoryStore } from '../../bff/session/memory-store.ts';
import { RedisStore } from '../../bff/session/redis-store.ts';
import { Sessions } from '../../bff/session/sessions.ts';
import type { SessionStore } from '../../bff/session/store.ts';
import { makeAccounts } from './lib/accounts.ts';
import { pool } from './lib/harness.ts';
import { benchRedis, usedMemory } from './lib/redis.ts';
import { envInt, fmt, machine, table } from './lib/stats.ts';

const N = envInt('BENCH_SESSIONS', 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const config = resolveConfig(
  { mode: 'development', platformUrl: 'http://127.0.0.1:9', clientId: 'bench', clientSecret: 'bench-secret-0123456789', redirectUri: 'http://localhost/auth/callback', logLevel: 'silent' },
  {},
);
const accounts = makeAccounts(1000, 'mem');

/** What a login stores: a user mapped from a freshly parsed user-detail answer, and tokens. */
function payload(i: number) {
  const { password: _password, ...detail } = accounts[i % accounts.length]!;
  const user = mapUser(config, JSON.parse(JSON.stringify({ ...detail, userId: `${detail.userId}-${i}` })) as Record<string, unknown>);
  const tokens = { accessToken: randomBytes(32).toString('base64url'), refreshToken: randomBytes(32).toString('base64url'), accessTokenExpiresAt: Date.now() + 7_200_000 };
  return { user, tokens };
}

const fakeRes = { cookie() {} } as unknown as Response;
const fakeReq = () => ({ cookies: {} }) as unknown as Request;

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

async function fill(count: number, concurrency: number, add: (i: number) => Promise<void>): Promise<void> {
  await pool(count, concurrency, add);
}

async function ours(store: SessionStore, count: number, offset = 0): Promise<void> {
  const sessions = new Sessions(config, store);
  await fill(count, store instanceof MemoryStore ? 1 : 200, async (i) => {
    const { user, tokens } = payload(offset + i);
    await sessions.create(fakeReq(), fakeRes, user, tokens, null);
  });
}

function expressSessionData(i: number, withTokens = true) {
  const { user, tokens: t } = payload(i);
  const tokens = withTokens ? t : undefined;
  // The typings declare no constructor arguments; express-session's Cookie takes its options.
  const Cookie = session.Cookie as unknown as new (options: session.CookieOptions) => session.Cookie;
  const cookie = new Cookie({ maxAge: config.session.idleMs, httpOnly: true, secure: true, sameSite: 'lax', path: '/' });
  return { cookie, user, tokens, createdAt: Date.now() } as unknown as session.SessionData;
}

async function theirs(store: session.Store, count: number, concurrency: number, withTokens = true): Promise<void> {
  await fill(count, concurrency, (i) =>
    new Promise<void>((resolve, reject) => {
      // express-session's default id: uid-safe, 24 bytes.
      store.set(randomBytes(24).toString('base64url'), expressSessionData(i, withTokens), (error?: unknown) => (error ? reject(error) : resolve()));
    }),
  );
}

async function main() {
  console.log(`# Memory per session\n\n${machine()}\n${N.toLocaleString('en-US')} sessions; payload: allow-listed user (6 fields, Chinese name/org/dept) + access and refresh token\n`);
  const rows: string[][] = [];
  const notes: string[] = [];

  // Ours, memory store, with the configured cap (GD_MAX_SESSIONS, default 100,000).
  {
    const cap = config.session.maxEntries;
    const store = new MemoryStore({ maxEntries: cap });
    const h0 = heap();
    await ours(store, N);
    const h1 = heap();
    const count = await store.count('s:');
    rows.push(['ours, MemoryStore', 'V8 heap', fmt(count, 0), fmt((h1 - h0) / count / 1024, 3)]);
    const extra = Math.round(cap * 0.2);
    await ours(store, N >= cap ? extra : cap - N + extra, N);
    const h2 = heap();
    const after = await store.count('s:');
    notes.push(
      `cap: after ${fmt(Math.max(N, cap) + extra, 0)} logins the memory store holds ${fmt(after, 0)} sessions (maxSessions ${fmt(cap, 0)}): ${after === cap ? 'HOLDS' : 'BROKEN'}; heap ${fmt((h2 - h0) / 2 ** 20, 1)} MiB (at ${fmt(count, 0)}: ${fmt((h1 - h0) / 2 ** 20, 1)} MiB)`,
    );
    await store.close();
  }
  // express-session's MemoryStore (no cap of its own).
  {
    const store = new session.MemoryStore();
    const h0 = heap();
    await theirs(store, N, 1);
    const h1 = heap();
    const count = await new Promise<number>((resolve) => store.length((_e, n) => resolve(n ?? 0)));
    rows.push(['express-session MemoryStore', 'V8 heap', fmt(count, 0), fmt((h1 - h0) / count / 1024, 3)]);
    store.clear();
  }
  // For reference: express-session with the user only (no tokens), the usual minimal session.
  {
    const store = new session.MemoryStore();
    const h0 = heap();
    await theirs(store, N, 1, false);
    const h1 = heap();
    rows.push(['express-session MemoryStore, user only (no tokens)', 'V8 heap', fmt(N, 0), fmt((h1 - h0) / N / 1024, 3)]);
    store.clear();
  }

  const redis = await benchRedis();
  if (redis) {
    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
      const r0 = await usedMemory(admin);
      const store = new RedisStore({ url: redis.url });
      await store.firstAttempt;
      await ours(store, N);
      const r1 = await usedMemory(admin);
      const count = await store.count('s:');
      rows.push(['ours, RedisStore', 'Redis used_memory', fmt(count, 0), fmt((r1 - r0) / count / 1024, 3)]);
      await store.close();

      await admin.flushall();
      const r2 = await usedMemory(admin);
      const client = createClient({ url: redis.url });
      await client.connect();
      await theirs(new ConnectRedisStore({ client, prefix: 'sess:' }), N, 200);
      const r3 = await usedMemory(admin);
      const keys = await admin.dbsize();
      rows.push(['express-session connect-redis', 'Redis used_memory', fmt(keys, 0), fmt((r3 - r2) / keys / 1024, 3)]);
      await client.quit();
    } finally {
      await admin.quit();
      await redis.destroy();
    }
  }

  console.log(table(['store', 'measured', 'sessions', 'KB per session'], rows));
  console.log('');
  for (const note of notes) console.log(note);
  const ourKb = Number(rows[0]![3]!.replace(/,/g, ''));
  const theirKb = Number(rows[1]![3]!.replace(/,/g, ''));
  console.log(`target ours (memory) ≤ express-session MemoryStore per session: ${fmt(ourKb, 3)} vs ${fmt(theirKb, 3)} KB ${ourKb <= theirKb ? 'MET' : 'MISSED'}`);
}

await main();
