/**
 * `POST /bind` and `POST /unbind`: account binding (Appendix B, check 2). A logged-in platform
 * user proves a business-system account through the host's `verifyLocalAccount` hook and links
 * it; later logins of that platform account come back bound, and `requireLogin()` hands the
 * local account to the host's own permission checks.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { BffConfig, LocalAccount } from './config.ts';
import { BffError } from './errors.ts';
import { sendJson } from './http-edge.ts';
import type { Audit } from './audit.ts';
import type { Logger } from './logger.ts';
import type { ActiveSession, Sessions } from './session/sessions.ts';
import type { UserCenter } from './users/user-center.ts';

export interface BindRouteDeps {
  config: BffConfig;
  sessions: Sessions;
  audit: Audit;
  users: UserCenter;
  logger: Logger;
  /** The anti-forgery guard shared with `/logout`. */
  stateChanging: RequestHandler;
  /** The BFF's rate limiter: per client IP, or per the key given. */
  limiter: (limit: number, keyGenerator?: (req: Request, res: Response) => string) => RequestHandler;
}

const bindBody = z.object({
  username: z.string().trim().min(1).max(128),
  password: z.string().min(1).max(256),
});

/** What the host's hook must answer; anything else is the host's bug, not the user's. */
const verifiedAccount = z.object({
  username: z.string().trim().min(1).max(256),
  displayName: z.string().trim().max(256).optional(),
});

function activeOf(res: Response): ActiveSession {
  return res.locals.gdActive as ActiveSession;
}

export function bindRoutes({ config, sessions, audit, users, logger, stateChanging, limiter }: BindRouteDeps): Router {
  const router = express.Router();
  const verify = config.verifyLocalAccount;

  const bindingEnabled: RequestHandler = (_req, _res, next) => next(verify ? undefined : new BffError('binding_disabled'));

  const requireSession: RequestHandler = async (req, res, next) => {
    const found = await sessions.lookup(req);
    if (found.status !== 'active') throw new BffError(found.status === 'expired' ? 'session_expired' : 'not_authenticated');
    res.locals.gdActive = found.active;
    next();
  };

  // Guessing local passwords is limited twice: per client IP, and per platform account, so that
  // one account cannot spread its guesses over many addresses.
  const perIp = limiter(config.rateLimits.bind);
  const perAccount = limiter(config.rateLimits.bind, (_req, res) => `account:${activeOf(res).session.user.id}`);

  router.all(
    '/bind',
    stateChanging,
    bindingEnabled,
    perIp,
    requireSession,
    perAccount,
    express.json({ limit: '4kb' }),
    async function gdBind(req, res) {
      const active = activeOf(res);
      const platformUserId = active.session.user.id;
      const failed = async (code: 'invalid_local_credentials' | 'already_bound' | 'local_account_taken', cause?: unknown): Promise<never> => {
        await audit.record(req, 'bind', 'failure', platformUserId, code);
        throw new BffError(code, { cause });
      };

      const body = bindBody.safeParse(req.body);
      if (!body.success) throw new BffError('bad_request', { detail: `bind body: ${body.error.issues[0]?.message ?? 'invalid'}` });
      // Checked before the password, so a bound account is never a password oracle.
      if (await users.getBinding(platformUserId)) return failed('already_bound');

      const answer = await verify!(body.data.username, body.data.password);
      if (answer === null) return failed('invalid_local_credentials');
      const checked = verifiedAccount.safeParse(answer);
      if (!checked.success) throw new Error(`verifyLocalAccount returned ${JSON.stringify(answer)}, not { username, displayName } or null`);
      const localAccount: LocalAccount = { username: checked.data.username, displayName: checked.data.displayName || checked.data.username };

      try {
        await users.bind(platformUserId, localAccount);
      } catch (error) {
        if (error instanceof BffError && (error.code === 'already_bound' || error.code === 'local_account_taken')) return failed(error.code, error);
        throw error;
      }
      active.session.localAccount = localAccount;
      active.session.bindingCheckedAt = sessions.now();
      await sessions.update(active);
      await audit.record(req, 'bind', 'success', platformUserId, localAccount.username);
      sendJson(res, 200, { bound: true, localAccount });
    },
  );

  router.all('/unbind', stateChanging, bindingEnabled, perIp, requireSession, async function gdUnbind(req, res) {
    const active = activeOf(res);
    const removed = await users.unbind(active.session.user.id);
    active.session.localAccount = null;
    active.session.bindingCheckedAt = sessions.now();
    await sessions.update(active);
    if (removed) await audit.record(req, 'unbind', 'success', active.session.user.id);
    else logger.debug({ accountId: active.session.user.id }, 'unbind without a binding');
    sendJson(res, 200, { bound: false });
  });

  return router;
}

/**
 * The session's local account, brought in line with the user center at most once per touch
 * interval (`GD_SESSION_TOUCH_SECONDS`, default 60 s), like the idle timer: a binding or unbinding
 * made in another browser reaches this session within that interval, and an ordinary request
 * costs no database query (issue 8: `/me` must stay close to a bare Express route). Binding and
 * unbinding in this session count at once. If the database cannot be read, the session's copy
 * (correct when it was written) is kept.
 */
export async function syncLocalAccount(users: UserCenter, sessions: Sessions, active: ActiveSession, logger: Logger): Promise<LocalAccount | null> {
  const now = sessions.now();
  if (now - (active.session.bindingCheckedAt ?? 0) < sessions.touchIntervalMs) return active.session.localAccount;
  let current: LocalAccount | null;
  try {
    current = (await users.getBinding(active.session.user.id))?.localAccount ?? null;
  } catch (error) {
    logger.warn({ err: error }, 'binding lookup failed; using the session copy');
    return active.session.localAccount;
  }
  active.session.localAccount = current;
  active.session.bindingCheckedAt = now;
  await sessions.update(active);
  return current;
}
