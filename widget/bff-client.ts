/**
 * The widget's only way to talk to the BFF (docs/contracts.md).
 *
 * Every call stays on the page's origin with the session cookie (`credentials: 'same-origin'`)
 * and never sees a token. State-changing calls carry `X-GD-Login: 1`, the anti-forgery header a
 * cross-site form cannot send. Failures come back as a stable error code, never as a throw.
 */
import type { ErrorText } from '../bff/error-codes.ts';

/** The allow-listed user the BFF exposes (`GET /me`). Extra allow-listed fields may appear. */
export interface GdStaffUser {
  id: string;
  name: string;
  account?: string;
  org?: string;
  dept?: string;
  title?: string;
  mobile?: string;
  email?: string;
  [field: string]: unknown;
}

/** The business system's own account linked to the staff account (Appendix B, check 2). */
export interface GdLocalAccount {
  username: string;
  displayName: string;
}

/** `GET /me` when logged in. */
export interface GdStaffSession {
  user: GdStaffUser;
  bound: boolean;
  localAccount: GdLocalAccount | null;
  /** Whether this business system offers account binding at all. */
  binding: boolean;
  expiresAt?: string;
  idleExpiresAt?: string;
}

/** The BFF's error body: `{ error, error_description, message }`, plus `loginError` on `/me`. */
export interface BffErrorBody {
  error?: string;
  error_description?: string;
  /** The catalogue's text in both languages (`bff/error-codes.ts`), sent by the BFF. */
  message?: Partial<ErrorText>;
  loginError?: { code: string; error_description?: string; message?: Partial<ErrorText> };
}

export type BffResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; code: string; body: BffErrorBody };

/**
 * One request to `${base}${path}`. A network failure, or an answer that is not the BFF's JSON
 * (a proxy's HTML error page, a 5xx without a code), becomes `bff_unreachable`.
 */
export async function bffRequest<T>(
  base: string,
  path: string,
  post?: boolean,
  json?: unknown,
): Promise<BffResult<T>> {
  // No cache option needed: the BFF answers every route with `Cache-Control: no-store`.
  const headers: Record<string, string> = post ? { 'X-GD-Login': '1' } : {};
  if (json) headers['Content-Type'] = 'application/json';
  let status = 0;
  let body: unknown;
  try {
    const res = await fetch(base.replace(/\/+$/, '') + path, {
      method: post ? 'POST' : 'GET',
      credentials: 'same-origin',
      headers,
      body: json ? JSON.stringify(json) : null,
    });
    status = res.status;
    body = await res.json();
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300 && body && typeof body === 'object') {
    return { ok: true, status, data: body as T };
  }
  const err = (body && typeof body === 'object' ? body : {}) as BffErrorBody;
  const code = typeof err.error === 'string' ? err.error : status === 401 ? 'not_authenticated' : 'bff_unreachable';
  return { ok: false, status, code, body: err };
}
