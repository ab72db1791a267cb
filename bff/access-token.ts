/**
 * The platform access token for host code that calls the platform on the user's behalf.
 *
 * The tokens live only in the server-side session (RFC 10017, the BFF pattern; Appendix B check
 * 1): the page never sees them. When the access token has expired and a refresh token exists,
 * it is refreshed first (RFC 6749 section 6). When the platform refuses the refresh, the grant is
 * gone: the local session ends, so the user sees the login button instead of an error on every
 * request.
 */
import type { Request } from 'express';
import cookieParser from 'cookie-parser';
import { BffError } from './errors.ts';
import type { ErrorCode } from './error-codes.ts';
import { refreshTokens } from './platform.ts';
import type { LoginFlowDeps } from './login-flow.ts';
import type { ActiveSession } from './session/sessions.ts';

/** Refresh this long before the platform's deadline, so a token does not expire on its way there. */
const EXPIRY_SKEW_MS = 30_000;

/**
 * Failures that say nothing about the grant (the platform could not be reached or answered
 * badly): the session stays and the next call tries again. Any other refusal ends the session.
 */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set(['platform_timeout', 'platform_unreachable', 'platform_unavailable', 'platform_bad_response']);

const parseCookies = cookieParser();

export type AccessTokenGetter = (req: Request) => Promise<string>;

export function accessTokenGetter({ config, sessions, audit, logger }: Omit<LoginFlowDeps, 'users'>): AccessTokenGetter {
  // One refresh per session at a time. With rotating refresh tokens (RFC 9700 section 4.14.2) a
  // second, concurrent refresh would replay the old refresh token and the platform would revoke
  // the whole grant. (Across several BFF instances this needs the shared store's lock; see
  // docs/security.md.)
  const inFlight = new Map<string, Promise<string>>();

  async function refresh(req: Request, active: ActiveSession): Promise<string> {
    const { session } = active;
    const end = async (code: ErrorCode): Promise<never> => {
      await sessions.revoke(active);
      await audit.record(req, 'token_refresh', 'failure', session.user.id, code);
      throw new BffError('session_expired', { detail: `token refresh failed (${code}); session ended` });
    };
    if (!session.tokens.refreshToken) return end('session_expired');
    try {
      session.tokens = await refreshTokens(config, session.tokens.refreshToken, sessions.now());
    } catch (error) {
      if (!(error instanceof BffError)) throw error;
      if (TRANSIENT.has(error.code)) {
        logger.warn({ error: error.code, detail: error.message }, 'token refresh failed; session kept');
        throw error;
      }
      return end(error.code);
    }
    await sessions.update(active);
    return session.tokens.accessToken;
  }

  return async function accessToken(req: Request): Promise<string> {
    if (!req.cookies) parseCookies(req, undefined as never, () => {});
    const found = await sessions.lookup(req, false);
    if (found.status !== 'active') throw new BffError(found.status === 'expired' ? 'session_expired' : 'not_authenticated');
    const { id, session } = found.active;
    const expiresAt = session.tokens.accessTokenExpiresAt;
    if (expiresAt === undefined || sessions.now() < expiresAt - EXPIRY_SKEW_MS) return session.tokens.accessToken;
    let flight = inFlight.get(id);
    if (!flight) {
      flight = refresh(req, found.active).finally(() => inFlight.delete(id));
      inFlight.set(id, flight);
    }
    return flight;
  };
}
