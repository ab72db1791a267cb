/**
 * `GET /oauth/authorize` (Table 1): check the client and its redirect_uri, then either send a
 * code straight back (platform session present: single sign-on, 7.2.1 c) or show the login page.
 */
import express from 'express';
import type { Router } from 'express';
import { param, currentSession, type SandboxContext } from '../context.ts';
import type { AuthorizeRequest } from '../store.ts';
import { createPending, issueCodeRedirect, renderLogin, sendErrorPage } from './login.ts';

/** RFC 6749 §3.3 scope-token characters, space-separated. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** Granted when the request names no scope; the real platform's scope values are not public. */
export const DEFAULT_SCOPE = 'userinfo';

export type AuthorizeCheck =
  | { kind: 'ok'; request: AuthorizeRequest }
  /** The client or redirect_uri cannot be trusted: show an error page, never redirect (RFC 6749 §4.1.2.1). */
  | { kind: 'page'; status: number; error: string; description: string }
  /** The redirect_uri is trusted: report the error to the client there (RFC 6749 §4.1.2.1). */
  | { kind: 'redirect'; url: URL };

export function checkAuthorizeRequest(ctx: SandboxContext, query: unknown): AuthorizeCheck {
  const clientId = param(query, 'client_id');
  const client = typeof clientId === 'string' ? ctx.clients.get(clientId) : undefined;
  if (client === undefined) {
    // Table 2: "Bad client credentials" — client_id must be the one the platform issued.
    return { kind: 'page', status: 400, error: 'invalid_client', description: 'Bad client credentials' };
  }
  const redirectUri = param(query, 'redirect_uri');
  if (typeof redirectUri !== 'string' || !ctx.clients.isRegisteredRedirect(client, redirectUri)) {
    // Table 2: "Invalid redirect" — redirect_uri must equal the application form (Appendix A).
    const shown = typeof redirectUri === 'string' ? redirectUri : redirectUri === undefined ? '(missing)' : '(repeated)';
    return {
      kind: 'page',
      status: 400,
      error: 'invalid_request',
      description: `Invalid redirect: ${shown} does not match one of the registered values.`,
    };
  }

  const state = param(query, 'state');
  const fail = (error: string, description: string): AuthorizeCheck => {
    const url = new URL(redirectUri);
    url.searchParams.set('error', error);
    url.searchParams.set('error_description', description);
    if (typeof state === 'string') url.searchParams.set('state', state);
    return { kind: 'redirect', url };
  };

  for (const name of ['response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method']) {
    // RFC 6749 §3.1: parameters MUST NOT be included more than once.
    if (typeof param(query, name) === 'object') return fail('invalid_request', `Parameter ${name} is repeated`);
  }
  const responseType = param(query, 'response_type') as string | undefined;
  if (responseType === undefined || responseType === '') return fail('invalid_request', 'Missing response_type');
  if (responseType !== 'code') return fail('unsupported_response_type', `Unsupported response_type: ${responseType} (only code)`);

  const scope = (param(query, 'scope') as string | undefined) ?? '';
  if (scope !== '' && !SCOPE.test(scope)) return fail('invalid_scope', 'Malformed scope (RFC 6749 §3.3)');

  const challenge = param(query, 'code_challenge') as string | undefined;
  const method = param(query, 'code_challenge_method') as string | undefined;
  if (challenge === undefined) {
    if (method !== undefined) return fail('invalid_request', 'code_challenge_method without code_challenge');
    if (client.pkce === 'required') return fail('invalid_request', 'code_challenge required (PKCE S256, RFC 7636)');
  } else {
    // Only S256: "plain" (also the default when the method is absent, RFC 7636 §4.3) protects nothing.
    if (method !== 'S256') return fail('invalid_request', 'transform algorithm not supported: use code_challenge_method=S256');
    if (!S256_CHALLENGE.test(challenge)) return fail('invalid_request', 'Malformed code_challenge (RFC 7636 §4.2)');
  }

  return {
    kind: 'ok',
    request: {
      clientId: client.client_id,
      redirectUri,
      state: typeof state === 'string' ? state : undefined,
      scope: scope === '' ? DEFAULT_SCOPE : scope,
      codeChallenge: challenge,
    },
  };
}

export function authorizeRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  router.get('/oauth/authorize', async (req, res) => {
    const check = checkAuthorizeRequest(ctx, req.query);
    res.setHeader('Cache-Control', 'no-store');
    if (check.kind === 'page') {
      ctx.logger.warn({ event: 'authorize_refused', error: check.error }, check.description);
      sendErrorPage(res, check.status, check.error, check.description);
      return;
    }
    if (check.kind === 'redirect') {
      res.redirect(302, check.url.href);
      return;
    }
    const current = currentSession(ctx, req);
    if (current !== undefined) {
      // 7.2.1 c: already logged in on the platform, so the code comes straight back, for any registered client.
      res.redirect(302, issueCodeRedirect(ctx, check.request, current.account.userId).href);
      return;
    }
    const pending = createPending(ctx, req, res, { kind: 'authorize', request: check.request });
    await renderLogin(ctx, req, res, pending, 'password');
  });
  return router;
}
