/**
 * The real stack for the attack suite: the platform sandbox, the BFF and the demo site on
 * ephemeral ports, like `startStack()`, plus the handles an attacker's test needs: one clock that
 * moves the BFF and the sandbox together, the BFF's log lines, every request the BFF made to the
 * platform, the sandbox's fault switch, and a host API route that calls the platform through
 * `bff.accessToken(req)`.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import { createBff, type Bff, type BffOptions } from '../../../bff/index.ts';
import { createLogger } from '../../../bff/logger.ts';
import { MemoryStore } from '../../../bff/session/memory-store.ts';
import type { Session } from '../../../bff/session/sessions.ts';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../../demo/sandbox/app.ts';
import { loadAccounts, loadClients, DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE } from '../../../demo/sandbox/data.ts';
import { createDemoSite } from '../../../demo/site/app.ts';
import { TestBrowser, parseForm } from '../../helpers/browser.ts';

export { TestBrowser };
export { login, me, logout } from '../../helpers/stack.ts';

export const COOKIE = '__Host-gdsl';
/** The business-system account the host's verifyLocalAccount hook accepts (for /bind). */
export const LOCAL_ACCOUNT = { username: 'local.user', password: 'Local@2026' };

/** Real time plus an offset that tests move forward. */
export class TestClock {
  #offset = 0;
  readonly now = (): number => Date.now() + this.#offset;
  advance(ms: number): void {
    this.#offset += ms;
  }
}

export interface SecureStackOptions {
  bffOptions?: BffOptions;
  sandbox?: Partial<SandboxOptions>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port on which nothing listens (for "connection refused"). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startSecureStack({ bffOptions = {}, sandbox: sandboxOptions = {} }: SecureStackOptions = {}) {
  const clock = new TestClock();
  const logs: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void logs.push(line) });

  const sandbox: Sandbox = createSandbox({
    clients: await loadClients(DEFAULT_CLIENTS_FILE),
    accounts: await loadAccounts(DEFAULT_ACCOUNTS_FILE),
    now: clock.now,
    ...sandboxOptions,
  });
  /** Method and URL of every request that reached the platform (the BFF's and the browser's). */
  const platformRequests: string[] = [];
  const platformServer = createServer((req, res) => {
    platformRequests.push(`${req.method} ${req.url}`);
    sandbox.app(req, res);
  });
  const sandboxUrl = `http://127.0.0.1:${await listen(platformServer)}`;

  const siteServer = createServer();
  const siteOrigin = `http://localhost:${await listen(siteServer)}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const redirectUri = `${siteOrigin}/auth/callback`;
  const template = sandbox.getClient('demo-business-system')!;
  sandbox.upsertClient({
    ...template,
    client_secret: clientSecret,
    homepage: { ...template.homepage, test: `${siteOrigin}/` },
    redirect_uris: { test: [redirectUri, `${siteOrigin}/elsewhere/callback`], production: template.redirect_uris.production },
  });

  const bff: Bff = createBff(
    {
      mode: 'development',
      platformUrl: sandboxUrl,
      clientId: 'demo-business-system',
      clientSecret,
      redirectUri,
      // The attack suite sends many logins from one IP; the rate-limit tests set their own limits.
      rateLimitLogin: 100_000,
      rateLimitCallback: 100_000,
      rateLimitBind: 10_000,
      // A user center of its own for each stack, never the shared default file.
      databaseUrl: 'sqlite::memory:',
      verifyLocalAccount: async (username, password) =>
        username === LOCAL_ACCOUNT.username && password === LOCAL_ACCOUNT.password ? { username, displayName: '本地账号' } : null,
      ...bffOptions,
    },
    {},
    { logger, now: clock.now, store: new MemoryStore({ maxEntries: 10_000, now: clock.now }) },
  );
  await bff.ready;

  const app = express();
  app.disable('x-powered-by');
  // Host code calling the platform for the user, as rule 12 intends it to be done.
  app.get('/api/platform-profile', bff.requireLogin(), async (req, res) => {
    try {
      const token = await bff.accessToken(req);
      const answer = await fetch(`${sandboxUrl}/oauth/getuserinfodetail`, { headers: { authorization: `Bearer ${token}` } });
      const detail = (await answer.json()) as { name?: string };
      res.status(answer.ok ? 200 : 502).json({ name: detail.name ?? null });
    } catch (error) {
      const e = error as { status?: number; code?: string };
      res.status(e.status ?? 500).json({ error: e.code ?? 'unexpected' });
    }
  });
  app.use(createDemoSite(bff));
  siteServer.on('request', app);

  return {
    url: `${siteOrigin}/`,
    siteOrigin,
    sandboxUrl,
    sandbox,
    bff,
    clientSecret,
    clock,
    logs,
    platformRequests,
    /** The server-side session behind a session cookie value (to find the tokens the page must never see). */
    async session(cookieValue: string): Promise<Session | undefined> {
      const key = `s:${createHash('sha256').update(cookieValue).digest('base64url')}`;
      return bff.sessions.store.get<Session>(key);
    },
    /** Parsed audit records from the log. */
    audits(): Array<Record<string, unknown>> {
      return logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.audit !== undefined);
    },
    async close() {
      siteServer.closeAllConnections();
      platformServer.closeAllConnections();
      await new Promise<void>((resolve) => siteServer.close(() => resolve()));
      await new Promise<void>((resolve) => platformServer.close(() => resolve()));
      await bff.close();
    },
  };
}

export type SecureStack = Awaited<ReturnType<typeof startSecureStack>>;

/** Absolute URL on the site. */
export function at(stack: SecureStack, path: string): string {
  return new URL(path, stack.url).href;
}

/** GET /auth/login without following: the state the BFF issued and the response. */
export async function startLogin(browser: TestBrowser, stack: SecureStack, query = ''): Promise<{ state: string; authorize: URL; response: Response }> {
  const response = await browser.request(at(stack, `/auth/login${query}`));
  assert.equal(response.status, 302);
  const authorize = new URL(response.headers.get('location')!);
  return { state: authorize.searchParams.get('state')!, authorize, response };
}

/** Follows a callback URL and returns the loginError code /me reports (or undefined on success). */
export async function callbackOutcome(browser: TestBrowser, stack: SecureStack, query: string): Promise<{ finalUrl: string; loginError: string | undefined; status: number }> {
  const { url } = await browser.follow(at(stack, `/auth/callback${query}`));
  const response = await browser.request(at(stack, '/auth/me?touch=0'));
  const body = (await response.json()) as { loginError?: { code: string } };
  return { finalUrl: url, loginError: body.loginError?.code, status: response.status };
}

/**
 * Every answer the tests get goes through here: a hostile request must be refused with a 4xx
 * (or the documented fallback), never a 5xx.
 */
export function assertNo5xx(response: Response, what: string): void {
  assert.ok(response.status < 500, `${what}: got ${response.status}`);
}

/**
 * Runs a login up to the moment the platform sends the browser back: returns the callback URL
 * (with `code` and `state`) without visiting it. Logs in on the platform's password form when
 * the browser has no platform session yet, else single sign-on answers at once (7.2.1 c).
 */
export async function callbackUrlFor(browser: TestBrowser, stack: SecureStack, { query = '', authorize, account = 'zhangwei' }: { query?: string; authorize?: URL; account?: string } = {}): Promise<string> {
  const start = authorize ?? (await startLogin(browser, stack, query)).authorize;
  const answer = await browser.request(start.href);
  if (answer.status === 302) return new URL(answer.headers.get('location')!, start).href;
  const form = parseForm(await answer.text(), start.href);
  form.fields.account = account;
  form.fields.password = 'Demo@2026';
  const posted = await browser.request(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(stack.sandboxUrl).origin },
    body: new URLSearchParams(form.fields),
  });
  assert.equal(posted.status, 302, 'the platform accepts the password form');
  return new URL(posted.headers.get('location')!, form.action).href;
}

/**
 * Sends raw bytes on a TCP connection and returns the status code of the answer: for requests a
 * well-behaved client (fetch) refuses to send, such as control characters in a header.
 */
export function rawRequest(stack: SecureStack, text: string): Promise<number> {
  const { hostname, port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port) }, () => socket.end(text));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      if (status) resolve(Number(status));
      else reject(new Error(`no HTTP answer: ${JSON.stringify(answer.slice(0, 80))}`));
    });
  });
}
