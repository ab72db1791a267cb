/**
 * Malformed and odd requests against every route: repeated and huge query parameters, bad
 * percent-encoding, oversized URLs and headers, bad bodies, unknown routes and methods, and
 * requests the HTTP parser itself must refuse. Each gets a 4xx (or the documented fallback),
 * never a 5xx, and the BFF keeps serving.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser, assertNo5xx, at, callbackUrlFor, me, rawRequest, startSecureStack, type SecureStack } from './helpers.ts';

describe('malformed requests', () => {
  let stack: SecureStack;
  let user: TestBrowser;
  before(async () => {
    stack = await startSecureStack();
    user = new TestBrowser();
    await user.follow(await callbackUrlFor(user, stack));
  });
  after(async () => {
    // The BFF is still up and the logged-in user still served after all of it.
    assert.equal((await me(user, stack)).status, 200);
    await stack.close();
  });

  const REQUESTS: Array<[name: string, path: string, init: RequestInit, expected: number]> = [
    ['/login with bad percent-encoding in returnTo', '/auth/login?returnTo=%E0%A4%A', {}, 302],
    ['/login with 1000 repeated parameters', `/auth/login?${'a=1&'.repeat(1000)}`, {}, 302],
    ['/login with a 10 kB returnTo', `/auth/login?returnTo=/${'x'.repeat(10_000)}`, {}, 302],
    ['/login with a returnTo object (returnTo[a]=b)', '/auth/login?returnTo[a]=//evil.example', {}, 302],
    ['/callback with only garbage (?%=&&&==)', '/auth/callback?%=&&&==', {}, 302],
    ['/callback with a 10 kB code and state', `/auth/callback?code=${'c'.repeat(5000)}&state=${'s'.repeat(5000)}`, {}, 302],
    ['/me with touch repeated', '/auth/me?touch=0&touch=1', {}, 401],
    ['/me with a bad Accept header', '/auth/me', { headers: { accept: '\u00ff/\u00ff;q=x' } }, 401],
    ['an unknown route', '/auth/admin', {}, 404],
    ['a path with bad percent-encoding', '/auth/%E0%A4%A', {}, 404],
    ['an encoded traversal', '/auth/..%2F..%2Fetc%2Fpasswd', {}, 404],
    ['POST /me', '/auth/me', { method: 'POST' }, 405],
    ['PUT /login', '/auth/login', { method: 'PUT' }, 405],
    ['DELETE /callback', '/auth/callback', { method: 'DELETE' }, 405],
    ['PATCH /manage', '/auth/manage', { method: 'PATCH' }, 405],
    ['POST /verify', '/auth/verify', { method: 'POST' }, 405],
    ['/manage without a session', '/auth/manage', { headers: { accept: 'application/json' } }, 401],
    ['/verify without a session', '/auth/verify', {}, 401],
    [
      'POST /logout with a broken JSON body',
      '/auth/logout',
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-gd-login': '1' }, body: '{"broken' },
      200,
    ],
    [
      'POST /logout with a 1 MB body',
      '/auth/logout',
      { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'x-gd-login': '1' }, body: new Uint8Array(1 << 20) },
      200,
    ],
    ['a 200 kB URL', `/auth/me?x=${'y'.repeat(200_000)}`, {}, 431],
    ['a 20 kB custom header', '/auth/me', { headers: { 'x-junk': 'j'.repeat(20_000) } }, 431],
  ];

  for (const [name, path, init, expected] of REQUESTS) {
    it(`answers ${name} with ${expected}`, async () => {
      const response = await fetch(at(stack, path), { redirect: 'manual', ...init });
      assertNo5xx(response, name);
      assert.equal(response.status, expected);
      if (expected === 302) {
        const location = new URL(response.headers.get('location')!, stack.url);
        assert.ok([new URL(stack.url).origin, new URL(stack.sandboxUrl).origin].includes(location.origin), `redirects only to the site or the platform: ${location.origin}`);
      }
    });
  }

  const BIND_BODIES: Array<[name: string, contentType: string, body: string, status: number, error: string]> = [
    ['broken JSON', 'application/json', '{"username":', 400, 'bad_request'],
    ['a JSON array', 'application/json', '[1,2]', 400, 'bad_request'],
    ['a JSON string', 'application/json', '"local.user"', 400, 'bad_request'],
    ['no username', 'application/json', '{"password":"x"}', 400, 'bad_request'],
    ['a username that is an object', 'application/json', '{"username":{"$ne":""},"password":"x"}', 400, 'bad_request'],
    ['a 300-character password', 'application/json', JSON.stringify({ username: 'local.user', password: 'p'.repeat(300) }), 400, 'bad_request'],
    ['a form-encoded body', 'application/x-www-form-urlencoded', 'username=local.user&password=Local%402026', 400, 'bad_request'],
    ['a 100 kB body', 'application/json', JSON.stringify({ username: 'local.user', password: 'x', pad: 'p'.repeat(100_000) }), 413, 'payload_too_large'],
    ['a prototype-pollution attempt', 'application/json', '{"__proto__":{"admin":true},"username":"local.user","password":"wrong"}', 400, 'invalid_local_credentials'],
    ['the wrong local password', 'application/json', JSON.stringify({ username: 'local.user', password: 'guess' }), 400, 'invalid_local_credentials'],
  ];
  for (const [name, contentType, body, status, error] of BIND_BODIES) {
    it(`answers POST /bind with ${name} with ${status} ${error}`, async () => {
      const response = await user.request(at(stack, '/auth/bind'), {
        method: 'POST',
        headers: { 'x-gd-login': '1', origin: stack.siteOrigin, 'content-type': contentType },
        body,
      });
      assert.equal(response.status, status);
      assert.equal((await response.json()).error, error);
      assert.equal((await me(user, stack, '?touch=0')).body.bound, false);
    });
  }

  const RAW: Array<[name: string, text: string]> = [
    ['an unknown HTTP method', 'BREW /auth/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
    ['a request-smuggling attempt (Content-Length with Transfer-Encoding)', 'POST /auth/logout HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'],
    ['a header without a colon', 'GET /auth/me HTTP/1.1\r\nHost: localhost\r\nthis is not a header\r\nConnection: close\r\n\r\n'],
    ['a raw traversal path', 'GET /auth/../../../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
    ['a TRACE request', 'TRACE /auth/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
  ];
  for (const [name, text] of RAW) {
    it(`refuses ${name} with a 4xx`, async () => {
      const status = await rawRequest(stack, text);
      assert.ok(status >= 400 && status < 500, `got ${status}`);
    });
  }
});
