/**
 * Benchmark 2: full logins through the sandbox without a browser (authorize → form POST →
 * code → callback → /me), memory and Redis stores. The platform (sandbox), the BFF and this load
 * generator are three processes.
 *
 * - logins/s: closed loop, BENCH_LOGIN_CONCURRENCY (8) logins at a time for BENCH_SECONDS (5).
 * - BFF-added latency per login at a paced 100 logins/s (BENCH_LOGIN_RATE) for
 *   BENCH_PACED_SECONDS (30): the sum over the BFF's hops (/auth/login, /auth/callback, /auth/me)
 *   of the handler time, minus the platform calls made for that login (token,
 *   getuserinfodetail), timed by a relay in front of the platform (see login-server.ts).
 *
 *   node --import tsx test/bench/login.ts
 *   BENCH_CPU_PROF=/tmp/prof-login …   V8 CPU profiles of the BFF processes (see profile-summary.ts)
 *   BENCH_BFF_NODE_FLAGS='--max-semi-space-size=64' …   Node/V8 flags for the BFF processes
 *   BENCH_DIAG=1 …   also GC pauses, event-loop delay and session-store call times in the BFF
 */
import { forkServer, type ChildServer } from './lib/child.ts';
import { makeAccounts } from './lib/accounts.ts';
import { TestBrowser, pool, timedLogin } from './lib/harness.ts';
import { benchRedis } from './lib/redis.ts';
import type { TestRedis } from '../helpers/redis.ts';
import { envInt, fmt, machine, percentile, sleep, table } from './lib/stats.ts';

const SECONDS = envInt('BENCH_SECONDS', 5);
const PACED_SECONDS = envInt('BENCH_PACED_SECONDS', 30);
const RATE = envInt('BENCH_LOGIN_RATE', 100);
const CONCURRENCY = envInt('BENCH_LOGIN_CONCURRENCY', 8);
const ACCOUNTS = envInt('BENCH_ACCOUNTS', 1000);
const accounts = makeAccounts(ACCOUNTS, 'bench');

interface BffReady {
  url: string;
  redirectUri: string;
  clientSecret: string;
  store: string;
}

interface LoginSample {
  /** Handler time of the BFF's hops (the platform calls inside /callback not yet subtracted). */
  handlerMs: number;
  /** The same per hop. */
  hopMs: { login: number; callback: number; me: number };
  code: string;
  totalMs: number;
  sandboxHopsMs: number;
}

interface Measured {
  bffMs: number;
  loginHopMs: number;
  callbackHopMs: number;
  meHopMs: number;
  /** Upper bound: minus the platform time measured at the platform (its queueing counts as ours). */
  bffUpperMs: number;
  platformMs: number;
  totalMs: number;
  sandboxHopsMs: number;
}

function serverTiming(header: string | null, name: string): number {
  const match = header ? new RegExp(`${name};dur=([0-9.]+)`).exec(header) : null;
  return match ? Number(match[1]) : Number.NaN;
}

/** One login plus one /me, checked; the BFF's and the platform's share of it. */
async function oneLogin(site: string, i: number): Promise<LoginSample> {
  const browser = new TestBrowser();
  const account = accounts[i % accounts.length]!;
  const t0 = performance.now();
  const login = await timedLogin(browser, site, account);
  const meStart = performance.now();
  const me = await browser.request(new URL('auth/me', site).href);
  const body = (await me.json()) as { user?: { account?: string } };
  const meMs = performance.now() - meStart;
  const totalMs = performance.now() - t0;
  if (!login.url.startsWith(site) || me.status !== 200 || body.user?.account !== account.account) {
    throw new Error(`login ${i} failed: ended at ${login.url}, /me ${me.status} ${JSON.stringify(body)}`);
  }
  const hops = [...login.hops, { url: me.url, status: me.status, ms: meMs, serverTiming: me.headers.get('server-timing') }];
  let handlerMs = 0;
  let sandboxHopsMs = 0;
  let code = '';
  const hopMs = { login: 0, callback: 0, me: 0 };
  for (const hop of hops) {
    if (hop.url.startsWith(site)) {
      const ms = serverTiming(hop.serverTiming, 'handler');
      handlerMs += ms;
      const path = new URL(hop.url).pathname;
      if (path.endsWith('/auth/login')) hopMs.login += ms;
      else if (path.endsWith('/auth/callback')) hopMs.callback += ms;
      else if (path.endsWith('/auth/me')) hopMs.me += ms;
      if (hop.url.includes('/auth/callback?')) code = new URL(hop.url).searchParams.get('code') ?? '';
    } else {
      sandboxHopsMs += hop.ms;
    }
  }
  return { handlerMs, hopMs, code, totalMs, sandboxHopsMs };
}

async function closedLoop(site: string, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < deadline; i += CONCURRENCY) {
      await oneLogin(site, i);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  return done / ((performance.now() - t0) / 1000);
}

/** Open loop: login i starts at t0 + i/RATE whatever the earlier ones are doing. */
async function paced(site: string, seconds: number): Promise<{ samples: LoginSample[]; achieved: number }> {
  const count = Math.round(RATE * seconds);
  const samples: LoginSample[] = [];
  const running: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(oneLogin(site, i).then((s) => void samples.push(s)));
  }
  await Promise.all(running);
  return { samples, achieved: count / ((performance.now() - t0) / 1000) };
}

async function main() {
  console.log(`# Login benchmark\n\n${machine()}\n${ACCOUNTS} sandbox accounts; closed loop ${CONCURRENCY} at a time for ${SECONDS} s; paced ${RATE}/s for ${PACED_SECONDS} s\n`);
  const redis: TestRedis | undefined = await benchRedis();
  const sandbox = await forkServer<{ url: string }>(new URL('./login-server.ts', import.meta.url), ['sandbox'], { BENCH_ACCOUNTS: String(ACCOUNTS) });
  const rows: string[][] = [];
  const hopRows: string[][] = [];
  const diagRows: string[][] = [];
  const verdicts: string[] = [];
  try {
    for (const kind of ['memory', 'redis'] as const) {
      if (kind === 'redis' && !redis) continue;
      const bff: ChildServer<BffReady> = await forkServer<BffReady>(new URL('./login-server.ts', import.meta.url), ['bff'], {
        BENCH_PLATFORM_URL: sandbox.ready.url,
        BENCH_REDIS_URL: kind === 'redis' ? redis!.url : undefined,
      }, [
        ...(process.env.BENCH_BFF_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', `${process.env.BENCH_CPU_PROF}/${kind}`] : []),
      ]);
      try {
        if (kind === 'redis' && bff.ready.store === 'MemoryStore') {
          verdicts.push('Redis row not measured: the Redis session store has not landed');
          continue;
        }
        await sandbox.ask('register', { redirectUri: bff.ready.redirectUri, clientSecret: bff.ready.clientSecret });
        const site = bff.ready.url;
        await pool(200, 4, async (i) => void (await oneLogin(site, i)));
        const cpu0 = await bff.ask<{ cpu: NodeJS.CpuUsage }>('cpu');
        await sandbox.ask('timings'); // drop the warm-up's
        await bff.ask('clientTimings');
        const { samples: raw, achieved } = await paced(site, PACED_SECONDS);
        const cpu1 = await bff.ask<{ cpu: NodeJS.CpuUsage }>('cpu');
        const { timings, accessTokens } = await sandbox.ask<{ timings: Record<string, number>; accessTokens: Record<string, string> }>('timings');
        const { clientTimings, diagnostics } = await bff.ask<{ clientTimings: Record<string, number>; diagnostics?: Record<string, number> }>('clientTimings');
        if (diagnostics) {
          const d = diagnostics;
          diagRows.push([`ours, ${bff.ready.store}`, String(d.gcCount), `${fmt(d.gcP50)} / ${fmt(d.gcMax)}`, fmt(d.loopP99), String(d.storeCalls), `${fmt(d.storeP50)} / ${fmt(d.storeP99)} / ${fmt(d.storeP999)}`]);
        }
        const measured: Measured[] = raw.map((s) => {
          const platformMs = timings[s.code];
          if (platformMs === undefined) throw new Error(`no platform timing for code ${s.code}`);
          const clientMs = (clientTimings[`code:${s.code}`] ?? Number.NaN) + (clientTimings[`token:${accessTokens[s.code]}`] ?? Number.NaN);
          if (Number.isNaN(clientMs)) throw new Error(`no client-side platform timing for code ${s.code}`);
          return {
            bffMs: s.handlerMs - clientMs,
            loginHopMs: s.hopMs.login,
            callbackHopMs: s.hopMs.callback - clientMs,
            meHopMs: s.hopMs.me,
            bffUpperMs: s.handlerMs - platformMs, platformMs, totalMs: s.totalMs, sandboxHopsMs: s.sandboxHopsMs };
        });
        const hop = (key: keyof Measured) => `${fmt(percentile(measured.map((s) => s[key]), 50))} / ${fmt(percentile(measured.map((s) => s[key]), 99))}`;
        hopRows.push([`ours, ${bff.ready.store}`, hop('loginHopMs'), hop('callbackHopMs'), hop('meHopMs')]);
        const cpuPerLoginMs = (cpu1.cpu.user - cpu0.cpu.user + cpu1.cpu.system - cpu0.cpu.system) / 1000 / raw.length;
        const perSecond = await closedLoop(site, SECONDS);
        const p = (key: keyof Measured, q: number) => percentile(measured.map((s) => s[key]), q);
        rows.push([
          `ours, ${bff.ready.store}`,
          fmt(perSecond, 0),
          fmt(achieved, 1),
          fmt(p('bffMs', 50)),
          fmt(p('bffMs', 99)),
          fmt(p('bffUpperMs', 99)),
          fmt(cpuPerLoginMs),
          fmt(p('platformMs', 50)),
          fmt(p('sandboxHopsMs', 50)),
          fmt(p('totalMs', 50)),
          fmt(p('totalMs', 99)),
        ]);
        const p99 = p('bffMs', 99);
        verdicts.push(`target BFF-added p99 < 5 ms at ${RATE} logins/s (${bff.ready.store}): ${fmt(p99)} ms ${p99 < 5 ? 'MET' : 'MISSED'}`);
      } finally {
        await bff.stop();
      }
    }
    console.log(
      table(
        ['store', 'logins/s (closed loop)', `paced rate achieved /s`, 'BFF-added p50 ms', 'BFF-added p99 ms', 'upper bound p99 ms', 'BFF CPU ms/login', 'token+userinfo p50 ms', 'sandbox hops p50 ms', 'whole login p50 ms', 'whole login p99 ms'],
        rows,
      ),
    );
    console.log('\nBFF-added = Σ over /auth/login, /auth/callback, /auth/me of the handler time (BFF process) − the time of that login\'s token and getuserinfodetail calls as the BFF\'s HTTP client saw them.');
    console.log('upper bound = the same handler time − those calls\' time measured by a relay in front of the platform (loopback transfer and the platform process\'s queueing then count as the BFF\'s).');
    console.log(`\n${table(['BFF-added per hop, p50 / p99 ms', '/auth/login', '/auth/callback (minus platform calls)', '/auth/me'], hopRows)}`);
    console.log('whole login = client-observed, authorize page to /me, with the platform login form; sandbox hops = authorize + form POST.\n');
    if (diagRows.length > 0) {
      console.log(table(['BFF process while paced (BENCH_DIAG=1)', 'GC pauses', 'GC p50 / max ms', 'event-loop delay p99 ms', 'store calls', 'store call p50 / p99 / p99.9 ms'], diagRows));
      console.log('store call = one session-store method as the BFF awaits it (a Redis round trip plus any wait for the event loop).\n');
    }
    for (const line of verdicts) console.log(line);
  } finally {
    await sandbox.stop();
    await redis?.destroy();
  }
}

await main();
