/**
 * `GET /manage/userinfo` (Table 1): the logged-in user's account page. Edits are kept in memory
 * and the next `getuserinfodetail` returns them, which is how a business system's local user
 * centre learns of changes (8.5 j: no bulk query, the latest info arrives with each login).
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import { profileEditSchema } from '../data.ts';
import { currentSession, field, param, securityHeaders, type SandboxContext } from '../context.ts';
import { managePage } from '../html.ts';
import { safeEqual } from '../store.ts';
import { createPending, renderLogin, sendErrorPage } from './login.ts';

const FIELD_MESSAGES: Record<string, string> = {
  name: '请填写姓名（1-50 个字符）。',
  mobile: '请填写 11 位手机号码，例如 13800138000。',
  email: '请填写有效的电子邮箱地址，例如 name@gd.gov.cn。',
  deptName: '请填写部门（1-100 个字符）。',
  title: '请填写职务（1-50 个字符）。',
};
const FIELDS = Object.keys(FIELD_MESSAGES);

/** Keep only client_id and redirect_uri, re-encoded: nothing else from the query is reflected. */
function backQuery(req: Request): { query: string; clientId?: string; redirectUri?: string } {
  const clientId = param(req.query, 'client_id');
  const redirectUri = param(req.query, 'redirect_uri');
  const params = new URLSearchParams();
  if (typeof clientId === 'string') params.set('client_id', clientId);
  if (typeof redirectUri === 'string') params.set('redirect_uri', redirectUri);
  const query = params.size > 0 ? `?${params}` : '';
  return {
    query,
    ...(typeof clientId === 'string' ? { clientId } : {}),
    ...(typeof redirectUri === 'string' ? { redirectUri } : {}),
  };
}

export function manageRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });

  function backLink(req: Request): { query: string; back?: string } {
    const { query, clientId, redirectUri } = backQuery(req);
    if (clientId !== undefined && ctx.clients.get(clientId) === undefined) return { query };
    // 返回业务系统 only to an address registered for that client (or any client when none is named).
    const back = ctx.clients.allowedReturnUrl(redirectUri, clientId);
    return back === undefined ? { query } : { query, back: back.href };
  }

  function render(req: Request, res: Response, status: number, extra: { values?: Record<string, string>; errors?: Record<string, string> } = {}) {
    const current = currentSession(ctx, req);
    if (current === undefined) return;
    securityHeaders(res);
    res
      .status(status)
      .type('html')
      .send(
        managePage({
          account: current.account,
          csrf: current.session.csrf,
          saved: param(req.query, 'saved') === '1' && status === 200 && extra.errors === undefined,
          ...backLink(req),
          ...extra,
        }),
      );
  }

  router.get('/manage/userinfo', async (req, res) => {
    if (currentSession(ctx, req) === undefined) {
      // Log in first, then come back here (with the same back-link parameters).
      const pending = createPending(ctx, req, res, { kind: 'manage', returnTo: `/manage/userinfo${backQuery(req).query}` });
      await renderLogin(ctx, req, res, pending, 'password');
      return;
    }
    render(req, res, 200);
  });

  router.post('/manage/userinfo', form, (req, res) => {
    const current = currentSession(ctx, req);
    const { query } = backQuery(req);
    if (current === undefined) {
      res.redirect(303, `/manage/userinfo${query}`);
      return;
    }
    const csrf = field(req.body, 'csrf');
    if (csrf === undefined || !safeEqual(csrf, current.session.csrf) || req.get('sec-fetch-site') === 'cross-site') {
      sendErrorPage(res, 403, 'invalid_request', 'Invalid CSRF token', '页面已失效，请刷新账号管理页后重试。');
      return;
    }
    const values: Record<string, string> = {};
    for (const key of FIELDS) values[key] = (field(req.body, key) ?? '').trim();
    const result = profileEditSchema.safeParse(values);
    if (!result.success) {
      const errors: Record<string, string> = {};
      for (const issue of result.error.issues) {
        const key = String(issue.path[0]);
        if (key in FIELD_MESSAGES) errors[key] = FIELD_MESSAGES[key] as string;
      }
      render(req, res, 400, { values, errors });
      return;
    }
    ctx.accounts.update(current.account.userId, result.data);
    ctx.logger.info({ event: 'account_updated', userId: current.account.userId, fields: FIELDS }, 'account details edited');
    const params = new URLSearchParams(query.slice(1));
    params.set('saved', '1');
    res.redirect(303, `/manage/userinfo?${params}`);
  });
  return router;
}
