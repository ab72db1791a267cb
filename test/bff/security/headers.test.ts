/**
 * Rule 7: helmet with a strict CSP (nothing inline may run), frame-ancestors 'none',
 * Referrer-Policy: no-referrer (the callback URL carries the code, RFC 9700 4.2.4),
 * Cache-Control: no-store on every /auth answer, HSTS only over HTTPS. Also: the Host header
 * cannot steer where the BFF sends the browser.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBff } from '../../../bff/index.ts';
import { TestBrowser, at, callbackUrlFor, startLogin, startSecureStack, type SecureStack } from './helpers.ts';

function assertBffHeaders(response: Response, what: string): void {
  const h = response.headers;
  assert.equal(h.get('cache-control'), 'no-store', `${what}: Cache-Control`);
  // A no-store answer is never revalidated, so no ETag is computed for it.
  assert.equal(h.get('etag'), null, `${what}: ETag`);
  assert.equal(h.get('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(h.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  const csp = h.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/, `${what}: CSP default-src`);
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|script-src/, `${what}: no script may run`);
  assert.equal(h.get('x-powered-by'), null, `${what}: X-Powered-By`);
  assert.equal(h.get('strict-transport-security'), null, `${what}: no HSTS over plain http`);
}

describe('security headers (rule 7)', () => {
  let stack: SecureStack;
  let browser: TestBrowser;
  before(async () => {
    stack = await startSecureStack();
    browser = new TestBrowser();
  });
  after(() => stack.close());

  it('sends them on the login redirect, the callback, /me, logout, 403, 404 and 405 answers', async () => {
    const { response: loginResponse } = await startLogin(browser, stack);
    assertBffHeaders(loginResponse, 'GET /login');
    const callback = await browser.request(await callbackUrlFor(browser, stack));
    assert.equal(callback.status, 302);
    assertBffHeaders(callback, 'GET /callback');
    for (const [method, path, status] of [
      ['GET', '/auth/me', 200],
      ['POST', '/auth/logout', 403],
      ['GET', '/auth/no-such-route', 404],
      ['DELETE', '/auth/me', 405],
      ['GET', '/auth/healthz', 200],
    ] as const) {
      const response = await browser.request(at(stack, path), { method });
      assert.equal(response.status, status, `${method} ${path}`);
      assertBffHeaders(response, `${method} ${path}`);
    }
  });

  it('serves the error page for a navigation with a CSP that allows no script and escapes nothing from the request', async () => {
    const response = await fetch(at(stack, '/auth/%3Cscript%3Ealert(1)%3C%2Fscript%3E'), { headers: { accept: 'text/html' } });
    assert.equal(response.status, 404);
    assertBffHeaders(response, 'error page');
    const page = await response.text();
    assert.doesNotMatch(page, /<script/i);
    assert.match(response.headers.get('content-security-policy')!, /style-src 'sha256-/);
  });

  it('ignores a forged Host or X-Forwarded-Host: the authorize redirect_uri is always the configured one', async () => {
    const forged: Array<Record<string, string>> = [{ host: 'evil.example' }, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }];
    for (const headers of forged) {
      const response = await fetch(at(stack, '/auth/login'), { headers, redirect: 'manual' });
      const authorize = new URL(response.headers.get('location')!);
      assert.equal(authorize.origin, new URL(stack.sandboxUrl).origin);
      assert.equal(authorize.searchParams.get('redirect_uri'), at(stack, '/auth/callback'));
    }
  });
});

describe('HSTS behind an HTTPS reverse proxy (rule 7)', () => {
  it('sends Strict-Transport-Security when the request came over HTTPS, and not otherwise', async () => {
    const bff = createBff(
      { mode: 'development', platformUrl: 'http://127.0.0.1:9', clientId: 'c', clientSecret: 'a-long-enough-secret-value', redirectUri: 'https://site.example/auth/callback', logLevel: 'silent', databaseUrl: 'sqlite::memory:' },
      {},
    );
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use('/auth', bff);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const https = await fetch(`${base}/auth/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
      assert.match(https.headers.get('strict-transport-security') ?? '', /max-age=31536000; includeSubDomains/);
      const plain = await fetch(`${base}/auth/healthz`);
      assert.equal(plain.headers.get('strict-transport-security'), null);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bff.close();
    }
  });
});
