/**
 * Sessions, login transactions and one-time login errors, over one `SessionStore`.
 *
 * The cookie holds only a random id (256 bits). The store key is its SHA-256, so a store dump
 * cannot be replayed as cookies. The idle timer is written back at most once per
 * `touchIntervalMs`, so an ordinary request costs one store read and no write.
 */
import { hash as digest } from 'node:crypto';
import type { Request, Response, CookieOptions } from 'express';
import type { BffConfig, LocalAccount } from '../config.ts';
import type { TokenSet } from '../platform.ts';
import { randomToken } from '../platform.ts';
import type { ErrorCode } from '../error-codes.ts';
import type { SessionStore } from './store.ts';

/** The allow-listed user (8.5 e): only these fields are stored and sent to the page. */
export type SessionUser = { id: string } & Record<string, string>;

export interface Session {
  user: SessionUser;
  tokens: TokenSet;
  localAccount: LocalAccount | null;
  /** When `localAccount` was last read from the user center (epoch ms). */
  bindingCheckedAt: number;
  createdAt: number;
  lastSeenAt: number;
}

export interface LoginTransaction {
  /** SHA-256 of the browser-binding cookie: the callback must come from the browser that started. */
  browser: string;
  returnTo: string;
  codeVerifier: string | undefined;
  createdAt: number;
}

export interface ActiveSession {
  id: string;
  session: Session;
  expiresAt: number;
  idleExpiresAt: number;
}

export type SessionLookup =
  | { status: 'active'; active: ActiveSession }
  | { status: 'none' }
  | { status: 'expired'; session: Session | undefined };

/** Entries outlive their deadline by this much so that expiry can be noticed (and audited). */
const EXPIRY_GRACE_MS = 5 * 60_000;
const LOGIN_ERROR_TTL_MS = 5 * 60_000;
/** Logins one browser may have under way at once (tabs); starting one more drops the pending ones. */
const MAX_PENDING_LOGINS = 10;

/** One-shot SHA-256 (no Hash object per call: this runs on every request). */
function hash(value: string): string {
  return digest('sha256', value, 'base64url');
}

export class Sessions {
  readonly store: SessionStore;
  readonly #config: BffConfig;
  readonly #cookie: CookieOptions;
  readonly #txCookieName: string;
  readonly #now: () => number;

  /** `now` is the clock in epoch ms (injectable so that tests move time instead of sleeping). */
  constructor(config: BffConfig, store: SessionStore, now: () => number = Date.now) {
    this.#config = config;
    this.store = store;
    this.#now = now;
    // SameSite=Lax, not Strict: the first page after login is reached by a redirect chain that
    // started on the platform's site, and Strict cookies are withheld from that whole chain, so a
    // server-rendered page would see the user as logged out. Lax still keeps the cookie off
    // cross-site subresource requests and POSTs; state-changing routes also need the
    // anti-forgery header (see requireSameOriginPost in http-edge.ts).
    this.#cookie = { httpOnly: true, secure: config.session.cookieSecure, sameSite: 'lax', path: '/' };
    this.#txCookieName = `${config.session.cookieName}-tx`;
  }

  get cookieName(): string {
    return this.#config.session.cookieName;
  }

  /** How often a session's idle timer (and its copy of the binding) is brought up to date. */
  get touchIntervalMs(): number {
    return this.#config.session.touchIntervalMs;
  }

  /** The current time in epoch ms, by this instance's clock. */
  now(): number {
    return this.#now();
  }

  /** The session of this request, if any, extending the idle timer unless `touch` is false. */
  async lookup(req: Request, touch = true): Promise<SessionLookup> {
    const id = readCookie(req, this.cookieName);
    if (!id) return { status: 'none' };
    const key = `s:${hash(id)}`;
    const session = await this.store.get<Session>(key);
    if (!session) return { status: 'expired', session: undefined };
    const now = this.#now();
    const expiresAt = session.createdAt + this.#config.session.absoluteMs;
    let idleExpiresAt = session.lastSeenAt + this.#config.session.idleMs;
    if (now >= expiresAt || now >= idleExpiresAt) {
      await this.store.delete(key);
      return { status: 'expired', session };
    }
    if (touch && now - session.lastSeenAt >= this.#config.session.touchIntervalMs) {
      session.lastSeenAt = now;
      idleExpiresAt = now + this.#config.session.idleMs;
      await this.#write(key, session);
    }
    return { status: 'active', active: { id, session, expiresAt, idleExpiresAt } };
  }

  /** Starts a session under a NEW id (session fixation: nothing from before the login survives). */
  async create(req: Request, res: Response, user: SessionUser, tokens: TokenSet, localAccount: LocalAccount | null): Promise<void> {
    const old = readCookie(req, this.cookieName);
    if (old) await this.store.delete(`s:${hash(old)}`);
    const id = randomToken(32);
    const now = this.#now();
    await this.#write(`s:${hash(id)}`, { user, tokens, localAccount, bindingCheckedAt: now, createdAt: now, lastSeenAt: now });
    res.cookie(this.cookieName, id, { ...this.#cookie, maxAge: this.#config.session.absoluteMs });
  }

  /** Writes back a changed session (new tokens, binding). */
  async update(active: ActiveSession): Promise<void> {
    await this.#write(`s:${hash(active.id)}`, active.session);
  }

  /** Ends a session by id (e.g. when the platform refuses its refresh token); the stale cookie then reads as expired. */
  async revoke(active: ActiveSession): Promise<void> {
    await this.store.delete(`s:${hash(active.id)}`);
  }

  async destroy(req: Request, res: Response): Promise<void> {
    const id = readCookie(req, this.cookieName);
    if (id) await this.store.delete(`s:${hash(id)}`);
    res.clearCookie(this.cookieName, this.#cookie);
  }

  /**
   * Remembers a login transaction under its `state` and binds it to this browser with a cookie of
   * its own. One binding cookie per login, not one per browser: several tabs that start logins at
   * the same moment would otherwise each set the shared cookie, and only the last would survive.
   */
  async beginTransaction(req: Request, res: Response, state: string, tx: Omit<LoginTransaction, 'browser' | 'createdAt'>): Promise<void> {
    // Abandoned logins leave cookies until they expire; past a few, drop them rather than let
    // the Cookie header grow towards the server's header limit.
    const pending = Object.keys((req.cookies ?? {}) as Record<string, unknown>).filter((name) => name.startsWith(`${this.#txCookieName}-`));
    if (pending.length >= MAX_PENDING_LOGINS) for (const name of pending) res.clearCookie(name, this.#cookie);
    const binding = randomToken(32);
    res.cookie(this.#bindingCookieName(state), binding, { ...this.#cookie, maxAge: this.#config.transactionTtlMs });
    await this.store.set<LoginTransaction>(`t:${hash(state)}`, { ...tx, browser: hash(binding), createdAt: this.#now() }, this.#config.transactionTtlMs);
  }

  /**
   * Reads and deletes the transaction for `state` (single use) and its binding cookie. Returns
   * undefined when unknown, expired, already used, or started in another browser.
   */
  async takeTransaction(req: Request, res: Response, state: string): Promise<LoginTransaction | undefined> {
    const tx = await this.store.take<LoginTransaction>(`t:${hash(state)}`);
    const name = this.#bindingCookieName(state);
    const binding = readCookie(req, name);
    if (binding) res.clearCookie(name, this.#cookie);
    if (!tx || !binding || tx.browser !== hash(binding)) return undefined;
    // Checked here as well as by the store's TTL, so expiry does not depend on the store's clock.
    if (this.#now() - tx.createdAt >= this.#config.transactionTtlMs) return undefined;
    return tx;
  }

  /** `state` is public (it travels in URLs); the cookie name derived from it only finds the cookie, whose random value is the proof. */
  #bindingCookieName(state: string): string {
    return `${this.#txCookieName}-${hash(state).slice(0, 16)}`;
  }

  /** Keeps a failed login's error for this browser, for `/me` to report once. */
  async rememberLoginError(req: Request, res: Response, code: ErrorCode): Promise<void> {
    const browser = this.#browserId(req, res);
    await this.store.set(`e:${hash(browser)}`, code, LOGIN_ERROR_TTL_MS);
  }

  async takeLoginError(req: Request): Promise<ErrorCode | undefined> {
    const browser = readCookie(req, this.#txCookieName);
    return browser ? this.store.take<ErrorCode>(`e:${hash(browser)}`) : undefined;
  }

  async #write(key: string, session: Session): Promise<void> {
    const deadline = Math.min(session.createdAt + this.#config.session.absoluteMs, session.lastSeenAt + this.#config.session.idleMs);
    await this.store.set(key, session, deadline - this.#now() + EXPIRY_GRACE_MS);
  }

  /** The browser-binding cookie (random, HttpOnly), created on first need. */
  #browserId(req: Request, res: Response): string {
    const existing = readCookie(req, this.#txCookieName);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const id = randomToken(32);
    res.cookie(this.#txCookieName, id, { ...this.#cookie, maxAge: this.#config.transactionTtlMs });
    // Later reads in this same request must see it too.
    (req.cookies as Record<string, string>)[this.#txCookieName] = id;
    return id;
  }
}

/** A cookie value, or undefined when absent or not shaped like one of ours. */
function readCookie(req: Request, name: string): string | undefined {
  const value = (req.cookies as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
}
