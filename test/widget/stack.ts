/**
 * The real stack behind the widget tests: the platform sandbox (on 127.0.0.1, its own host, as in
 * production) and the BFF, mounted at `/auth` on the web-test-runner dev server's own origin
 * (http://localhost:PORT), so the widget's fetches are same-origin exactly as on a business
 * system. Nothing of ours is mocked; the only extras are transport failures the widget must
 * survive (`/down/*` hangs up, `/broken/*` is a proxy's HTML 502) and a slow path for `checking`.
 *
 * Browser tests drive it through server commands (see `commands`):
 * - `gd-login`: logs a browser in server-side (GET /auth/login, the sandbox's own form, back to
 *   /auth/callback) and installs the resulting cookies into the test page's browser context;
 * - `gd-clock`: moves the BFF's clock forward (sessions expire for real, without sleeping).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { createBff } from '../../bff/index.ts';
import { startSandbox } from '../../demo/sandbox/app.ts';
import { DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE, loadAccounts, loadClients } from '../../demo/sandbox/data.ts';
import { verifyDemoLocalAccount } from '../../demo/site/local-accounts.ts';
import { TestBrowser, parseForm } from '../helpers/browser.ts';

/** The part of a web-test-runner command context this harness uses. */
interface CommandContext {
  command: string;
  payload: unknown;
  session: { id: string; browser: { getPage?(id: string): unknown } };
}

interface PlaywrightPage {
  context(): { addCookies(cookies: object[]): Promise<void>; clearCookies(): Promise<void> };
}

export interface LoginPayload {
  /** The URL the widget asked to navigate to (`{base}/login?returnTo=…`); default `/auth/login`. */
  start?: string;
  account?: string;
  password?: string;
  /** Replace the authorization code on the way back (the platform then answers Table 2's "Invalid authorization code"). */
  tamperCode?: boolean;
}

export interface LoginResult {
  /** Where the flow ended on the site (the `returnTo`). */
  landedOn: string;
  cookies: string[];
}

/** A free TCP port on localhost, for the dev server (the BFF's redirect_uri must name it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, 'localhost', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export async function startWidgetStack() {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const clientId = 'widget-tests';
  const clientSecret = randomBytes(24).toString('base64url');
  const redirectUri = `${origin}/auth/callback`;

  const clients = await loadClients(DEFAULT_CLIENTS_FILE);
  const accounts = await loadAccounts(DEFAULT_ACCOUNTS_FILE);
  const sandbox = await startSandbox({ clients, accounts, host: '127.0.0.1', port: 0 });
  const template = clients[0]!;
  sandbox.sandbox.upsertClient({
    ...template,
    client_id: clientId,
    client_secret: clientSecret,
    homepage: { ...template.homepage, test: `${origin}/` },
    redirect_uris: { test: [redirectUri], production: template.redirect_uris.production },
  });

  let clockOffset = 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'gdsl-widget-'));
  const bff = createBff(
    {
      mode: 'development',
      logLevel: 'silent',
      platformUrl: sandbox.url,
      clientId,
      clientSecret,
      redirectUri,
      postLogoutRedirectUri: `${origin}/`,
      databaseUrl: `sqlite:${join(dataDir, 'users.db')}`,
      verifyLocalAccount: verifyDemoLocalAccount,
      rateLimitLogin: 10_000,
      rateLimitCallback: 10_000,
      rateLimitBind: 10_000,
    },
    {},
    { now: () => Date.now() + clockOffset },
  );
  await bff.ready;

  const app = express();
  app.use('/auth', bff);
  // Same BFF, answered late: lets a test see the `checking` state for sure.
  app.use('/slow/auth', (_req, _res, next) => void setTimeout(next, 600), bff);

  /** Koa middleware for the dev server: hands `/auth`-like paths to the Express app. */
  async function middleware(
    ctx: { path: string; req: IncomingMessage; res: ServerResponse; respond?: boolean; status: number; type: string; body: unknown },
    next: () => Promise<unknown>,
  ): Promise<unknown> {
    if (ctx.path.startsWith('/down/')) {
      // A BFF that cannot be reached: the connection drops, fetch rejects.
      ctx.req.socket.destroy();
      ctx.respond = false;
      return;
    }
    if (ctx.path.startsWith('/broken/')) {
      // A reverse proxy in front of a dead BFF: an HTML 502, not the BFF's JSON.
      ctx.status = 502;
      ctx.type = 'text/html';
      ctx.body = '<html><body><h1>502 Bad Gateway</h1></body></html>';
      return;
    }
    if (!/^\/(slow\/)?auth(\/|$)/.test(ctx.path)) return next();
    ctx.respond = false;
    // Koa starts every response as 404; Express expects Node's default 200.
    ctx.res.statusCode = 200;
    await new Promise<void>((resolve) => {
      ctx.res.once('close', resolve);
      ctx.res.once('finish', resolve);
      app(ctx.req as express.Request, ctx.res as express.Response);
    });
  }

  /** The sandbox's login form, filled and posted like a person would; then back to the site. */
  async function login(payload: LoginPayload): Promise<{ browser: TestBrowser; result: LoginResult }> {
    const browser = new TestBrowser();
    const start = new URL(payload.start ?? '/auth/login', origin).href;
    const toForm = await browser.follow(start);
    if (!toForm.url.startsWith(sandbox.url)) throw new Error(`expected the sandbox login form, ended on ${toForm.url} (${toForm.response.status})`);
    const form = parseForm(await toForm.response.text(), toForm.url);
    form.fields.account = payload.account ?? 'zhangwei';
    form.fields.password = payload.password ?? 'Demo@2026';
    const posted = await browser.request(form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(sandbox.url).origin },
      body: new URLSearchParams(form.fields),
    });
    const location = posted.headers.get('location');
    if (!location) throw new Error(`the sandbox did not accept the login (${posted.status})`);
    const callback = new URL(location, form.action);
    if (!callback.href.startsWith(redirectUri)) throw new Error(`expected a redirect to ${redirectUri}, got ${callback.href}`);
    if (payload.tamperCode) callback.searchParams.set('code', 'not-a-code-the-platform-issued');
    const back = await browser.follow(callback.href);
    const cookies = [...(browser.cookies.get('localhost') ?? new Map<string, string>()).keys()];
    return { browser, result: { landedOn: back.url.replace(origin, ''), cookies } };
  }

  async function close(): Promise<void> {
    await bff.close();
    await sandbox.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const commands = {
    name: 'gd-staff-login-stack',
    serverStop: close,
    async executeCommand({ command, payload, session }: CommandContext): Promise<unknown> {
      if (command === 'gd-login') {
        const { browser, result } = await login((payload ?? {}) as LoginPayload);
        const page = session.browser.getPage?.(session.id) as PlaywrightPage | undefined;
        if (!page) throw new Error('gd-login needs the Playwright launcher');
        const jar = browser.cookies.get('localhost') ?? new Map<string, string>();
        await page.context().addCookies(
          [...jar].map(([name, value]) => ({
            name,
            value,
            // domain + path, not url: with an http url Playwright refuses a __Host- cookie.
            domain: 'localhost',
            path: '/',
            httpOnly: true,
            sameSite: 'Lax',
            // __Host-/__Secure- cookies must be Secure; Chromium keeps Secure cookies on http://localhost.
            secure: /^__(Host|Secure)-/.test(name),
          })),
        );
        return result;
      }
      if (command === 'gd-clear-cookies') {
        const page = session.browser.getPage?.(session.id) as PlaywrightPage | undefined;
        await page?.context().clearCookies();
        return true;
      }
      if (command === 'gd-clock') {
        clockOffset += Number((payload as { advanceMs?: number } | undefined)?.advanceMs ?? 0);
        return clockOffset;
      }
      return undefined;
    },
  };

  return {
    port,
    origin,
    sandboxUrl: sandbox.url,
    middleware,
    commands,
    close,
  };
}
