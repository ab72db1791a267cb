/**
 * `/login` and `/callback`: the OAuth 2.0 code flow of clause 7.1.2, steps a to g.
 */
import type { Request, Response } from 'express';
import type { BffConfig, LocalAccount } from './config.ts';
import { BffError } from './errors.ts';
import type { ErrorCode } from './error-codes.ts';
import { safeReturnTo } from './return-to.ts';
import { buildAuthorizeUrl, codeChallengeS256, codeForPlatformError, exchangeCode, fetchUserDetail, randomToken } from './platform.ts';
import { mapUser } from './user.ts';
import type { Sessions, SessionUser } from './session/sessions.ts';
import type { Audit } from './audit.ts';
import type { Logger } from './logger.ts';

/** What the login flow needs from the local user center (clause 5.2, 8.5 j). */
export interface LoginRecorder {
  /** Upserts the user's latest details and returns the bound local account, if any. */
  recordLogin(user: SessionUser): Promise<LocalAccount | null>;
}

export interface LoginFlowDeps {
  config: BffConfig;
  sessions: Sessions;
  audit: Audit;
  logger: Logger;
  users: LoginRecorder | undefined;
}

/** A single query parameter; a repeated or missing one is undefined. */
function queryParam(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 ? value : undefined;
}

export function loginHandler({ config, sessions }: LoginFlowDeps) {
  return async function gdLogin(req: Request, res: Response): Promise<void> {
    const returnTo = safeReturnTo(req.query.returnTo);
    // RFC 9700 section 2.1 / 4.7: a fresh CSPRNG `state` (256 bits) per attempt, and PKCE S256.
    const state = randomToken(32);
    const codeVerifier = config.pkce ? randomToken(32) : undefined;
    await sessions.beginTransaction(req, res, state, { returnTo, codeVerifier });
    const url = buildAuthorizeUrl(config, { state, codeChallenge: codeVerifier && codeChallengeS256(codeVerifier) });
    res.redirect(302, url.href);
  };
}

export function callbackHandler({ config, sessions, audit, logger, users }: LoginFlowDeps) {
  return async function gdCallback(req: Request, res: Response): Promise<void> {
    let returnTo = '/';
    const fail = async (code: ErrorCode, cause?: unknown): Promise<void> => {
      // `error`, not `code`: the logger redacts `code` (the authorization code).
      logger.info({ error: code, detail: cause instanceof Error ? cause.message : undefined }, 'login failed');
      await audit.record(req, 'login', 'failure', undefined, code);
      await sessions.rememberLoginError(req, res, code);
      res.redirect(302, returnTo);
    };

    const state = queryParam(req, 'state');
    if (!state) return fail('missing_state');
    // The state is checked (and spent) before anything else, in particular before the code is
    // exchanged: a forged or replayed callback never reaches the platform (RFC 9700 4.7.1).
    const tx = await sessions.takeTransaction(req, res, state);
    if (!tx) return fail('invalid_state');
    returnTo = tx.returnTo;

    const platformError = queryParam(req, 'error');
    if (platformError) {
      const code = platformError === 'access_denied' ? 'access_denied' : codeForPlatformError({ error_description: queryParam(req, 'error_description') });
      return fail(code);
    }
    const code = queryParam(req, 'code');
    if (!code) return fail('missing_code');

    let user: SessionUser;
    let localAccount: LocalAccount | null;
    let tokens;
    try {
      tokens = await exchangeCode(config, code, tx.codeVerifier, sessions.now());
      user = mapUser(config, await fetchUserDetail(config, tokens.accessToken));
      localAccount = users ? await users.recordLogin(user) : null;
    } catch (error) {
      if (error instanceof BffError && error.code !== 'store_unavailable') return fail(error.code, error);
      throw error;
    }
    await sessions.create(req, res, user, tokens, localAccount);
    await audit.record(req, 'login', 'success', user.id);
    res.redirect(302, returnTo);
  };
}
