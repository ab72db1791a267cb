/**
 * `createBff(options)`: the backend-for-frontend as an Express Router to mount at `/auth`.
 *
 * The browser only ever holds an opaque session cookie; the code exchange, the tokens and the
 * client_secret stay here (Appendix B, check 1).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import { resolveConfig, type BffConfig, type BffOptions, type LocalAccount } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { BffError } from './errors.ts';
import { errorBody, errorEdge, requireSameOriginPost, sendError, sendJson, toBffError } from './http-edge.ts';
import { buildLogoutUrl, buildManageUrl } from './platform.ts';
import { callbackHandler, loginHandler } from './login-flow.ts';
import { bindRoutes, syncLocalAccount } from './bind.ts';
import { UserCenter } from './users/user-center.ts';
import { accessTokenGetter } from './access-token.ts';
import { Audit } from './audit.ts';
import { createSessionStore } from './session/create-store.ts';
import type { SessionStore } from './session/store.ts';
import { Sessions, type ActiveSession, type SessionUser } from './session/sessions.ts';

export type { BffOptions, BffConfig, LocalAccount, SessionUser };
export { ConfigError } from './config.ts';
export { UserCenter, type StoredUser, type Binding, type StoredAuditEvent } from './users/user-center.ts';
export { BffError } from './errors.ts';
export { ERROR_CODES, type ErrorCode } from './error-codes.ts';

/** What `requireLogin()` puts on the request for the host application. */
export interface GdStaffRequestInfo {
  user: SessionUser;
  localAccount: LocalAccount | null;
}

declare global {
  namespace Express {
    interface Request {
      /** The logged-in staff member, set by `requireLogin()`. */
      gdStaff?: GdStaffRequestInfo;
    }
  }
}

export interface Bff extends Router {
  readonly config: BffConfig;
  readonly sessions: Sessions;
  readonly audit: Audit;
  readonly logger: Logger;
  /**
   * The local user center (clause 5.2): `await bff.users.getUser(platformUserId)` for the host's
   * own authorization; bindings; stored audit events.
   */
  readonly users: UserCenter;
  /** Resolves when the stores are ready (migrations run, Redis connected). */
  readonly ready: Promise<void>;
  /**
   * Middleware for the host application's own routes: sets `req.gdStaff`, or answers 401
   * (JSON) / redirects to the login (page navigation).
   */
  requireLogin(): RequestHandler;
  /** Like `requireLogin()` but never blocks: sets `req.gdStaff` when someone is logged in. */
  loadUser(): RequestHandler;
  /**
   * The platform access token of the request's session, for host code that calls the platform
   * for the user; refreshed first when it has expired. Rejects with a `BffError`
   * (`not_authenticated`, `session_expired` when the platform refused the refresh and the
   * session was ended, or a `platform_*` code when the platform could not be reached).
   */
  accessToken(req: Request): Promise<string>;
  /** Closes the stores (for tests and graceful shutdown). */
  close(): Promise<void>;
}

export interface BffDependencies {
  logger?: Logger;
  store?: SessionStore;
  /** A user center opened by the caller (it stays open on `close()`); default: one on `DATABASE_URL`. */
  users?: UserCenter;
  /** The clock in epoch ms for sessions, login transactions and token expiry (tests move it). */
  now?: () => number;
}

/** ASCII-safe header value for non-ASCII names (RFC 8187 style percent-encoding of UTF-8). */
function headerValue(value: string | undefined): string {
  return value === undefined ? '' : encodeURIComponent(value);
}

export function createBff(options: BffOptions = {}, env: Record<string, string | undefined> = process.env, deps: BffDependencies = {}): Bff {
  const config = resolveConfig(options, env);
  const logger = deps.logger ?? createLogger(config.logLevel);
  // Redis when REDIS_URL is set, else the in-memory store. `storeReady` never rejects: with Redis
  // down at start the BFF still starts, answers 503, and recovers when Redis comes back.
  const { store, ready: storeReady } = deps.store ? { store: deps.store, ready: Promise.resolve() } : createSessionStore(config, logger);
  const sessions = new Sessions(config, store, deps.now);
  const audit = new Audit(logger);
  const users = deps.users ?? new UserCenter({ databaseUrl: config.databaseUrl, userFields: config.userFields, auditRetentionDays: config.auditRetentionDays, logger });
  audit.addSink(users.auditSink);
  // Logged here for hosts that never await `bff.ready`; /readyz then reports database_unavailable.
  users.ready.catch((error: unknown) => logger.error({ err: error }, 'user center database failed to start'));
  const flow = { config, sessions, audit, logger, users };
  const ready = Promise.all([storeReady, users.ready]).then(() => undefined);
  ready.catch(() => {}); // rejects for whoever awaits it; never an unhandled rejection
  const mountPath = config.redirectUri.pathname.replace(/\/callback$/, '');

  const router = express.Router();

  const securityHeaders = helmet({
    // The BFF serves no documents of its own except the error page, which sets its own CSP.
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
    // The callback URL carries the code: never leak it in a Referer (RFC 9700 4.2.4).
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
  const parseCookies = cookieParser();
  // What every /auth request needs first, in one router layer (each layer is a cost on every request).
  router.use(function gdRequestSetup(req, res, next) {
    // Personal data and one-time redirects: no cache may keep them (RFC 9111 5.2.2.5). `Pragma`
    // is not sent: RFC 9111 deprecates it and every cache since HTTP/1.1 obeys Cache-Control.
    res.setHeader('Cache-Control', 'no-store');
    // RFC 6797 7.2: only over HTTPS (directly, or behind a trusted proxy that says so).
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    securityHeaders(req, res, (error?: unknown) => (error ? next(error) : parseCookies(req, res, next)));
  });

  const limiter = (limit: number, keyGenerator?: (req: Request, res: Response) => string): RequestHandler =>
    rateLimit({
      ...(keyGenerator ? { keyGenerator } : {}),
      windowMs: config.rateLimits.windowMs,
      limit,
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      validate: { xForwardedForHeader: false },
      handler(req, res) {
        const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : Math.ceil(config.rateLimits.windowMs / 1000);
        res.setHeader('Retry-After', String(seconds));
        sendError(req, res, new BffError('rate_limited'));
      },
    });

  const methodNotAllowed: RequestHandler = (_req, _res, next) => next(new BffError('method_not_allowed'));
  const stateChanging = requireSameOriginPost(config.siteOrigin);

  router.route('/login').get(limiter(config.rateLimits.login), loginHandler(flow)).all(methodNotAllowed);
  router.route('/callback').get(limiter(config.rateLimits.callback), callbackHandler(flow)).all(methodNotAllowed);

  router
    .route('/me')
    .get(async function gdMe(req, res) {
      // `touch=0`: a poll must not keep an idle session alive (MLPS idle timeout).
      const found = await sessions.lookup(req, req.query.touch !== '0');
      if (found.status === 'active') {
        await syncLocalAccount(users, sessions, found.active, logger);
        sendJson(res, 200, meBody(found.active));
        return;
      }
      if (found.status === 'expired' && found.session) await audit.record(req, 'session_expired', 'success', found.session.user.id);
      const loginError = await sessions.takeLoginError(req);
      const code = found.status === 'expired' ? 'session_expired' : 'not_authenticated';
      const { message, error_description } = loginError ? errorBody(loginError) : {};
      sendJson(res, 401, { ...errorBody(code), ...(loginError ? { loginError: { code: loginError, error_description, message } } : {}) });
    })
    .all(methodNotAllowed);

  router.all('/logout', stateChanging, async function gdLogout(req, res) {
    const found = await sessions.lookup(req, false);
    await sessions.destroy(req, res);
    if (found.status === 'active') await audit.record(req, 'logout', 'success', found.active.session.user.id);
    // Unified logout (clause 5.3, 7.1.1 d): the browser must visit the platform logout itself.
    sendJson(res, 200, { logoutUrl: buildLogoutUrl(config).href });
  });

  router
    .route('/manage')
    .get(async function gdManage(req, res) {
      const found = await sessions.lookup(req);
      if (found.status !== 'active') throw new BffError(found.status === 'expired' ? 'session_expired' : 'not_authenticated');
      res.redirect(302, buildManageUrl(config).href);
    })
    .all(methodNotAllowed);

  router
    .route('/verify')
    .get(async function gdVerify(req, res) {
      const found = await sessions.lookup(req);
      if (found.status !== 'active') {
        res.status(401).end();
        return;
      }
      const { user, localAccount } = found.active.session;
      res.setHeader('X-GD-User-Id', headerValue(user.id));
      res.setHeader('X-GD-User-Name', headerValue(user.name));
      res.setHeader('X-GD-User-Account', headerValue(user.account));
      res.setHeader('X-GD-User-Org', headerValue(user.org));
      if (localAccount) res.setHeader('X-GD-Local-User', headerValue(localAccount.username));
      res.status(204).end();
    })
    .all(methodNotAllowed);

  router.get('/healthz', (_req, res) => {
    sendJson(res, 200, { status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
    } catch (error) {
      sendJson(res, 503, { status: 'unavailable', error: 'store_unavailable', error_description: (error as Error).message });
      return;
    }
    try {
      await users.ping();
      sendJson(res, 200, { status: 'ready' });
    } catch (error) {
      sendJson(res, 503, { status: 'unavailable', error: 'database_unavailable', error_description: (error as Error).message });
    }
  });

  router.use(bindRoutes({ config, sessions, audit, users, logger, stateChanging, limiter }));

  router.use((_req, _res, next) => next(new BffError('not_found')));
  router.use(errorEdge(logger));

  function meBody(active: ActiveSession) {
    const { user, localAccount } = active.session;
    return {
      user,
      bound: localAccount !== null,
      localAccount,
      binding: config.verifyLocalAccount !== undefined,
      expiresAt: new Date(active.expiresAt).toISOString(),
      idleExpiresAt: new Date(active.idleExpiresAt).toISOString(),
    };
  }

  /** Reads the session for a host route; `required` decides what happens without one. */
  function sessionMiddleware(required: boolean): RequestHandler {
    const parseCookies = cookieParser();
    return function gdSession(req, res, next) {
      parseCookies(req, res, async () => {
        try {
          const found = await sessions.lookup(req);
          if (found.status === 'active') {
            const localAccount = await syncLocalAccount(users, sessions, found.active, logger);
            req.gdStaff = { user: found.active.session.user, localAccount };
            return next();
          }
          if (!required) return next();
          if (req.method === 'GET' && req.accepts(['json', 'html']) === 'html') {
            res.redirect(302, `${mountPath}/login?returnTo=${encodeURIComponent(req.originalUrl)}`);
            return;
          }
          sendError(req, res, new BffError(found.status === 'expired' ? 'session_expired' : 'not_authenticated'));
        } catch (error) {
          sendError(req, res, toBffError(error, logger));
        }
      });
    };
  }

  return Object.assign(router, {
    config,
    sessions,
    audit,
    logger,
    users,
    ready,
    requireLogin: () => sessionMiddleware(true),
    accessToken: accessTokenGetter(flow),
    loadUser: () => sessionMiddleware(false),
    async close() {
      await store.close();
      if (!deps.users) await users.close();
    },
  }) as Bff;
}
