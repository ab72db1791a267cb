/**
 * The sandbox's memory: platform sessions, pending logins, QR tickets, codes and tokens.
 * Everything expires by the injected clock, so tests can move time instead of waiting.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 bits of randomness, base64url: unguessable ids for cookies, codes and tokens. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Constant-time string comparison (hash first so that lengths do not leak either). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** A map whose entries vanish after `expiresAt` (ms, by the given clock). */
export class ExpiringMap<V extends { expiresAt: number }> {
  readonly #entries = new Map<string, V>();
  readonly #now: () => number;
  #lastSweep = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V): void {
    this.#entries.set(key, value);
    this.#sweep();
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  deleteWhere(predicate: (value: V) => boolean): number {
    let n = 0;
    for (const [key, value] of this.#entries) {
      if (predicate(value)) {
        this.#entries.delete(key);
        n++;
      }
    }
    return n;
  }

  values(): V[] {
    const now = this.#now();
    return [...this.#entries.values()].filter((v) => v.expiresAt > now);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drop expired entries at most once a minute, so memory stays bounded without a timer. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < 60_000) return;
    this.#lastSweep = now;
    for (const [key, value] of this.#entries) if (value.expiresAt <= now) this.#entries.delete(key);
  }
}

/** What `authorize` was asked for, kept server-side while the user logs in. */
export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scope: string;
  codeChallenge: string | undefined;
}

export type PendingPurpose =
  | { kind: 'authorize'; request: AuthorizeRequest }
  /** Log in to reach `manage/userinfo`; `returnTo` is a path on the sandbox itself. */
  | { kind: 'manage'; returnTo: string };

/**
 * A login page in progress. `browserId` ties it to the browser's `gd_platform_bid` cookie and
 * `csrf` to the page, so that a form posted from elsewhere (login CSRF) is refused.
 */
export interface PendingLogin {
  id: string;
  browserId: string;
  csrf: string;
  purpose: PendingPurpose;
  expiresAt: number;
}

export interface PlatformSession {
  sid: string;
  userId: string;
  /** How the user proved who they are (clause 5.1). */
  method: 'password' | 'qr' | 'certificate';
  createdAt: number;
  expiresAt: number;
  /** Synchronizer token for the `manage/userinfo` form. */
  csrf: string;
}

export interface QrTicket {
  id: string;
  pendingId: string;
  browserId: string;
  status: 'waiting' | 'confirmed';
  userId: string | undefined;
  /** Token for the "phone" page's confirm form. */
  confirmCsrf: string;
  expiresAt: number;
}

export interface CodeRecord {
  code: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  scope: string;
  codeChallenge: string | undefined;
  /** The code is usable until this time (codeTtlSeconds). */
  validUntil: number;
  /** When it was spent; kept so that a replay can revoke what it issued (RFC 6749 §4.1.2). */
  usedAt: number | undefined;
  /** All tokens issued from this code share it, so they can be revoked together. */
  familyId: string;
  /** The record itself is kept until here (for replay detection after use). */
  expiresAt: number;
}

export interface AccessTokenRecord {
  token: string;
  clientId: string;
  userId: string;
  scope: string;
  familyId: string;
  expiresAt: number;
}

export interface RefreshTokenRecord {
  token: string;
  clientId: string;
  userId: string;
  scope: string;
  familyId: string;
  /** Set when rotated: a second use of a rotated token revokes the family (RFC 9700 §4.14.2). */
  rotatedAt: number | undefined;
  expiresAt: number;
}

export class SandboxStore {
  readonly sessions: ExpiringMap<PlatformSession>;
  readonly pending: ExpiringMap<PendingLogin>;
  readonly qrTickets: ExpiringMap<QrTicket>;
  readonly codes: ExpiringMap<CodeRecord>;
  readonly accessTokens: ExpiringMap<AccessTokenRecord>;
  readonly refreshTokens: ExpiringMap<RefreshTokenRecord>;

  constructor(now: () => number) {
    this.sessions = new ExpiringMap(now);
    this.pending = new ExpiringMap(now);
    this.qrTickets = new ExpiringMap(now);
    this.codes = new ExpiringMap(now);
    this.accessTokens = new ExpiringMap(now);
    this.refreshTokens = new ExpiringMap(now);
  }

  /** Revoke every access and refresh token issued from one code. */
  revokeFamily(familyId: string): number {
    return (
      this.accessTokens.deleteWhere((t) => t.familyId === familyId) +
      this.refreshTokens.deleteWhere((t) => t.familyId === familyId)
    );
  }
}
