/**
 * A bare host application for measurements: the platform sandbox and one Express app with only
 * the BFF mounted at /auth (no demo page, no extra middleware), on ephemeral loopback ports.
 *
 * Unlike `test/helpers/stack.ts` (the demo site), this lets a test choose the sandbox accounts,
 * put its own instrumentation in front of the BFF and reach the sandbox's fault switch.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { createBff, type Bff, type BffDependencies, type BffOptions } from '../../../bff/index.ts';
import { loadAccounts, loadClients, DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE } from '../../../demo/sandbox/data.ts';
import { startSandbox, type SandboxAccountInput } from '../../../demo/sandbox/app.ts';
import { TestBrowser, parseForm } from '../../helpers/browser.ts';

export type RunningSandbox = Awaited<ReturnType<typeof startSandbox>>;

/** Options every measurement uses: quiet, development mode, rate limits out of the way of load. */
export const LOAD_BFF_OPTIONS: BffOptions = {
  mode: 'development',
  logLevel: 'silent',
  rateLimitLogin: 100_000,
  rateLimitCallback: 100_000,
  rateLimitBind: 10_000,
};

export interface HostSettings {
  platformUrl: string;
  bffOptions?: BffOptions;
  bffDeps?: BffDependencies;
  env?: Record<string, string | undefined>;
  /** Middleware placed in front of the BFF (instrumentation). */
  before?: RequestHandler[];
}

export interface Host {
  /** The site origin with a trailing slash, e.g. http://localhost:41234/ */
  url: string;
  bff: Bff;
  server: Server;
  clientSecret: string;
  redirectUri: string;
  close(): Promise<void>;
}

/** The business system: listens first (port 0), then creates the BFF with the real redirect URI. */
export async function startHost({ platformUrl, bffOptions = {}, bffDeps = {}, env = {}, before = [] }: HostSettings): Promise<Host> {
  const server = createServer();
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}/`;
  const clientSecret = randomBytes(24).toString('base64url');
  const redirectUri = `${url}auth/callback`;
  // The user center opens a database; each host gets its own throw-away SQLite file.
  const dbFile = join(tmpdir(), `gdsl-load-${process.pid}-${port}.sqlite`);
  const bff = createBff(
    { ...LOAD_BFF_OPTIONS, platformUrl, clientId: 'demo-business-system', clientSecret, redirectUri, databaseUrl: `sqlite:${dbFile}`, ...bffOptions },
    env,
    bffDeps,
  );
  await bff.ready;
  const app = express();
  app.disable('x-powered-by');
  for (const handler of before) app.use(handler);
  app.use('/auth', bff);
  app.get('/', (_req, res) => {
    res.type('text').send('host page');
  });
  server.on('request', app);
  return {
    url,
    bff,
    server,
    clientSecret,
    redirectUri,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bff.close();
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(dbFile + suffix, { force: true });
    },
  };
}

/** The class name of the session store the BFF chose (`MemoryStore`, `RedisStore`, …). */
export function storeKind(bff: Bff): string {
  return (bff.sessions.store as object).constructor.name;
}

/** Registers the host in the sandbox with its redirect URI and secret (as `npm start` does). */
export async function registerHost(sandbox: RunningSandbox, host: { redirectUri: string; clientSecret: string }): Promise<void> {
  const clients = await loadClients(DEFAULT_CLIENTS_FILE);
  const template = clients[0]!;
  sandbox.sandbox.upsertClient({
    ...template,
    client_secret: host.clientSecret,
    homepage: { ...template.homepage, test: new URL('/', host.redirectUri).href },
    redirect_uris: { test: [host.redirectUri], production: template.redirect_uris.production },
  });
}

export interface Harness extends Host {
  sandbox: RunningSandbox;
  sandboxUrl: string;
}

/** Sandbox + host in this process. `accounts` defaults to the shipped demo accounts. */
export async function startHarness(
  settings: Omit<HostSettings, 'platformUrl'> & { accounts?: readonly SandboxAccountInput[]; platformUrl?: string; sandboxPort?: number } = {},
): Promise<Harness> {
  const clients = await loadClients(DEFAULT_CLIENTS_FILE);
  const accounts = settings.accounts ?? (await loadAccounts(DEFAULT_ACCOUNTS_FILE));
  const sandbox = await startSandbox({ clients, accounts, port: settings.sandboxPort ?? 0, host: '127.0.0.1' });
  const host = await startHost({ ...settings, platformUrl: settings.platformUrl ?? sandbox.url });
  await registerHost(sandbox, host);
  return {
    ...host,
    sandbox,
    sandboxUrl: sandbox.url,
    async close() {
      await host.close();
      await sandbox.close();
    },
  };
}

export interface LoginTiming {
  /** Final URL after the redirects back to the site. */
  url: string;
  /** Per hop: URL, status and client-observed milliseconds. */
  hops: { url: string; status: number; ms: number; serverTiming: string | null }[];
}

/**
 * One login without a browser: GET /auth/login → sandbox authorize (login page) → form POST →
 * code → /auth/callback → back on the site. Each hop is timed.
 */
export async function timedLogin(
  browser: TestBrowser,
  siteUrl: string,
  account: { account: string; password: string },
  returnTo = '/',
): Promise<LoginTiming> {
  const hops: LoginTiming['hops'] = [];
  const step = async (url: string, init: RequestInit = {}) => {
    const t0 = performance.now();
    const response = await browser.request(url, init);
    const body = await response.text();
    hops.push({ url, status: response.status, ms: performance.now() - t0, serverTiming: response.headers.get('server-timing') });
    return { response, body };
  };
  let url = new URL(`auth/login?returnTo=${encodeURIComponent(returnTo)}`, siteUrl).href;
  let { response, body } = await step(url);
  for (let i = 0; i < 10; i++) {
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).href;
      ({ response, body } = await step(url));
      continue;
    }
    if (response.status === 200 && /<form[^>]*action="\/oauth\/login\/password"/.test(body)) {
      const form = parseForm(body, url);
      form.fields.account = account.account;
      form.fields.password = account.password;
      ({ response, body } = await step(form.action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
        body: new URLSearchParams(form.fields),
      }));
      url = form.action;
      continue;
    }
    break;
  }
  return { url, hops };
}

/** GET /auth/me as JSON. */
export async function getMe(browser: TestBrowser, siteUrl: string): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const response = await browser.request(new URL('auth/me', siteUrl).href);
  const body = await response.json();
  return { status: response.status, body, ms: performance.now() - t0 };
}

/** POST /auth/logout, then the platform logout the BFF points to (unified logout, 7.1.1 d). */
export async function fullLogout(browser: TestBrowser, siteUrl: string): Promise<void> {
  const response = await browser.request(new URL('auth/logout', siteUrl).href, {
    method: 'POST',
    headers: { 'x-gd-login': '1', origin: new URL(siteUrl).origin },
  });
  if (response.status !== 200) throw new Error(`logout answered ${response.status}`);
  const { logoutUrl } = (await response.json()) as { logoutUrl: string };
  const { response: back } = await browser.follow(logoutUrl);
  await back.arrayBuffer();
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at a time. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export { TestBrowser };
