/**
 * The platform sandbox: a local stand-in of the Guangdong staff identity platform with the five
 * interfaces of Table 1, the Table 2 errors word for word, single sign-on, logout, faults on
 * demand and an injectable clock. See demo/sandbox/README.md.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import cookieParser from 'cookie-parser';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import {
  parseAccounts,
  parseClient,
  parseClients,
  type SandboxAccount,
  type SandboxAccountInput,
  type SandboxClient,
  type SandboxClientInput,
} from './data.ts';
import {
  AccountRegistry,
  ClientRegistry,
  baseUrl,
  securityHeaders,
  silentLogger,
  type SandboxContext,
  type SandboxLogger,
} from './context.ts';
import { FaultSwitch, faultMiddleware, type FaultSpec } from './faults.ts';
import { errorPage, simplePage } from './html.ts';
import { SandboxStore } from './store.ts';
import { adminRouter } from './routes/admin.ts';
import { authorizeRouter } from './routes/authorize.ts';
import { loginRouter } from './routes/login.ts';
import { logoutRouter } from './routes/logout.ts';
import { manageRouter } from './routes/manage.ts';
import { sendOAuthError, tokenRouter } from './routes/token.ts';
import { userinfoRouter } from './routes/userinfo.ts';

export type { SandboxAccount, SandboxClient, SandboxClientInput, SandboxAccountInput } from './data.ts';
export type { Fault, FaultSpec, SandboxInterface } from './faults.ts';
export { FaultSwitch } from './faults.ts';
export type { SandboxLogger } from './context.ts';

export interface SandboxOptions {
  /** Registered business systems (validated again here; `pkce` defaults to "optional"). */
  clients: readonly SandboxClientInput[];
  accounts: readonly SandboxAccountInput[];
  /** Authorization code lifetime. Default 300 (5 minutes). */
  codeTtlSeconds?: number;
  /** Access token lifetime, also `expires_in`. Default 7200 (2 hours). */
  accessTokenTtlSeconds?: number;
  /** Refresh token lifetime. Default 2592000 (30 days). */
  refreshTokenTtlSeconds?: number;
  /** Platform session (SSO) lifetime. Default 28800 (8 hours). */
  sessionTtlSeconds?: number;
  /** How long a login page, and its QR code, stays usable. Default 600 (10 minutes). */
  loginPageTtlSeconds?: number;
  /**
   * Refresh-token rotation: each refresh returns a new refresh token and the old one stops
   * working; reusing an old one revokes the whole grant (RFC 9700 §4.14.2). Default true.
   * With false the same refresh token is returned and stays valid until it expires.
   */
  rotateRefreshTokens?: boolean;
  /** The clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  faults?: readonly FaultSpec[];
  /** A pino logger or anything with info/warn/error(obj, msg). Default: silent. */
  logger?: SandboxLogger;
  /** External base URL used in the QR code (e.g. behind a proxy). Default: from the request's Host. */
  publicUrl?: string;
}

export interface SandboxClock {
  /** The sandbox's current time in ms (the injected clock plus any advance). */
  now(): number;
  /** Move the sandbox's time forward, e.g. past a code's expiry. */
  advance(ms: number): void;
  offsetMs(): number;
}

export interface Sandbox {
  app: express.Express;
  faults: FaultSwitch;
  clock: SandboxClock;
  /** Replace all registered clients. Throws SandboxDataError naming the bad entry. */
  setClients(clients: readonly SandboxClientInput[]): void;
  /** Add or replace one client by client_id (the demo overrides its entry from the environment). */
  upsertClient(client: SandboxClientInput): SandboxClient;
  removeClient(clientId: string): boolean;
  getClient(clientId: string): SandboxClient | undefined;
  listClients(): SandboxClient[];
  /** Replace all accounts (drops edits made on manage/userinfo). */
  setAccounts(accounts: readonly SandboxAccountInput[]): void;
  /** An account by userId or account name, with edits applied. */
  getAccount(userIdOrAccount: string): SandboxAccount | undefined;
  listAccounts(): SandboxAccount[];
  /** Forget every platform session, pending login, code and token. */
  resetState(): void;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

function seconds(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number of seconds (got ${String(value)})`);
  return v * 1000;
}

/** Paths whose errors are JSON; the rest are browser pages. */
const JSON_PATHS = /^\/(?:oauth\/token|oauth\/getuserinfodetail|oauth\/qr\/status|__sandbox|\.well-known)(?:\/|$)/;

export function createSandbox(options: SandboxOptions): Sandbox {
  let offset = 0;
  const baseNow = options.now ?? Date.now;
  const clock: SandboxClock = {
    now: () => baseNow() + offset,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance() needs a non-negative number of milliseconds');
      offset += ms;
    },
    offsetMs: () => offset,
  };
  const logger = options.logger ?? silentLogger;
  const faults = new FaultSwitch(options.faults ?? [], (iface, fault) =>
    logger.info({ event: 'fault_switched', interface: iface, fault: fault ?? null }, fault ? 'fault set' : 'fault cleared'),
  );
  const ctx: SandboxContext = {
    now: clock.now,
    clients: new ClientRegistry(parseClients(options.clients, 'options.clients')),
    accounts: new AccountRegistry(parseAccounts(options.accounts, 'options.accounts')),
    store: new SandboxStore(clock.now),
    faults,
    logger,
    codeTtlMs: seconds('codeTtlSeconds', options.codeTtlSeconds, 300),
    accessTokenTtlMs: seconds('accessTokenTtlSeconds', options.accessTokenTtlSeconds, 7200),
    refreshTokenTtlMs: seconds('refreshTokenTtlSeconds', options.refreshTokenTtlSeconds, 30 * 24 * 3600),
    sessionTtlMs: seconds('sessionTtlSeconds', options.sessionTtlSeconds, 8 * 3600),
    pendingTtlMs: seconds('loginPageTtlSeconds', options.loginPageTtlSeconds, 600),
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    publicUrl: options.publicUrl === undefined ? undefined : new URL(options.publicUrl).origin,
  };

  const app = express();
  app.disable('x-powered-by');
  // Repeated parameters arrive as arrays, so they can be refused (RFC 6749 §3.1).
  app.set('query parser', 'simple');
  app.use(cookieParser());
  app.use(
    '/static',
    express.static(PUBLIC_DIR, {
      index: false,
      maxAge: '1h',
      setHeaders: (res) => res.setHeader('X-Content-Type-Options', 'nosniff'),
    }),
  );

  // Faults go first, so they apply before any work on that interface.
  app.use('/oauth/authorize', faultMiddleware(faults, 'authorize', false));
  app.use('/oauth/token', faultMiddleware(faults, 'token', true));
  app.use('/oauth/getuserinfodetail', faultMiddleware(faults, 'userinfo', true));
  app.use('/manage/userinfo', faultMiddleware(faults, 'manage', false));
  app.use('/oauth/logout', faultMiddleware(faults, 'logout', false));

  app.use(adminRouter(ctx, clock));
  app.use(authorizeRouter(ctx));
  app.use(loginRouter(ctx));
  app.use(tokenRouter(ctx));
  app.use(userinfoRouter(ctx));
  app.use(manageRouter(ctx));
  app.use(logoutRouter(ctx));

  // RFC 8414 metadata, a sandbox convenience for generic OAuth clients (the real platform's is not public).
  app.get('/.well-known/oauth-authorization-server', (req, res) => {
    const base = baseUrl(ctx, req);
    res.json({
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      userinfo_endpoint: `${base}/oauth/getuserinfodetail`,
      end_session_endpoint: `${base}/oauth/logout`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256'],
    });
  });

  app.get('/', (_req, res) => {
    securityHeaders(res);
    res
      .type('html')
      .send(
        simplePage(
          '沙箱运行中',
          '接口：/oauth/authorize、/oauth/token、/oauth/getuserinfodetail、/manage/userinfo、/oauth/logout。请从业务系统发起登录。',
        ),
      );
  });

  app.use((req: Request, res: Response) => {
    if (JSON_PATHS.test(req.path)) {
      sendOAuthError(res, 404, 'not_found', `No such sandbox route: ${req.method} ${req.path}`);
      return;
    }
    securityHeaders(res);
    res.status(404).type('html').send(errorPage({ error: 'not_found', description: `No such page: ${req.path}` }));
  });

  // One edge for errors: malformed or oversized bodies are 4xx with a clear message; anything
  // else is a 500 without internals.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = error as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
    const clientError = status >= 400 && status < 500;
    if (!clientError) logger.error({ event: 'sandbox_error', path: req.path, err: String(e.message ?? error) }, 'unexpected error');
    if (res.headersSent) {
      res.end();
      return;
    }
    const description = !clientError
      ? 'Internal sandbox error'
      : e.type === 'entity.too.large'
        ? 'Request body too large (limit 16 kB)'
        : e.type === 'parameters.too.many'
          ? 'Too many parameters in the request body'
          : e.type === 'charset.unsupported' || e.type === 'encoding.unsupported'
            ? 'Unsupported charset or encoding of the request body'
            : 'Malformed request body';
    const code = clientError ? 'invalid_request' : 'server_error';
    if (JSON_PATHS.test(req.path)) {
      sendOAuthError(res, status, code, description);
      return;
    }
    securityHeaders(res);
    res.status(status).type('html').send(errorPage({ error: code, description }));
  });

  const resetState = () => {
    for (const map of [ctx.store.sessions, ctx.store.pending, ctx.store.qrTickets, ctx.store.codes, ctx.store.accessTokens, ctx.store.refreshTokens]) {
      (map as { deleteWhere(p: () => boolean): number }).deleteWhere(() => true);
    }
  };

  return {
    app,
    faults,
    clock,
    setClients: (clients) => ctx.clients.set(parseClients(clients, 'clients')),
    upsertClient: (client) => {
      const parsed = parseClient(client, `client ${JSON.stringify((client as { client_id?: unknown }).client_id ?? '?')}`);
      ctx.clients.upsert(parsed);
      return parsed;
    },
    removeClient: (clientId) => ctx.clients.remove(clientId),
    getClient: (clientId) => ctx.clients.get(clientId),
    listClients: () => ctx.clients.all(),
    setAccounts: (accounts) => ctx.accounts.set(parseAccounts(accounts, 'accounts')),
    getAccount: (key) => ctx.accounts.get(key) ?? ctx.accounts.all().find((a) => a.account.toLowerCase() === key.toLowerCase()),
    listAccounts: () => ctx.accounts.all(),
    resetState,
  };
}

export interface StartSandboxOptions extends SandboxOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Serve over https (node:https) on the same routes, with this certificate and key (PEM text).
   * The platform's cookies are then Secure. Default: plain http.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface RunningSandbox {
  /** Base URL, e.g. http://127.0.0.1:4100 or https://127.0.0.1:4100 with `tls` (no trailing slash). */
  url: string;
  sandbox: Sandbox;
  /** A node:http server, or a node:https one (a subclass of tls.Server) with `tls`. */
  server: Server;
  /** Stop listening and drop open keep-alive connections, so tests end at once. */
  close(): Promise<void>;
}

export async function startSandbox(options: StartSandboxOptions): Promise<RunningSandbox> {
  const sandbox = createSandbox(options);
  // Express sees the TLS socket (req.secure), so cookieOptions() marks the platform's cookies Secure.
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, sandbox.app)
    : createServer(sandbox.app);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard address is not somewhere to send a browser; loopback reaches it.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const urlHost = shown.includes(':') ? `[${shown}]` : shown;
  return {
    url: `${options.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    sandbox,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
