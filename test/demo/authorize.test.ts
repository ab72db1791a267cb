/**
 * authorize: errors before and after the redirect_uri is trusted, the password login page, its
 * CSRF protection and headers, and the code redirect built with the URL API (7.2.1 b).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import {
  CookieJar,
  DEMO,
  ZHANGWEI,
  authorizeUrl,
  browse,
  demoAuthorizeParams,
  formWithAction,
  login,
  postForm,
  readErrorPage,
  startTestSandbox,
} from './helpers.ts';

let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox();
});
after(() => sb.close());

function errorRedirect(res: Response) {
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get('location') as string);
  assert.equal(`${location.origin}${location.pathname}`, DEMO.redirectUri);
  return location.searchParams;
}

describe('authorize errors', () => {
  it('never redirects for a missing redirect_uri', async () => {
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ redirect_uri: undefined })), { redirect: 'manual' });
    const page = await readErrorPage(res);
    assert.equal(page.status, 400);
    assert.ok(page.description?.startsWith('Invalid redirect'));
  });

  it('compares redirect_uri exactly: a trailing slash or other case is not registered', async () => {
    for (const redirect_uri of [`${DEMO.redirectUri}/`, DEMO.redirectUri.toUpperCase(), `${DEMO.redirectUri}?x=1`]) {
      const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ redirect_uri })), { redirect: 'manual' });
      assert.equal(res.status, 400, redirect_uri);
      assert.ok((await readErrorPage(res)).description?.startsWith('Invalid redirect'));
    }
  });

  it('escapes the shown redirect_uri on the error page', async () => {
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ redirect_uri: 'http://x/"><script>alert(1)</script>' })));
    const html = await res.text();
    assert.doesNotMatch(html, /<script>alert/);
  });

  it('redirects unsupported_response_type with state when response_type is not code (RFC 6749 §4.1.2.1)', async () => {
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ response_type: 'token' })), { redirect: 'manual' });
    const params = errorRedirect(res);
    assert.equal(params.get('error'), 'unsupported_response_type');
    assert.equal(params.get('state'), 'state-123');
    assert.ok(params.get('error_description'));
  });

  it('redirects invalid_request when response_type is missing', async () => {
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ response_type: undefined })), { redirect: 'manual' });
    assert.equal(errorRedirect(res).get('error'), 'invalid_request');
  });

  it('redirects invalid_request for code_challenge_method=plain', async () => {
    const res = await fetch(
      authorizeUrl(sb.url, demoAuthorizeParams({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })),
      { redirect: 'manual' },
    );
    const params = errorRedirect(res);
    assert.equal(params.get('error'), 'invalid_request');
    assert.match(params.get('error_description') ?? '', /S256/);
  });

  it('redirects invalid_request when a client with pkce "required" sends no code_challenge', async () => {
    sb.sandbox.upsertClient({ ...sb.sandbox.getClient(DEMO.clientId)!, client_id: 'pkce-required', pkce: 'required' });
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ client_id: 'pkce-required' })), { redirect: 'manual' });
    assert.equal(errorRedirect(res).get('error'), 'invalid_request');
  });

  it('redirects invalid_request for a repeated parameter (RFC 6749 §3.1)', async () => {
    const url = authorizeUrl(sb.url, demoAuthorizeParams());
    url.searchParams.append('response_type', 'code');
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(errorRedirect(res).get('error'), 'invalid_request');
  });
});

describe('password login page', () => {
  it('is a zh-CN page with the form, a strict CSP, no framing and no inline script', async () => {
    const res = await browse(new CookieJar(), authorizeUrl(sb.url, demoAuthorizeParams()));
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    // The form may end at the business system's callback after the 302.
    assert.match(csp, /form-action 'self' http:\/\/localhost:3000/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const html = await res.text();
    assert.match(html, /<html lang="zh-CN">/);
    assert.match(html, /<form method="post" action="\/oauth\/login\/password"/);
    assert.match(html, /<input[^>]*name="account"/);
    assert.match(html, /<input[^>]*name="password"[^>]*type="password"|<input[^>]*type="password"[^>]*name="password"/);
    assert.match(html, /<button type="submit"[^>]*>登录<\/button>/);
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /\sstyle="/, 'no inline style');
  });

  it('redirects to redirect_uri with code and the original state, URL-encoded (7.2.1 b)', async () => {
    const state = 'a b&c=d/é?#';
    const callback = await login(new CookieJar(), sb.url, demoAuthorizeParams({ state }));
    assert.equal(`${callback.origin}${callback.pathname}`, DEMO.redirectUri);
    assert.equal(callback.searchParams.get('state'), state);
    assert.ok(callback.searchParams.get('code'));
  });

  it('keeps the query string already in a registered redirect_uri', async () => {
    sb.sandbox.upsertClient({
      client_id: 'query-callback',
      client_secret: 'query-callback-secret',
      system_name: '带参数回调测试系统',
      redirect_uris: { test: ['http://localhost:3006/cb?tenant=gz'] },
    });
    const callback = await login(new CookieJar(), sb.url, demoAuthorizeParams({ client_id: 'query-callback', redirect_uri: 'http://localhost:3006/cb?tenant=gz' }));
    assert.equal(callback.searchParams.get('tenant'), 'gz');
    assert.ok(callback.searchParams.get('code'));
  });

  it('sets the platform session cookie HttpOnly, SameSite=Lax, Path=/', async () => {
    const jar = new CookieJar();
    const page = await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams()));
    const form = formWithAction(await page.text(), '/oauth/login/password');
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('gd_platform_sid='));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
  });

  it('answers a wrong password with 账号或密码错误 and the same message for an unknown account', async () => {
    for (const credentials of [{ account: 'zhangwei', password: 'wrong' }, { account: 'nobody', password: 'Demo@2026' }]) {
      const jar = new CookieJar();
      const page = await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams()));
      const form = formWithAction(await page.text(), '/oauth/login/password');
      const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...credentials });
      assert.equal(res.status, 401);
      const html = await res.text();
      assert.match(html, /账号或密码错误/);
      // The page stays usable: the same form can be posted again with the right password.
      const retry = await postForm(jar, new URL(form.action, sb.url), { ...formWithAction(html, '/oauth/login/password').fields, ...ZHANGWEI });
      assert.equal(retry.status, 302);
    }
  });

  it('accepts the form posted back to the authorize URL itself', async () => {
    const jar = new CookieJar();
    const url = authorizeUrl(sb.url, demoAuthorizeParams());
    const form = formWithAction(await (await browse(jar, url)).text(), '/oauth/login/password');
    const res = await postForm(jar, url, { ...form.fields, ...ZHANGWEI });
    assert.equal(res.status, 302);
  });

  it('refuses a form posted from another browser (no binding cookie): login CSRF', async () => {
    const page = await browse(new CookieJar(), authorizeUrl(sb.url, demoAuthorizeParams()));
    const form = formWithAction(await page.text(), '/oauth/login/password');
    const res = await postForm(new CookieJar(), new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI });
    assert.equal(res.status, 403);
    assert.equal((await readErrorPage(res)).error, 'invalid_request');
  });

  it('refuses a form with a wrong CSRF token', async () => {
    const jar = new CookieJar();
    const form = formWithAction(await (await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams()))).text(), '/oauth/login/password');
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, csrf: 'forged', ...ZHANGWEI });
    assert.equal(res.status, 403);
  });

  it('refuses a cross-site form submission (Sec-Fetch-Site)', async () => {
    const jar = new CookieJar();
    const form = formWithAction(await (await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams()))).text(), '/oauth/login/password');
    const res = await browse(jar, new URL(form.action, sb.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ ...form.fields, ...ZHANGWEI }),
    });
    assert.equal(res.status, 403);
  });

  it('refuses to reuse a login form after it was used (single-use pending login)', async () => {
    const jar = new CookieJar();
    const form = formWithAction(await (await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams()))).text(), '/oauth/login/password');
    assert.equal((await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI })).status, 302);
    const again = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI });
    assert.equal(again.status, 400);
  });

  it('validates the client again on POST: a client removed meanwhile gets Bad client credentials', async () => {
    sb.sandbox.upsertClient({ ...sb.sandbox.getClient(DEMO.clientId)!, client_id: 'short-lived' });
    const jar = new CookieJar();
    const form = formWithAction(
      await (await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams({ client_id: 'short-lived' })))).text(),
      '/oauth/login/password',
    );
    sb.sandbox.removeClient('short-lived');
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI });
    assert.equal(res.status, 400);
    assert.equal((await readErrorPage(res)).description, 'Bad client credentials');
  });
});
