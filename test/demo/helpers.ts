/**
 * Test helpers for the sandbox: a real server on an ephemeral port, a one-host cookie jar and a
 * "browser" made of fetch calls that follows the login form the way a person would.
 */
import assert from 'node:assert/strict';
import { startSandbox, type RunningSandbox, type StartSandboxOptions } from '../../demo/sandbox/app.ts';
import { DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE, loadAccounts, loadClients } from '../../demo/sandbox/data.ts';

export const DEMO = {
  clientId: 'demo-business-system',
  clientSecret: 'sandbox-demo-secret-6f1c2b9e4a7d',
  redirectUri: 'http://localhost:3000/auth/callback',
  home: 'http://localhost:3000/',
} as const;

export const SECOND = {
  clientId: 'demo-second-system',
  clientSecret: 'sandbox-second-secret-93ad0e5c71b8',
  redirectUri: 'http://localhost:3001/auth/callback',
  home: 'http://localhost:3001/',
} as const;

export const ZHANGWEI = { account: 'zhangwei', password: 'Demo@2026', userId: 'gd-4400-000001' } as const;

export async function startTestSandbox(overrides: Partial<StartSandboxOptions> = {}): Promise<RunningSandbox> {
  const [clients, accounts] = await Promise.all([loadClients(DEFAULT_CLIENTS_FILE), loadAccounts(DEFAULT_ACCOUNTS_FILE)]);
  return startSandbox({ clients, accounts, ...overrides });
}

/** Cookies of one host (the sandbox), as a browser keeps them. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        return (k.toLowerCase() === 'max-age' && Number(v) <= 0) || (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now());
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** One request as a browser on the sandbox host would make it: cookies in and out, no redirect following. */
export async function browse(jar: CookieJar, url: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.take(res);
  return res;
}

export async function postForm(jar: CookieJar, url: string | URL, fields: Record<string, string>): Promise<Response> {
  return browse(jar, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
}

export interface ParsedForm {
  action: string;
  fields: Record<string, string>;
}

/** The forms of a page: action and the hidden/pre-filled inputs, enough to submit them. */
export function parseForms(html: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = match[1] ?? '';
    const action = /action="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
      const a = input[1] ?? '';
      const name = /name="([^"]*)"/.exec(a)?.[1];
      const value = /value="([^"]*)"/.exec(a)?.[1] ?? '';
      const type = /type="([^"]*)"/.exec(a)?.[1] ?? 'text';
      if (name === undefined) continue;
      if (type === 'radio' && !/\bchecked\b/.test(a)) continue;
      fields[name] = unescapeHtml(value);
    }
    forms.push({ action: unescapeHtml(action), fields });
  }
  return forms;
}

export function formWithAction(html: string, action: string | RegExp): ParsedForm {
  const form = parseForms(html).find((f) => (typeof action === 'string' ? f.action === action : action.test(f.action)));
  assert.ok(form, `no form with action ${String(action)} in the page`);
  return form;
}

function unescapeHtml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');
}

export function authorizeUrl(base: string, params: Record<string, string | undefined>): URL {
  const url = new URL('/oauth/authorize', base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

export function demoAuthorizeParams(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    client_id: DEMO.clientId,
    response_type: 'code',
    redirect_uri: DEMO.redirectUri,
    state: 'state-123',
    scope: 'userinfo',
    ...overrides,
  };
}

/** The error page of an authorize error: its status, data-error and the exact message. */
export async function readErrorPage(res: Response): Promise<{ status: number; error: string | undefined; description: string | undefined }> {
  const html = await res.text();
  return {
    status: res.status,
    error: /data-error="([^"]*)"/.exec(html)?.[1],
    description: unescapeHtml(/<p id="error_description"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? ''),
  };
}

/**
 * GET authorize, fill in the password form, and return the callback URL the platform redirects
 * to (asserting the 302). Uses the jar's platform session when there is one (SSO).
 */
export async function login(
  jar: CookieJar,
  base: string,
  params: Record<string, string | undefined> = demoAuthorizeParams(),
  credentials: { account: string; password: string } = ZHANGWEI,
): Promise<URL> {
  const first = await browse(jar, authorizeUrl(base, params));
  if (first.status === 302) return new URL(first.headers.get('location') as string);
  assert.equal(first.status, 200, 'authorize shows the login page');
  const form = formWithAction(await first.text(), '/oauth/login/password');
  const res = await postForm(jar, new URL(form.action, base), { ...form.fields, ...credentials });
  assert.equal(res.status, 302, 'a correct password redirects to the business system');
  return new URL(res.headers.get('location') as string);
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

export async function tokenRequest(base: string, fields: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v);
  return fetch(new URL('/oauth/token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

export async function exchangeCode(
  base: string,
  code: string,
  extra: Record<string, string | undefined> = {},
  client: { clientId: string; clientSecret: string; redirectUri: string } = DEMO,
): Promise<Response> {
  return tokenRequest(base, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: client.redirectUri,
    client_id: client.clientId,
    client_secret: client.clientSecret,
    ...extra,
  });
}

export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** Log in as zhangwei and exchange the code: a fresh token set. */
export async function loginAndExchange(base: string): Promise<TokenSet> {
  const callback = await login(new CookieJar(), base);
  const res = await exchangeCode(base, callback.searchParams.get('code') as string);
  assert.equal(res.status, 200);
  return (await res.json()) as TokenSet;
}

export async function userinfo(base: string, accessToken: string): Promise<Response> {
  return fetch(new URL('/oauth/getuserinfodetail', base), { headers: { authorization: `Bearer ${accessToken}` } });
}
