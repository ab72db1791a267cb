/**
 * `POST /oauth/token` (Table 1): authorization_code and refresh_token grants, RFC 6749 §4.1.3
 * and §6, answering as §5.1 / §5.2. Every Table 2 token message starts its error_description.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import type { Request, Response, Router } from 'express';
import type { SandboxClient } from '../data.ts';
import { param, type SandboxContext } from '../context.ts';
import { randomToken, safeEqual, type RefreshTokenRecord } from '../store.ts';

const REALM = 'gd-staff-login-sandbox';

class TokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    /** Set when the client used HTTP Basic: a 401 then carries WWW-Authenticate (RFC 6749 §5.2). */
    readonly basic = false,
  ) {
    super(description);
  }
}

/** RFC 6749 §5.2: JSON errors, never cached. */
export function sendOAuthError(res: Response, status: number, error: string, description: string, basic = false): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  if (status === 401 && basic) res.setHeader('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
  res.status(status).json({ error, error_description: description });
}

/** application/x-www-form-urlencoded decoding of one Basic credential part (RFC 6749 §2.3.1). */
function formDecode(part: string): string {
  return decodeURIComponent(part.replace(/\+/g, ' '));
}

/** A single-valued body parameter; a repeated one is an invalid_request (RFC 6749 §3.2). */
function one(body: unknown, name: string): string | undefined {
  const value = param(body, name);
  if (typeof value === 'object') throw new TokenError(400, 'invalid_request', `Parameter ${name} is repeated`);
  return value === '' ? undefined : value;
}

/** Client authentication by HTTP Basic or by client_id + client_secret in the body, never both (RFC 6749 §2.3). */
function authenticateClient(ctx: SandboxContext, req: Request, body: unknown): SandboxClient {
  const header = req.get('authorization');
  const formId = one(body, 'client_id');
  const formSecret = one(body, 'client_secret');
  let clientId: string | undefined;
  let secret: string | undefined;
  let basic = false;
  if (header !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
    if (!match) throw new TokenError(401, 'invalid_client', 'Bad credentials: use HTTP Basic or client_id/client_secret in the body');
    basic = true;
    const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new TokenError(401, 'invalid_client', 'Bad credentials: malformed Basic credentials', true);
    try {
      clientId = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    } catch {
      throw new TokenError(401, 'invalid_client', 'Bad credentials: malformed Basic credentials', true);
    }
    if (formSecret !== undefined) {
      throw new TokenError(400, 'invalid_request', 'Use one client authentication method, not Basic and client_secret both (RFC 6749 §2.3)');
    }
    if (formId !== undefined && formId !== clientId) throw new TokenError(401, 'invalid_client', 'Bad credentials', true);
  } else {
    clientId = formId;
    secret = formSecret;
  }
  const client = ctx.clients.get(clientId);
  // Compare even for an unknown client, so timing does not reveal which client_ids exist.
  const ok = safeEqual(client?.client_secret ?? '\u0000unknown-client', secret ?? '');
  if (client === undefined || secret === undefined || !ok) {
    ctx.logger.warn({ event: 'client_auth_failed', clientId, basic }, 'token endpoint: bad client credentials');
    // Table 2: "Bad credentials" — wrong client_id or client_secret.
    throw new TokenError(401, 'invalid_client', 'Bad credentials', basic);
  }
  return client;
}

function issueTokens(
  ctx: SandboxContext,
  res: Response,
  grant: { clientId: string; userId: string; scope: string; familyId: string },
  refreshToken?: string,
): void {
  const now = ctx.now();
  const accessToken = randomToken();
  ctx.store.accessTokens.set(accessToken, { token: accessToken, ...grant, expiresAt: now + ctx.accessTokenTtlMs });
  let refresh = refreshToken;
  if (refresh === undefined) {
    refresh = randomToken();
    const record: RefreshTokenRecord = { token: refresh, ...grant, rotatedAt: undefined, expiresAt: now + ctx.refreshTokenTtlMs };
    ctx.store.refreshTokens.set(refresh, record);
  }
  ctx.logger.info({ event: 'tokens_issued', clientId: grant.clientId, userId: grant.userId }, 'tokens issued');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.status(200).json({
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: Math.round(ctx.accessTokenTtlMs / 1000),
    refresh_token: refresh,
    scope: grant.scope,
  });
}

/** RFC 7636 §4.1: 43-128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

function authorizationCodeGrant(ctx: SandboxContext, res: Response, client: SandboxClient, body: unknown): void {
  const code = one(body, 'code');
  if (code === undefined) throw new TokenError(400, 'invalid_request', 'Missing code');
  const record = ctx.store.codes.get(code);
  // Table 2: "Invalid authorization code" — unknown, expired, used, or not this client's.
  if (record === undefined) throw new TokenError(400, 'invalid_grant', 'Invalid authorization code');
  if (record.usedAt !== undefined) {
    // RFC 6749 §4.1.2: a code used twice is refused, and tokens issued from it SHOULD be revoked.
    const revoked = ctx.store.revokeFamily(record.familyId);
    ctx.logger.warn({ event: 'code_replayed', clientId: client.client_id, revoked }, 'authorization code replayed');
    throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: already used; tokens issued from it are revoked');
  }
  // Table 2 note: "授权码一次核验则失效" — a code is spent by its first check, whatever the outcome.
  record.usedAt = ctx.now();
  if (record.usedAt >= record.validUntil) throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: expired');
  if (record.clientId !== client.client_id) {
    throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: issued to another client');
  }
  const redirectUri = one(body, 'redirect_uri');
  // RFC 6749 §4.1.3: identical to the redirect_uri of the authorization request.
  if (redirectUri !== record.redirectUri) throw new TokenError(400, 'invalid_grant', 'Redirect URI mismatch');
  const verifier = one(body, 'code_verifier');
  if (record.codeChallenge !== undefined) {
    if (verifier === undefined) throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: code_verifier required (PKCE)');
    const computed = createHash('sha256').update(verifier).digest('base64url');
    if (!VERIFIER.test(verifier) || !safeEqual(computed, record.codeChallenge)) {
      throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: code_verifier does not match code_challenge (PKCE)');
    }
  } else if (verifier !== undefined) {
    // RFC 9700 §2.1.1: a code_verifier for a code issued without code_challenge must be refused.
    throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: code_verifier sent but none was expected (no code_challenge at authorize)');
  }
  if (ctx.accounts.get(record.userId) === undefined) {
    throw new TokenError(400, 'invalid_grant', 'Invalid authorization code: the account no longer exists');
  }
  issueTokens(ctx, res, { clientId: client.client_id, userId: record.userId, scope: record.scope, familyId: record.familyId });
}

function refreshTokenGrant(ctx: SandboxContext, res: Response, client: SandboxClient, body: unknown): void {
  const token = one(body, 'refresh_token');
  if (token === undefined) throw new TokenError(400, 'invalid_request', 'Missing refresh_token');
  const record = ctx.store.refreshTokens.get(token);
  // Table 2: "Invalid refresh token".
  if (record === undefined) throw new TokenError(400, 'invalid_grant', 'Invalid refresh token');
  if (record.clientId !== client.client_id) throw new TokenError(400, 'invalid_grant', 'Invalid refresh token: issued to another client');
  if (record.rotatedAt !== undefined) {
    // RFC 9700 §4.14.2: reuse of a rotated refresh token means it leaked; revoke the whole family.
    const revoked = ctx.store.revokeFamily(record.familyId);
    ctx.logger.warn({ event: 'refresh_token_reused', clientId: client.client_id, revoked }, 'rotated refresh token reused');
    throw new TokenError(400, 'invalid_grant', 'Invalid refresh token: already used; the tokens issued from it are revoked');
  }
  const requested = one(body, 'scope');
  let scope = record.scope;
  if (requested !== undefined) {
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    const granted = new Set(record.scope.split(' '));
    if (!requested.split(' ').every((s) => granted.has(s))) {
      throw new TokenError(400, 'invalid_scope', 'Requested scope exceeds the scope originally granted');
    }
    scope = requested;
  }
  if (ctx.accounts.get(record.userId) === undefined) throw new TokenError(400, 'invalid_grant', 'Invalid refresh token: the account no longer exists');
  const grant = { clientId: client.client_id, userId: record.userId, scope, familyId: record.familyId };
  if (ctx.rotateRefreshTokens) {
    // Rotation (RFC 9700 §4.14.2): the old refresh token stops working; kept marked only to detect reuse.
    record.rotatedAt = ctx.now();
    issueTokens(ctx, res, grant);
  } else {
    issueTokens(ctx, res, grant, token);
  }
}

export function tokenRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
  router.post('/oauth/token', form, (req, res) => {
    let basic = req.get('authorization') !== undefined;
    try {
      // RFC 6749 §4.1.3 / §6: the parameters come form-encoded in the body.
      if (req.body === undefined && req.is('application/x-www-form-urlencoded') === false) {
        throw new TokenError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
      }
      const body: unknown = req.body ?? {};
      const client = authenticateClient(ctx, req, body);
      basic = false;
      const grantType = one(body, 'grant_type');
      // Table 2: "Missing grant type" / "Unsupported grant type".
      if (grantType === undefined) throw new TokenError(400, 'invalid_request', 'Missing grant type');
      if (grantType === 'authorization_code') authorizationCodeGrant(ctx, res, client, body);
      else if (grantType === 'refresh_token') refreshTokenGrant(ctx, res, client, body);
      else throw new TokenError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      sendOAuthError(res, error.status, error.error, error.description, error.basic || (basic && error.status === 401));
    }
  });
  router.all('/oauth/token', (_req, res) => {
    res.setHeader('Allow', 'POST');
    sendOAuthError(res, 405, 'invalid_request', 'Use POST for the token endpoint (RFC 6749 §3.2)');
  });
  return router;
}
