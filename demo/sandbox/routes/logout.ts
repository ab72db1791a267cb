/**
 * `GET /oauth/logout?redirect_uri=` (Table 1, 5.3, 7.1.1 d): ends the platform session in this
 * browser, then returns to the business system only if the address is registered.
 */
import express from 'express';
import type { Router } from 'express';
import { SESSION_COOKIE, cookieOptions, param, readCookie, securityHeaders, type SandboxContext } from '../context.ts';
import { loggedOutPage } from '../html.ts';

export function logoutRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  const logout: express.RequestHandler = (req, res) => {
    const sid = readCookie(req, SESSION_COOKIE);
    if (sid !== undefined) {
      const session = ctx.store.sessions.get(sid);
      ctx.store.sessions.delete(sid);
      if (session) ctx.logger.info({ event: 'platform_logout', userId: session.userId }, 'platform logout');
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    const redirectUri = param(req.query, 'redirect_uri');
    const clientId = param(req.query, 'client_id');
    // Only to an origin registered for a client (the given one, if named): no open redirect.
    const target =
      typeof redirectUri === 'string'
        ? ctx.clients.allowedReturnUrl(redirectUri, typeof clientId === 'string' ? clientId : undefined)
        : undefined;
    res.setHeader('Cache-Control', 'no-store');
    if (target !== undefined) {
      res.redirect(302, target.href);
      return;
    }
    securityHeaders(res);
    res.status(200).type('html').send(loggedOutPage());
  };
  router.get('/oauth/logout', logout);
  router.post('/oauth/logout', logout);
  return router;
}
