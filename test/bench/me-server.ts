/**
 * One server under test for `me.ts`, in its own process so that the load generator and the
 * server do not share an event loop. Started with `fork`; argv[2] is the variant. It answers the
 * parent over IPC: first `{ ready: { port, cookie, body, store } }`, then `{ cpu }` on request.
 *
 * Variants (all answer GET /auth/me with the same JSON for a logged-in user):
 * - `express`: a bare Express 5 route returning that JSON (the baseline).
 * - `ours-memory` / `ours-redis`: the whole BFF router (helmet, no-store, cookie-parser, session
 *   lookup with the idle timer), logged in for real through the sandbox.
 * - `express-session-memory` / `express-session-redis`: express-session with its MemoryStore or
 *   with connect-redis, the usual way to hold a session in Express.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import cookieParser from 'cookie-parser';
import helmet from 'helmet';
import session from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { startHarness, storeKind, timedLogin, TestBrowser } from './lib/harness.ts';
import { resolveConfig } from '../../bff/config.ts';
import { MemoryStore } from '../../bff/session/memory-store.ts';
import { Sessions } from '../../bff/session/sessions.ts';
import { sendJson } from '../../bff/http-edge.ts';

const variant = process.argv[2] ?? '';
const redisUrl = process.env.BENCH_REDIS_URL;

/** The user of the demo account `zhangwei` as the BFF keeps it (the default allow-list). */
const USER = { id: 'gd-4400-000001', account: 'zhangwei', name: '张伟', org: '广东省政务服务和数据管理局', dept: '数据资源处', title: '主任科员' };
const IDLE_MS = 30 * 60_000;
const ABSOLUTE_MS = 8 * 3_600_000;

function meBody(createdAt: number, lastSeenAt: number) {
  return {
    user: USER,
    bound: false,
    localAccount: null,
    binding: false,
    expiresAt: new Date(createdAt + ABSOLUTE_MS).toISOString(),
    idleExpiresAt: new Date(lastSeenAt + IDLE_MS).toISOString(),
  };
}

async function listen(app: Express): Promise<Server> {
  const server = createServer(app);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

function bareExpress(): Express {
  const app = express();
  const body = meBody(Date.now(), Date.now());
  app.get('/auth/me', (_req, res) => {
    res.json(body);
  });
  return app;
}

async function expressSession(store: session.Store | undefined): Promise<Express> {
  const app = express();
  app.use(
    session({
      name: 'gdsl.sid',
      secret: randomBytes(32).toString('base64url'),
      store,
      resave: false,
      saveUninitialized: false,
      rolling: false,
      cookie: { httpOnly: true, secure: false, sameSite: 'lax', maxAge: IDLE_MS },
    }),
  );
  app.get('/auth/bench-login', (req, res) => {
    const s = req.session as session.Session & Record<string, unknown>;
    s.user = USER;
    s.tokens = { accessToken: randomBytes(32).toString('base64url'), refreshToken: randomBytes(32).toString('base64url'), accessTokenExpiresAt: Date.now() + 7_200_000 };
    s.createdAt = Date.now();
    res.json({ ok: true });
  });
  app.get('/auth/me', (req, res) => {
    const s = req.session as session.Session & { user?: typeof USER; createdAt?: number };
    if (!s.user) {
      res.status(401).json({ error: 'not_authenticated' });
      return;
    }
    res.json({ ...meBody(s.createdAt!, Date.now()), idleExpiresAt: new Date(s.cookie.expires ?? Date.now()).toISOString() });
  });
  return app;
}

/**
 * The BFF's /me path rebuilt one layer at a time with the same libraries and options as
 * bff/index.ts, to find what costs what (`ablation-N` keeps layers 1..N):
 * 1 express.Router at /auth answering with the BFF's `sendJson` (no ETag), 2 helmet, 3 no-store
 * header, 4 cookie-parser, 5 session lookup (Sessions over MemoryStore: SHA-256 of the cookie,
 * Map read, idle-timer check).
 */
async function ablation(layers: number): Promise<{ app: Express; cookie: string }> {
  const app = express();
  const router = express.Router();
  if (layers >= 2) {
    router.use(
      helmet({
        contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] } },
        referrerPolicy: { policy: 'no-referrer' },
        strictTransportSecurity: false,
        crossOriginResourcePolicy: { policy: 'same-origin' },
      }),
    );
  }
  if (layers >= 3) {
    router.use(function gdNoStore(_req, res, next) {
      res.setHeader('Cache-Control', 'no-store');
      next();
    });
  }
  if (layers >= 4) router.use(cookieParser());
  let cookie = '';
  let sessions: Sessions | undefined;
  if (layers >= 5) {
    const config = resolveConfig({ mode: 'development', platformUrl: 'http://127.0.0.1:9', clientId: 'bench', clientSecret: 'bench-secret-0123456789', redirectUri: 'http://localhost/auth/callback', logLevel: 'silent' }, {});
    sessions = new Sessions(config, new MemoryStore({ maxEntries: 1000 }));
    const res = { cookie: (name: string, value: string) => (cookie = `${name}=${value}`) } as unknown as Response;
    await sessions.create({ cookies: {} } as Request, res, USER, { accessToken: 'a'.repeat(43), refreshToken: 'r'.repeat(43), accessTokenExpiresAt: Date.now() + 7_200_000 }, null);
  }
  const body = meBody(Date.now(), Date.now());
  router.get('/me', async (req, res) => {
    if (sessions) {
      const found = await sessions.lookup(req);
      if (found.status !== 'active') {
        sendJson(res, 401, { error: 'not_authenticated' });
        return;
      }
      sendJson(res, 200, meBody(found.active.session.createdAt, found.active.session.lastSeenAt));
      return;
    }
    sendJson(res, 200, body);
  });
  app.use('/auth', router);
  return { app, cookie };
}

async function main() {
  let server: Server;
  let cookie = '';
  let store = '';
  let close: () => Promise<void> = async () => {};
  if (variant === 'express') {
    server = await listen(bareExpress());
  } else if (variant.startsWith('ablation-')) {
    const built = await ablation(Number(variant.slice('ablation-'.length)));
    server = await listen(built.app);
    cookie = built.cookie;
    store = variant;
  } else if (variant === 'ours-memory' || variant === 'ours-redis') {
    if (variant === 'ours-redis' && !redisUrl) throw new Error('BENCH_REDIS_URL is needed for ours-redis');
    const harness = await startHarness({ bffOptions: variant === 'ours-redis' ? { redisUrl } : {} });
    store = storeKind(harness.bff);
    const browser = new TestBrowser();
    const login = await timedLogin(browser, harness.url, { account: 'zhangwei', password: 'Demo@2026' });
    if (!login.url.startsWith(harness.url)) throw new Error(`login did not come back to the site: ${login.url}`);
    cookie = browser.cookieHeader(harness.url);
    server = harness.server;
    close = () => harness.close();
  } else if (variant === 'express-session-memory' || variant === 'express-session-redis') {
    let sessionStore: session.Store | undefined;
    if (variant === 'express-session-redis') {
      if (!redisUrl) throw new Error('BENCH_REDIS_URL is needed for express-session-redis');
      const client = createClient({ url: redisUrl });
      await client.connect();
      sessionStore = new ConnectRedisStore({ client, prefix: 'es:' });
      close = async () => {
        await client.quit();
      };
    }
    store = sessionStore ? 'connect-redis' : 'MemoryStore';
    server = await listen(await expressSession(sessionStore));
    const port = (server.address() as AddressInfo).port;
    const response = await fetch(`http://127.0.0.1:${port}/auth/bench-login`);
    cookie = response.headers.getSetCookie()[0]!.split(';')[0]!;
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  const port = (server.address() as AddressInfo).port;
  // Check the answer once, from outside, with the same request the load generator sends.
  const check = await fetch(`http://127.0.0.1:${port}/auth/me`, { headers: { cookie } });
  const body = (await check.json()) as unknown;
  if (check.status !== 200) throw new Error(`${variant}: GET /auth/me answered ${check.status} ${JSON.stringify(body)}`);
  process.send!({ ready: { port, cookie, body, store } });
  process.on('message', async (message: { cpu?: true; exit?: true }) => {
    if (message.cpu) process.send!({ cpu: process.cpuUsage(), memory: process.memoryUsage().rss });
    if (message.exit) {
      server.closeAllConnections();
      server.close();
      await close();
      process.exit(0);
    }
  });
}

main().catch((error: unknown) => {
  process.send!({ failed: String((error as Error).stack ?? error) });
  process.exit(1);
});
