/**
 * `GET /oauth/getuserinfodetail` (Table 1, 7.1.1 c): the account detail for a valid access
 * token, sent as the `access_token` query parameter or as a Bearer header (RFC 6750 §2.1, §2.3).
 */
import express from 'express';
import type { Router } from 'express';
import { param, toUserDetail, type SandboxContext } from '../context.ts';
import { sendOAuthError } from './token.ts';

const REALM = 'gd-staff-login-sandbox';

export function userinfoRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  router.get('/oauth/getuserinfodetail', (req, res) => {
    const header = req.get('authorization');
    const bearer = header === undefined ? undefined : /^Bearer +([\x21-\x7e]+) *$/i.exec(header)?.[1];
    const query = param(req.query, 'access_token');
    if (typeof query === 'object') {
      sendOAuthError(res, 400, 'invalid_request', 'Parameter access_token is repeated');
      return;
    }
    if (header !== undefined && query !== undefined) {
      // RFC 6750 §2: a client MUST NOT use more than one method to send the token.
      sendOAuthError(res, 400, 'invalid_request', 'Send the access token either as a Bearer header or as access_token, not both');
      return;
    }
    const token = bearer ?? query;
    const record = token === undefined || token === '' ? undefined : ctx.store.accessTokens.get(token);
    const account = record === undefined ? undefined : ctx.accounts.get(record.userId);
    if (record === undefined || account === undefined) {
      const missing = token === undefined || token === '';
      // RFC 6750 §3: the challenge names the error, except when no token was sent at all.
      res.setHeader(
        'WWW-Authenticate',
        missing ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token", error_description="Invalid access token"`,
      );
      sendOAuthError(res, 401, 'invalid_token', missing ? 'Invalid access token: none was sent' : 'Invalid access token');
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    res.json(toUserDetail(account));
  });
  return router;
}
