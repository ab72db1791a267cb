/**
 * The platform's own login: three methods (clause 5.1) on one pending login, then a platform
 * session and, for a business system, a code sent back to its redirect_uri (7.1.2 b-c).
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import QRCode from 'qrcode';
import type { SandboxAccount } from '../data.ts';
import {
  BROWSER_COOKIE,
  SESSION_COOKIE,
  baseUrl,
  cookieOptions,
  field,
  readCookie,
  securityHeaders,
  type SandboxContext,
} from '../context.ts';
import { errorPage, loginPage, qrConfirmPage, type LoginView } from '../html.ts';
import { randomToken, safeEqual, type AuthorizeRequest, type PendingLogin, type PendingPurpose, type PlatformSession } from '../store.ts';

/** The browser's binding id; set once, HttpOnly, so a login form works only in the browser that loaded it. */
function ensureBrowserId(req: Request, res: Response): string {
  const existing = readCookie(req, BROWSER_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_-]{20,}$/.test(existing)) return existing;
  const id = randomToken();
  res.cookie(BROWSER_COOKIE, id, cookieOptions(req));
  return id;
}

export function createPending(ctx: SandboxContext, req: Request, res: Response, purpose: PendingPurpose): PendingLogin {
  const pending: PendingLogin = {
    id: randomToken(),
    browserId: ensureBrowserId(req, res),
    csrf: randomToken(),
    purpose,
    expiresAt: ctx.now() + ctx.pendingTtlMs,
  };
  ctx.store.pending.set(pending.id, pending);
  return pending;
}

/** Origins a form on the login page may end at: the business system's callback (CSP form-action). */
function formTargets(pending: PendingLogin): string[] {
  if (pending.purpose.kind !== 'authorize') return [];
  try {
    return [new URL(pending.purpose.request.redirectUri).origin];
  } catch {
    return [];
  }
}

export async function renderLogin(
  ctx: SandboxContext,
  req: Request,
  res: Response,
  pending: PendingLogin,
  view: LoginView,
  extra: { status?: number; error?: string; accountValue?: string; ticketId?: string } = {},
): Promise<void> {
  const client = pending.purpose.kind === 'authorize' ? ctx.clients.get(pending.purpose.request.clientId) : undefined;
  let qr: { svg: string; ticket: string; confirmUrl: string } | undefined;
  if (view === 'qr') {
    let ticket = extra.ticketId === undefined ? undefined : ctx.store.qrTickets.get(extra.ticketId);
    if (ticket === undefined) {
      ticket = {
        id: randomToken(),
        pendingId: pending.id,
        browserId: pending.browserId,
        status: 'waiting',
        userId: undefined,
        confirmCsrf: randomToken(),
        expiresAt: pending.expiresAt,
      };
      ctx.store.qrTickets.set(ticket.id, ticket);
    }
    const confirmUrl = new URL('/oauth/qr/confirm', baseUrl(ctx, req));
    confirmUrl.searchParams.set('ticket', ticket.id);
    const svg = await QRCode.toString(confirmUrl.href, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    qr = { svg, ticket: ticket.id, confirmUrl: confirmUrl.href };
  }
  securityHeaders(res, formTargets(pending));
  res
    .status(extra.status ?? 200)
    .type('html')
    .send(
      loginPage({
        view,
        pendingId: pending.id,
        csrf: pending.csrf,
        client,
        forManage: pending.purpose.kind === 'manage',
        ...(extra.error === undefined ? {} : { error: extra.error }),
        ...(extra.accountValue === undefined ? {} : { accountValue: extra.accountValue }),
        ...(qr === undefined ? {} : { qr }),
        ...(view === 'cert' ? { certificates: ctx.accounts.certificates() } : {}),
      }),
    );
}

export function sendErrorPage(res: Response, status: number, error: string, description: string, hint?: string): void {
  securityHeaders(res);
  res.status(status).type('html').send(errorPage({ error, description, ...(hint === undefined ? {} : { hint }) }));
}

const EXPIRED_HINT = '登录页面已失效，请返回业务系统重新发起登录。';

/**
 * The pending login a form names, checked against the page token and the browser cookie:
 * a form posted from another site or another browser is refused (login CSRF).
 */
function pendingFromForm(ctx: SandboxContext, req: Request, res: Response): PendingLogin | undefined {
  // Browsers send Sec-Fetch-Site; a login form never legitimately comes from another site.
  if (req.get('sec-fetch-site') === 'cross-site') {
    sendErrorPage(res, 403, 'invalid_request', 'Cross-site form submission refused', EXPIRED_HINT);
    return undefined;
  }
  const pendingId = field(req.body, 'pending');
  const pending = pendingId === undefined ? undefined : ctx.store.pending.get(pendingId);
  if (pending === undefined) {
    sendErrorPage(res, 400, 'invalid_request', 'Login page expired or unknown', EXPIRED_HINT);
    return undefined;
  }
  const csrf = field(req.body, 'csrf');
  const browserId = readCookie(req, BROWSER_COOKIE);
  if (csrf === undefined || browserId === undefined || !safeEqual(csrf, pending.csrf) || !safeEqual(browserId, pending.browserId)) {
    sendErrorPage(res, 403, 'invalid_request', 'Invalid CSRF token', EXPIRED_HINT);
    return undefined;
  }
  return pending;
}

/**
 * 7.1.2 c: the code goes back to the exact registered redirect_uri, with `state`, built with the
 * URL API so every value is encoded (7.2.1 b). Existing query parameters of the callback stay.
 */
export function issueCodeRedirect(ctx: SandboxContext, request: AuthorizeRequest, userId: string): URL {
  const code = randomToken();
  const now = ctx.now();
  ctx.store.codes.set(code, {
    code,
    clientId: request.clientId,
    redirectUri: request.redirectUri,
    userId,
    scope: request.scope,
    codeChallenge: request.codeChallenge,
    validUntil: now + ctx.codeTtlMs,
    usedAt: undefined,
    familyId: randomToken(16),
    // Remember a spent code while tokens from it may live, so a replay can revoke them.
    expiresAt: now + Math.max(ctx.codeTtlMs, ctx.accessTokenTtlMs, 60_000),
  });
  const url = new URL(request.redirectUri);
  url.searchParams.set('code', code);
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  ctx.logger.info({ event: 'code_issued', clientId: request.clientId, userId }, 'authorization code issued');
  return url;
}

/** Start a platform session (a fresh id: no session fixation) and finish what the pending login was for. */
function completeLogin(
  ctx: SandboxContext,
  req: Request,
  res: Response,
  pending: PendingLogin,
  account: SandboxAccount,
  method: PlatformSession['method'],
): void {
  ctx.store.pending.delete(pending.id);
  ctx.store.qrTickets.deleteWhere((t) => t.pendingId === pending.id);
  const oldSid = readCookie(req, SESSION_COOKIE);
  if (oldSid !== undefined) ctx.store.sessions.delete(oldSid);
  const now = ctx.now();
  const session: PlatformSession = {
    sid: randomToken(),
    userId: account.userId,
    method,
    createdAt: now,
    expiresAt: now + ctx.sessionTtlMs,
    csrf: randomToken(),
  };
  ctx.store.sessions.set(session.sid, session);
  // A browser-session cookie; the server-side record decides when the session ends.
  res.cookie(SESSION_COOKIE, session.sid, cookieOptions(req));
  ctx.logger.info({ event: 'platform_login', userId: account.userId, method }, 'platform login');

  const purpose = pending.purpose;
  if (purpose.kind === 'manage') {
    res.redirect(303, purpose.returnTo);
    return;
  }
  // Validate again: the client list may have changed while the user was on the login page.
  const client = ctx.clients.get(purpose.request.clientId);
  if (client === undefined) {
    sendErrorPage(res, 400, 'invalid_client', 'Bad client credentials');
    return;
  }
  if (!ctx.clients.isRegisteredRedirect(client, purpose.request.redirectUri)) {
    sendErrorPage(res, 400, 'invalid_request', `Invalid redirect: ${purpose.request.redirectUri} does not match one of the registered values.`);
    return;
  }
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(302, issueCodeRedirect(ctx, purpose.request, account.userId).href);
}

const LOGIN_VIEWS: readonly LoginView[] = ['password', 'qr', 'cert'];

export function loginRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

  // Switch between the three methods on the same pending login.
  router.get('/oauth/login', async (req, res) => {
    const pendingId = field(req.query, 'pending');
    const pending = pendingId === undefined ? undefined : ctx.store.pending.get(pendingId);
    if (pending === undefined || readCookie(req, BROWSER_COOKIE) !== pending.browserId) {
      sendErrorPage(res, 400, 'invalid_request', 'Login page expired or unknown', EXPIRED_HINT);
      return;
    }
    const method = field(req.query, 'method') ?? 'password';
    const view = LOGIN_VIEWS.find((v) => v === method) ?? 'password';
    await renderLogin(ctx, req, res, pending, view);
  });

  const passwordLogin = async (req: Request, res: Response) => {
    const pending = pendingFromForm(ctx, req, res);
    if (pending === undefined) return;
    const account = field(req.body, 'account');
    const password = field(req.body, 'password');
    if (account === undefined || password === undefined) {
      await renderLogin(ctx, req, res, pending, 'password', { status: 400, error: '请输入账号和密码', accountValue: account ?? '' });
      return;
    }
    const found = ctx.accounts.verifyPassword(account, password);
    if (found === undefined) {
      ctx.logger.warn({ event: 'platform_login_failed', method: 'password' }, 'wrong account or password');
      // One message for unknown account and wrong password: no account enumeration.
      await renderLogin(ctx, req, res, pending, 'password', { status: 401, error: '账号或密码错误', accountValue: account });
      return;
    }
    completeLogin(ctx, req, res, pending, found, 'password');
  };
  router.post('/oauth/login/password', form, passwordLogin);
  // The password form may also be posted back to the authorize URL itself.
  router.post('/oauth/authorize', form, passwordLogin);

  router.post('/oauth/login/cert', form, async (req, res) => {
    const pending = pendingFromForm(ctx, req, res);
    if (pending === undefined) return;
    const serial = field(req.body, 'serial');
    const account = serial === undefined ? undefined : ctx.accounts.findByCertificate(serial);
    if (account === undefined) {
      await renderLogin(ctx, req, res, pending, 'cert', { status: 400, error: '证书无效或未绑定政务人员账号' });
      return;
    }
    completeLogin(ctx, req, res, pending, account, 'certificate');
  });

  router.post('/oauth/login/qr', form, async (req, res) => {
    const pending = pendingFromForm(ctx, req, res);
    if (pending === undefined) return;
    const ticketId = field(req.body, 'ticket');
    const ticket = ticketId === undefined ? undefined : ctx.store.qrTickets.get(ticketId);
    if (ticket === undefined || ticket.pendingId !== pending.id) {
      await renderLogin(ctx, req, res, pending, 'qr', { status: 400, error: '二维码已失效，请重新扫码' });
      return;
    }
    const account = ticket.userId === undefined ? undefined : ctx.accounts.get(ticket.userId);
    if (ticket.status !== 'confirmed' || account === undefined) {
      await renderLogin(ctx, req, res, pending, 'qr', { status: 409, error: '尚未在手机上确认登录', ticketId: ticket.id });
      return;
    }
    completeLogin(ctx, req, res, pending, account, 'qr');
  });

  // Polled by /static/qr-poll.js from the browser that shows the QR code.
  router.get('/oauth/qr/status', (req, res) => {
    const ticketId = field(req.query, 'ticket');
    const ticket = ticketId === undefined ? undefined : ctx.store.qrTickets.get(ticketId);
    res.setHeader('Cache-Control', 'no-store');
    if (ticket === undefined || readCookie(req, BROWSER_COOKIE) !== ticket.browserId) {
      res.json({ status: 'expired' });
      return;
    }
    res.json({ status: ticket.status, expiresIn: Math.max(0, Math.round((ticket.expiresAt - ctx.now()) / 1000)) });
  });

  // The "phone": whoever opens the QR link picks the account to confirm as (a logged-in mobile app in real life).
  router.get('/oauth/qr/confirm', (req, res) => {
    const ticketId = field(req.query, 'ticket');
    const ticket = ticketId === undefined ? undefined : ctx.store.qrTickets.get(ticketId);
    securityHeaders(res);
    if (ticket === undefined) {
      res.status(404).type('html').send(qrConfirmPage({ ticket: '', csrf: '', accounts: [], error: '二维码已失效，请在电脑上刷新登录页后重新扫码。' }));
      return;
    }
    const done = ticket.status === 'confirmed' && ticket.userId !== undefined ? ctx.accounts.get(ticket.userId) : undefined;
    res.type('html').send(
      qrConfirmPage({ ticket: ticket.id, csrf: ticket.confirmCsrf, accounts: ctx.accounts.all(), ...(done ? { done } : {}) }),
    );
  });

  router.post('/oauth/qr/confirm', form, (req, res) => {
    const ticketId = field(req.body, 'ticket');
    const ticket = ticketId === undefined ? undefined : ctx.store.qrTickets.get(ticketId);
    securityHeaders(res);
    const csrf = field(req.body, 'csrf');
    if (ticket === undefined || csrf === undefined || !safeEqual(csrf, ticket.confirmCsrf)) {
      res.status(400).type('html').send(qrConfirmPage({ ticket: '', csrf: '', accounts: [], error: '二维码已失效，请在电脑上刷新登录页后重新扫码。' }));
      return;
    }
    if (ticket.status === 'confirmed') {
      res.status(409).type('html').send(qrConfirmPage({ ticket: '', csrf: '', accounts: [], error: '该二维码已确认过。' }));
      return;
    }
    const userId = field(req.body, 'userId');
    const account = userId === undefined ? undefined : ctx.accounts.get(userId);
    if (account === undefined) {
      res.status(400).type('html').send(qrConfirmPage({ ticket: ticket.id, csrf: ticket.confirmCsrf, accounts: ctx.accounts.all(), error: '请选择一个账号。' }));
      return;
    }
    ticket.status = 'confirmed';
    ticket.userId = account.userId;
    ctx.logger.info({ event: 'qr_confirmed', userId: account.userId }, 'QR login confirmed on the phone');
    res.type('html').send(qrConfirmPage({ ticket: ticket.id, csrf: '', accounts: [], done: account }));
  });

  return router;
}
