/**
 * Processes for `login.ts`: argv[2] is `sandbox` (the platform) or `bff` (the business system
 * with the BFF). Each in its own process, so the BFF's time is not mixed with the platform's.
 *
 * The BFF process measures itself without touching the product: a middleware in front of the
 * BFF opens an AsyncLocalStorage context per request, a wrapper around the global `fetch` (what
 * the BFF calls the platform with) adds the time of each platform call, body included, to that
 * context, and the response carries `Server-Timing: bff;dur=…, platform;dur=…`, where `bff` is
 * the handler's time minus its platform calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandler } from 'express';
import { startSandbox } from '../../demo/sandbox/app.ts';
import { loadClients, DEFAULT_CLIENTS_FILE } from '../../demo/sandbox/data.ts';
import { makeAccounts } from './lib/accounts.ts';
import { registerHost, startHost, storeKind } from './lib/harness.ts';

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
  process.on('message', async (message: { register?: true; redirectUri: string; clientSecret: string }) => {
    if (!message.register) return;
    await registerHost(sandbox, message);
    process.send!({ register: 'done' });
  });
  answerCpu();
  process.send!({ ready: { url: sandbox.url } });
}

async function bffRole() {
  const timing = new AsyncLocalStorage<{ platformMs: number }>();
  const realFetch = globalThis.fetch;
  globalThis.fetch = async function timedFetch(input, init) {
    const context = timing.getStore();
    const t0 = performance.now();
    try {
      const response = await realFetch(input, init);
      // Read the body here so that its transfer counts as platform time too.
      const body = await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } finally {
      if (context) context.platformMs += performance.now() - t0;
    }
  };
  const serverTiming: RequestHandler = (_req, res, next) => {
    const context = { platformMs: 0 };
    const t0 = performance.now();
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
      const total = performance.now() - t0;
      this.setHeader('Server-Timing', `bff;dur=${(total - context.platformMs).toFixed(3)}, platform;dur=${context.platformMs.toFixed(3)}`);
      return writeHead.apply(this, args);
    } as typeof writeHead;
    timing.run(context, next);
  };
  const redisUrl = process.env.BENCH_REDIS_URL;
  const host = await startHost({ platformUrl: process.env.BENCH_PLATFORM_URL!, bffOptions: redisUrl ? { redisUrl } : {}, before: [serverTiming] });
  host.server.keepAliveTimeout = 30_000;
  answerCpu();
  process.send!({ ready: { url: host.url, redirectUri: host.redirectUri, clientSecret: host.clientSecret, store: storeKind(host.bff) } });
}

(role === 'sandbox' ? sandboxRole() : bffRole()).catch((error: unknown) => {
  process.send!({ failed: String((error as Error).stack ?? error) });
  process.exit(1);
});
