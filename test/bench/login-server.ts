/**
 * Processes for `login.ts`: argv[2] is `sandbox` (the platform) or `bff` (the business system
 * with the BFF). Each in its own process, so the BFF's time is not mixed with the platform's.
 *
 * Nothing is added to the product to measure it:
 * - the BFF process puts a middleware in front of the BFF that answers
 *   `Server-Timing: handler;dur=…` (the time from the request to the response head), and times
 *   its platform calls as its HTTP client sees them, from creating the request to the end of the
 *   answer (undici's diagnostics channels; no AsyncLocalStorage, whose promise hooks would slow
 *   the BFF down), filed under the code (token) or the access token (getuserinfodetail);
 * - the sandbox process puts a timing relay in front of the sandbox (the BFF's platform URL):
 *   it files the time of each token and getuserinfodetail call under the login's authorization
 *   code (the token request carries the code, its answer the access token, getuserinfodetail the
 *   access token again); the parent asks for these, and which access token went with which code,
 *   with `{ timings: true }`.
 * The BFF's added time for a login is its handlers' time minus its platform calls' time as its
 * client saw them. Minus the relay's time instead gives an upper bound: then the loopback
 * transfer and any wait in the platform process's queue count as the BFF's too.
 */
import { subscribe } from 'node:diagnostics_channel';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import { startSandbox } from '../../demo/sandbox/app.ts';
import { loadClients, DEFAULT_CLIENTS_FILE } from '../../demo/sandbox/data.ts';
import { makeAccounts } from './lib/accounts.ts';
import { registerHost, startHost, storeKind } from './lib/harness.ts';
import type { SessionStore } from '../../bff/session/store.ts';
import { percentile } from './lib/stats.ts';

const role = process.argv[2];

function answerCpu() {
  process.on('message', (message: { cpu?: true; exit?: true; register?: true; redirectUri?: string; clientSecret?: string }) => {
    if (message.cpu) process.send!({ cpu: process.cpuUsage() });
    if (message.exit) process.exit(0);
  });
}

async function sandboxRole() {
  const accounts = makeAccounts(Number(process.env.BENCH_ACCOUNTS ?? 1000), 'bench');
  const sandbox = await startSandbox({ clients: await loadClients(DEFAULT_CLIENTS_FILE), accounts, host: '127.0.0.1' });
  sandbox.server.keepAliveTimeout = 30_000;
  const target = new URL(sandbox.url);
  const agent = new Agent({ keepAlive: true });
  const platformMsByCode = new Map<string, number>();
  const codeByAccessToken = new Map<string, string>();
  const accessTokenByCode = new Map<string, string>();
  const relay = createServer((req, res) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const isToken = req.url?.startsWith('/oauth/token') ?? false;
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const code = isToken ? (new URLSearchParams(body.toString()).get('code') ?? undefined) : bearer ? codeByAccessToken.get(bearer) : undefined;
      const upstream = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const out: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          out.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          res.end();
          if (code === undefined) return;
          platformMsByCode.set(code, (platformMsByCode.get(code) ?? 0) + performance.now() - t0);
          if (isToken) {
            try {
              const token = (JSON.parse(Buffer.concat(out).toString()) as { access_token?: string }).access_token;
              if (token) {
                codeByAccessToken.set(token, code);
                accessTokenByCode.set(code, token);
              }
            } catch {
              // not JSON: that login fails
            }
          } else if (bearer) {
            codeByAccessToken.delete(bearer);
          }
        });
      });
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  relay.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
  process.on('message', async (message: { register?: true; timings?: true; redirectUri: string; clientSecret: string }) => {
    if (message.timings) {
      process.send!({ timings: Object.fromEntries(platformMsByCode), accessTokens: Object.fromEntries(accessTokenByCode) });
      platformMsByCode.clear();
      accessTokenByCode.clear();
    }
    if (!message.register) return;
    await registerHost(sandbox, message);
    process.send!({ register: 'done' });
  });
  answerCpu();
  process.send!({ ready: { url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` } });
}

/**
 * The BFF's platform calls as its HTTP client sees them (undici's diagnostics channels): the time
 * from creating the request to the end of the answer, filed under `code:…` (token: the form body
 * carries the code) or `token:…` (getuserinfodetail: the bearer access token).
 */
function platformCallTimer() {
  const open = new WeakMap<object, { t0: number; key: string }>();
  const msByKey = new Map<string, number>();
  const keyOf = (request: { body?: unknown; headers?: unknown }): string | undefined => {
    const code = Buffer.isBuffer(request.body) ? new URLSearchParams(request.body.toString()).get('code') : null;
    if (code) return `code:${code}`;
    const headers = Array.isArray(request.headers) ? (request.headers as string[]) : [];
    const at = headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'authorization');
    const bearer = at >= 0 ? /^Bearer (.+)$/.exec(headers[at + 1] ?? '')?.[1] : undefined;
    return bearer ? `token:${bearer}` : undefined;
  };
  subscribe('undici:request:create', (message) => {
    const request = (message as { request: { body?: unknown; headers?: unknown } }).request;
    const key = keyOf(request);
    if (key) open.set(request, { t0: performance.now(), key });
  });
  const end = (message: unknown) => {
    const request = (message as { request: object }).request;
    const call = open.get(request);
    if (!call) return;
    open.delete(request);
    msByKey.set(call.key, (msByKey.get(call.key) ?? 0) + performance.now() - call.t0);
  };
  subscribe('undici:request:trailers', end);
  subscribe('undici:request:error', end);
  return {
    take(): Record<string, number> {
      const out = Object.fromEntries(msByKey);
      msByKey.clear();
      return out;
    },
  };
}

/**
 * BENCH_DIAG=1: what can hold a login up inside the BFF process: GC pauses, event-loop delay,
 * and each session-store call as the BFF awaits it (the store's methods wrapped here).
 */
function bffDiagnostics(store: SessionStore) {
  const gcMs: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs.push(entry.duration);
  }).observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const storeMs: number[] = [];
  const methods = store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['get', 'set', 'take', 'delete']) {
    const original = methods[name]!.bind(store);
    methods[name] = async (...args) => {
      const t0 = performance.now();
      try {
        return await original(...args);
      } finally {
        storeMs.push(performance.now() - t0);
      }
    };
  }
  return {
    take() {
      const out = {
        gcCount: gcMs.length,
        gcP50: percentile(gcMs, 50),
        gcMax: Math.max(...gcMs),
        // The histogram counts from the 1 ms resolution tick: subtract it to get the delay.
        loopP99: loop.percentile(99) / 1e6 - 1,
        storeCalls: storeMs.length,
        storeP50: percentile(storeMs, 50),
        storeP99: percentile(storeMs, 99),
        storeP999: percentile(storeMs, 99.9),
      };
      gcMs.length = 0;
      storeMs.length = 0;
      loop.reset();
      return out;
    },
  };
}

async function bffRole() {
  const platformCalls = platformCallTimer();
  let diagnostics: ReturnType<typeof bffDiagnostics> | undefined;
  process.on('message', (message: { clientTimings?: true }) => {
    if (message.clientTimings) process.send!({ clientTimings: platformCalls.take(), diagnostics: diagnostics?.take() });
  });
  const serverTiming: RequestHandler = (_req, res, next) => {
    const t0 = performance.now();
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
      this.setHeader('Server-Timing', `handler;dur=${(performance.now() - t0).toFixed(3)}`);
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  };
  const redisUrl = process.env.BENCH_REDIS_URL;
  const host = await startHost({ platformUrl: process.env.BENCH_PLATFORM_URL!, bffOptions: redisUrl ? { redisUrl } : {}, before: [serverTiming] });
  host.server.keepAliveTimeout = 30_000;
  if (process.env.BENCH_DIAG === '1') diagnostics = bffDiagnostics(host.bff.sessions.store);
  answerCpu();
  process.send!({ ready: { url: host.url, redirectUri: host.redirectUri, clientSecret: host.clientSecret, store: storeKind(host.bff) } });
}

(role === 'sandbox' ? sandboxRole() : bffRole()).catch((error: unknown) => {
  process.send!({ failed: String((error as Error).stack ?? error) });
  process.exit(1);
});
