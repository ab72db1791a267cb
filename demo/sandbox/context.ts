/**
 * What every route of the sandbox shares: the registered clients, the accounts (with their
 * in-memory edits), the store, the clock, the fault switch and the logger.
 */
import type { Request, Response } from 'express';
import type { FaultSwitch } from './faults.ts';
import type { ProfileEdit, SandboxAccount, SandboxCertificate, SandboxClient } from './data.ts';
import type { SandboxStore } from './store.ts';
import { safeEqual } from './store.ts';

/** The subset of a pino logger the sandbox uses; pass `pino()` or anything shaped like it. */
export interface SandboxLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: SandboxLogger = { info() {}, warn() {}, error() {} };

/** Cookie names on the sandbox host. */
export const SESSION_COOKIE = 'gd_platform_sid';
export const BROWSER_COOKIE = 'gd_platform_bid';

export class ClientRegistry {
  #clients = new Map<string, SandboxClient>();

  constructor(clients: readonly SandboxClient[]) {
    this.set(clients);
  }

  set(clients: readonly SandboxClient[]): void {
    this.#clients = new Map(clients.map((c) => [c.client_id, c]));
  }

  upsert(client: SandboxClient): void {
    this.#clients.set(client.client_id, client);
  }

  remove(clientId: string): boolean {
    return this.#clients.delete(clientId);
  }

  get(clientId: string | undefined): SandboxClient | undefined {
    return clientId === undefined ? undefined : this.#clients.get(clientId);
  }

  all(): SandboxClient[] {
    return [...this.#clients.values()];
  }

  /**
   * Table 2 "Invalid redirect": the redirect_uri must equal one on the application form, by
   * simple string comparison (RFC 6749 §3.1.2.3), test or production list alike.
   */
  isRegisteredRedirect(client: SandboxClient, redirectUri: string): boolean {
    return [...client.redirect_uris.test, ...client.redirect_uris.production].includes(redirectUri);
  }

  /**
   * Where the browser may be sent back after logout or from the account page: an absolute
   * http(s) URL on the same origin as a registered home page or callback URL (of the given
   * client, or of any client). Returns the normalised URL, or undefined when it is not allowed.
   * Same-origin rather than exact match because business systems return to pages such as
   * `/` or `/logged-out` that are not on the form; an open redirect stays impossible because the
   * origin must be one an operator registered.
   */
  allowedReturnUrl(candidate: string | undefined, clientId?: string): URL | undefined {
    if (candidate === undefined || candidate === '') return undefined;
    let url: URL;
    try {
      // No base URL: relative and scheme-relative ("//evil.example") inputs throw here.
      url = new URL(candidate);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.username !== '' || url.password !== '') return undefined;
    const clients = clientId === undefined ? this.all() : [this.get(clientId)].filter((c) => c !== undefined);
    for (const client of clients) {
      for (const registered of registeredUrls(client)) {
        if (sameOrigin(registered, url)) return url;
      }
    }
    return undefined;
  }
}

function registeredUrls(client: SandboxClient): string[] {
  return [
    client.homepage?.test,
    client.homepage?.production,
    ...client.redirect_uris.test,
    ...client.redirect_uris.production,
  ].filter((u): u is string => u !== undefined);
}

function sameOrigin(registered: string, url: URL): boolean {
  try {
    return new URL(registered).origin === url.origin;
  } catch {
    return false;
  }
}

/** The user detail that `getuserinfodetail` returns (docs/contracts.md): no password, no certificates. */
export interface UserDetail {
  userId: string;
  account: string;
  name: string;
  orgName: string;
  orgCode: string;
  deptName: string;
  title: string;
  mobile: string;
  email: string;
}

export function toUserDetail(a: SandboxAccount): UserDetail {
  return {
    userId: a.userId,
    account: a.account,
    name: a.name,
    orgName: a.orgName,
    orgCode: a.orgCode,
    deptName: a.deptName,
    title: a.title,
    mobile: a.mobile,
    email: a.email,
  };
}

export class AccountRegistry {
  #byUserId = new Map<string, SandboxAccount>();

  constructor(accounts: readonly SandboxAccount[]) {
    this.set(accounts);
  }

  /** Copies the entries, so that edits on `manage/userinfo` never touch the caller's objects. */
  set(accounts: readonly SandboxAccount[]): void {
    this.#byUserId = new Map(accounts.map((a) => [a.userId, structuredClone(a)]));
  }

  get(userId: string): SandboxAccount | undefined {
    return this.#byUserId.get(userId);
  }

  all(): SandboxAccount[] {
    return [...this.#byUserId.values()];
  }

  /** Account names are matched without regard to case, as the accounts file requires them unique that way. */
  verifyPassword(account: string, password: string): SandboxAccount | undefined {
    const wanted = account.trim().toLowerCase();
    const found = this.all().find((a) => a.account.toLowerCase() === wanted);
    // Compare against a dummy when the account is unknown, so timing does not tell which accounts exist.
    const ok = safeEqual(found?.password ?? '\u0000no-such-account', password);
    return found !== undefined && ok ? found : undefined;
  }

  certificates(): Array<{ certificate: SandboxCertificate; account: SandboxAccount }> {
    return this.all().flatMap((account) => (account.certificates ?? []).map((certificate) => ({ certificate, account })));
  }

  findByCertificate(serial: string): SandboxAccount | undefined {
    const wanted = serial.toUpperCase();
    return this.certificates().find((c) => c.certificate.serial.toUpperCase() === wanted)?.account;
  }

  /** Apply an edit from `manage/userinfo` (8.5 j: later logins see the latest values). */
  update(userId: string, edit: ProfileEdit): SandboxAccount | undefined {
    const current = this.#byUserId.get(userId);
    if (current === undefined) return undefined;
    const next = { ...current, ...edit };
    this.#byUserId.set(userId, next);
    return next;
  }
}

export interface SandboxContext {
  now(): number;
  clients: ClientRegistry;
  accounts: AccountRegistry;
  store: SandboxStore;
  faults: FaultSwitch;
  logger: SandboxLogger;
  codeTtlMs: number;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  sessionTtlMs: number;
  /** How long a login page (and its QR code) stays usable. */
  pendingTtlMs: number;
  rotateRefreshTokens: boolean;
  /** Fixed external base URL (for the QR code); otherwise taken from the request. */
  publicUrl: string | undefined;
}

export function baseUrl(ctx: SandboxContext, req: Request): string {
  return ctx.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/** A single-valued parameter; repeated parameters (RFC 6749 §3.1, §3.2) come back as `repeated`. */
export function param(source: unknown, name: string): string | undefined | { repeated: true } {
  if (source === null || typeof source !== 'object') return undefined;
  const value = (source as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return { repeated: true };
  if (typeof value !== 'string') return { repeated: true };
  return value;
}

/** Like `param`, but repeated values and empty strings count as absent. For form fields. */
export function field(source: unknown, name: string): string | undefined {
  const value = param(source, name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function cookieOptions(req: Request, maxAgeMs?: number) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: req.secure,
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  };
}

export function readCookie(req: Request, name: string): string | undefined {
  const cookies = (req as Request & { cookies?: Record<string, unknown> }).cookies;
  const value = cookies?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The platform session of this browser, if any and if its account still exists. */
export function currentSession(ctx: SandboxContext, req: Request) {
  const sid = readCookie(req, SESSION_COOKIE);
  if (sid === undefined) return undefined;
  const session = ctx.store.sessions.get(sid);
  if (session === undefined) return undefined;
  const account = ctx.accounts.get(session.userId);
  return account === undefined ? undefined : { session, account };
}

/**
 * Strict per-response security headers: no inline script or style, no framing, no referrer
 * (login URLs carry pending-login ids and QR tickets). `formTargets` lists the origins a form
 * on this page may end up at: browsers apply `form-action` to the redirect after a POST too.
 */
export function securityHeaders(res: Response, formTargets: readonly string[] = []): void {
  const formAction = ["'self'", ...new Set(formTargets)].join(' ');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; ` +
      `form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}
