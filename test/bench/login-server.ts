/**
 * Processes for `login.ts`: argv[2] is `sandbox` (the platform) or `bff` (the business system
 * with the BFF). Each in its own process, so the BFF's time is not mixed with the platform's.
 *
 * Nothing is added to the product to measure it:
 * - the BFF process puts a middleware in front of the BFF that answers
 *   `Server-Timing: handler;dur=…` (the time from the request to the response head);
 * - the sandbox process puts a timing relay in front of the sandbox (the BFF's platform URL):
 *   it files the time of each token and getuserinfodetail call under the login's authorization
 *   code (the token request carries the code, its answer the access token, getuserinfodetail the
 *   access token again); the parent asks for these with `{ timings: true }`.
 * The BFF's added time for a login is then its handlers' time minus the platform's time for that
 * code; loopback transfer and the BFF's HTTP client work count as the BFF's (an upper bound).
 */
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  const target = new URL(sandbox.url);
  const agent = new Agent({ keepAlive: true });
  const platformMsByCode = new Map<string, number>();
  const codeByAccessToken = new Map<string, string>();
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
              if (token) codeByAccessToken.set(token, code);
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
      process.send!({ timings: Object.fromEntries(platformMsByCode) });
      platformMsByCode.clear();
    }
    if (!message.register) return;
    await registerHost(sandbox, message);
    process.send!({ register: 'done' });
  });
  answerCpu();
  process.send!({ ready: { url: `http://127.0.0.1:${(relay.address() as AddressInfo).port}` } });
}

async function bffRole() {
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
  answerCpu();
  process.send!({ ready: { url: host.url, redirectUri: host.redirectUri, clientSecret: host.clientSecret, store: storeKind(host.bff) } });
}

(role === 'sandbox' ? sandboxRole() : bffRole()).catch((error: unknown) => {
  process.send!({ failed: String((error as Error).stack ?? error) });
  process.exit(1);
});
