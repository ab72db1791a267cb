/**
 * The one edge where errors become HTTP answers, plus the request guards that sit in front of
 * the routes. Handlers only throw; this module decides status, body and what is logged.
 */
import { createHash } from 'node:crypto';
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import { ERROR_CODES, type ErrorCode, type ErrorText } from './error-codes.ts';
import { BffError } from './errors.ts';
import { StoreUnavailableError } from './session/store.ts';
import type { Logger } from './logger.ts';

/** The anti-forgery header: a cross-site form cannot send it, and a cross-site fetch with it needs CORS we never grant. */
export const ANTI_FORGERY_HEADER = 'x-gd-login';

/** Turns anything thrown into a `BffError`; unknown errors are logged in full here and only here. */
export function toBffError(error: unknown, logger: Logger): BffError {
  if (error instanceof BffError) return error;
  if (error instanceof StoreUnavailableError) return new BffError('store_unavailable', { cause: error, detail: error.message });
  const status = (error as { status?: unknown; type?: unknown } | undefined)?.status;
  // Errors from body-parser and other Express middleware carry a 4xx status and a type.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code: ErrorCode = status === 413 ? 'payload_too_large' : 'bad_request';
    return new BffError(code, { cause: error, detail: `${(error as { type?: string }).type ?? 'bad request'}` });
  }
  logger.error({ err: error }, 'unexpected error');
  return new BffError('internal_error', { cause: error });
}

const PAGE_STYLE =
  'body{font:16px/1.6 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1f2933}h1{font-size:1.3em}a{color:#0b5cad}';
const PAGE_STYLE_HASH = `'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A small bilingual page for errors on routes the browser navigates to (login, callback, manage). */
function errorPage(code: ErrorCode): string {
  const { message } = ERROR_CODES[code];
  return `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>登录出错 / Login error</title><style>${PAGE_STYLE}</style>
<h1>登录出错</h1><p>${escapeHtml(message['zh-CN'])}</p><p lang="en">${escapeHtml(message.en)}</p>
<p><small>错误代码 / error code: <code>${code}</code></small></p><p><a href="/">返回首页 / Back to the home page</a></p></html>`;
}

/**
 * The JSON body of an error: the stable code, the English description, and the catalogue's text
 * in both languages, so that the widget shows the same words without carrying the catalogue.
 */
export function errorBody(code: ErrorCode): { error: ErrorCode; error_description: string; message: ErrorText } {
  return { error: code, error_description: ERROR_CODES[code].message.en, message: ERROR_CODES[code].message };
}

/**
 * Sends a JSON answer. Not `res.json()`: every BFF answer is `no-store`, so the ETag Express
 * would compute for it (a SHA-1 of each body) could never be used to revalidate, and skipping it
 * and Express's content-type handling takes about a tenth off a `/auth/me` (docs/benchmarks.md).
 * The error page below is sent the same way.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** Sends one error answer: JSON `{ error, error_description, message }`, or a page when a browser navigated here. */
export function sendError(req: Request, res: Response, error: BffError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const navigating = req.method === 'GET' && req.accepts(['json', 'html']) === 'html';
  if (navigating) {
    res.setHeader('Content-Security-Policy', `default-src 'none'; style-src ${PAGE_STYLE_HASH}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`);
    res.statusCode = error.status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(errorPage(error.code));
    return;
  }
  sendJson(res, error.status, errorBody(error.code));
}

/** Express error middleware: the last handler of the router. */
export function errorEdge(logger: Logger) {
  return function gdErrorEdge(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const bffError = toBffError(error, logger);
    if (bffError.status >= 500) logger.warn({ error: bffError.code, detail: bffError.message, path: req.path }, 'request failed');
    sendError(req, res, bffError);
  };
}

/**
 * Anti-forgery for state-changing routes (RFC 10017 BFF section; OWASP CSRF cheat sheet):
 * POST only, the custom header, and where the browser says where the request comes from
 * (`Origin`, `Sec-Fetch-Site`) it must be this site.
 */
export function requireSameOriginPost(siteOrigin: string): RequestHandler {
  return function gdRequireSameOriginPost(req, _res, next) {
    const fail = (detail: string) => next(new BffError('forbidden_request', { detail }));
    if (req.method !== 'POST') return fail(`${req.method} is not allowed here; use POST with the ${ANTI_FORGERY_HEADER} header`);
    if (req.get(ANTI_FORGERY_HEADER) !== '1') return fail(`missing ${ANTI_FORGERY_HEADER}: 1`);
    const origin = req.get('origin');
    if (origin !== undefined && origin !== siteOrigin) return fail(`Origin ${origin} is not ${siteOrigin}`);
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') return fail(`Sec-Fetch-Site is ${site}`);
    next();
  };
}
