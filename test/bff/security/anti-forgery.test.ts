/**
 * Rule 5: state-changing routes (/logout, /bind, /unbind) need POST, the `X-GD-Login: 1` header and, where the browser
 * says where the request comes from (`Origin`, `Sec-Fetch-Site`), this site. Everything else is
 * 403 `forbidden_request` (RFC 10017 BFF section; OWASP CSRF cheat sheet). No CORS is granted.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LOCAL_ACCOUNT, TestBrowser, at, callbackUrlFor, me, startSecureStack, type SecureStack } from './helpers.ts';

describe('anti-forgery (rule 5)', () => {
  let stack: SecureStack;
  let browser: TestBrowser;
  before(async () => {
    stack = await startSecureStack();
    browser = new TestBrowser();
    await browser.follow(await callbackUrlFor(browser, stack));
  });
  after(() => stack.close());

  const FORGED: Array<[name: string, init: (site: string) => RequestInit]> = [
    [
      'a cross-site HTML form post',
      () => ({ method: 'POST', headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1' }),
    ],
    ['a cross-site text/plain post (a CORS "simple request")', () => ({ method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: '{}' })],
    ['a same-origin post without the header', (site) => ({ method: 'POST', headers: { origin: site } })],
    ['a post with X-GD-Login: 0', (site) => ({ method: 'POST', headers: { origin: site, 'x-gd-login': '0' } })],
    ['a post with X-GD-Login: true', (site) => ({ method: 'POST', headers: { origin: site, 'x-gd-login': 'true' } })],
    ['a post with the header from a foreign Origin', () => ({ method: 'POST', headers: { origin: 'https://evil.example', 'x-gd-login': '1' } })],
    ['a post with the header and Origin: null (sandboxed iframe)', () => ({ method: 'POST', headers: { origin: 'null', 'x-gd-login': '1' } })],
    ['a post with the header from the same host on another port', (site) => ({ method: 'POST', headers: { origin: site.replace(/:\d+$/, ':1'), 'x-gd-login': '1' } })],
    ['a post with the header from a look-alike origin', (site) => ({ method: 'POST', headers: { origin: `${site}.evil.example`, 'x-gd-login': '1' } })],
    ['a post with the header from the https twin of the site', (site) => ({ method: 'POST', headers: { origin: site.replace('http:', 'https:'), 'x-gd-login': '1' } })],
    ['a post with the header and Sec-Fetch-Site: cross-site', () => ({ method: 'POST', headers: { 'sec-fetch-site': 'cross-site', 'x-gd-login': '1' } })],
    ['a post with the header and Sec-Fetch-Site: same-site (a sibling subdomain)', () => ({ method: 'POST', headers: { 'sec-fetch-site': 'same-site', 'x-gd-login': '1' } })],
    ['a post with the header and Sec-Fetch-Site: none (typed or bookmarked)', () => ({ method: 'POST', headers: { 'sec-fetch-site': 'none', 'x-gd-login': '1' } })],
    ['a GET (a link or an image)', (site) => ({ method: 'GET', headers: { origin: site, 'x-gd-login': '1' } })],
    ['a PUT with the header', (site) => ({ method: 'PUT', headers: { origin: site, 'x-gd-login': '1' } })],
    ['a DELETE with the header', (site) => ({ method: 'DELETE', headers: { origin: site, 'x-gd-login': '1' } })],
    ['a PATCH with the header', (site) => ({ method: 'PATCH', headers: { origin: site, 'x-gd-login': '1' } })],
    ['a CORS preflight (OPTIONS)', () => ({ method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-gd-login' } })],
  ];

  for (const [name, init] of FORGED) {
    for (const route of ['/auth/logout', '/auth/bind', '/auth/unbind']) {
      // Every forgery against logout; the ones a browser can actually make against bind and unbind.
      if (route !== '/auth/logout' && !/form post|simple request|without the header|foreign Origin|cross-site|GET/.test(name)) continue;
      it(`refuses ${name} on ${route} with 403 forbidden_request`, async () => {
        const request = init(stack.siteOrigin);
        if (route === '/auth/bind' && request.method === 'POST' && request.body === undefined) {
          // The right local password: only the forgery itself may be what is refused.
          request.body = JSON.stringify(LOCAL_ACCOUNT);
          request.headers = { ...(request.headers as Record<string, string>), 'content-type': 'application/json' };
        }
        const response = await browser.request(at(stack, route), request);
        assert.equal(response.status, 403);
        assert.equal(response.headers.get('access-control-allow-origin'), null);
        assert.equal(response.headers.get('access-control-allow-credentials'), null);
        const body = await response.json();
        assert.equal(body.error, 'forbidden_request');
        assert.equal(typeof body.error_description, 'string');
        assert.equal((await me(browser, stack, '?touch=0')).status, 200, 'the user is still logged in');
        assert.equal((await me(browser, stack, '?touch=0')).body.bound, false, 'and not bound');
      });
    }
  }

  it('grants no CORS to a foreign Origin reading /auth/me with credentials', async () => {
    const response = await browser.request(at(stack, '/auth/me'), { headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
  });

  it('answers a preflight for /auth/me with 405 and no CORS headers', async () => {
    const response = await fetch(at(stack, '/auth/me'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-gd-login' },
    });
    assert.equal(response.status, 405);
    for (const header of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'access-control-allow-credentials']) {
      assert.equal(response.headers.get(header), null, header);
    }
  });

  it('accepts the genuine request: POST, X-GD-Login: 1, same Origin, Sec-Fetch-Site: same-origin', async () => {
    const genuine = new TestBrowser();
    await genuine.follow(await callbackUrlFor(genuine, stack));
    const response = await genuine.request(at(stack, '/auth/logout'), {
      method: 'POST',
      headers: { origin: stack.siteOrigin, 'sec-fetch-site': 'same-origin', 'x-gd-login': '1' },
    });
    assert.equal(response.status, 200);
    assert.equal((await me(genuine, stack)).status, 401);
  });

  it('accepts a genuine bind and unbind: POST, X-GD-Login: 1, same Origin, JSON body', async () => {
    const genuine = new TestBrowser();
    await genuine.follow(await callbackUrlFor(genuine, stack, { account: 'chenzhiqiang' }));
    const headers = { origin: stack.siteOrigin, 'sec-fetch-site': 'same-origin', 'x-gd-login': '1', 'content-type': 'application/json' };
    const bound = await genuine.request(at(stack, '/auth/bind'), { method: 'POST', headers, body: JSON.stringify(LOCAL_ACCOUNT) });
    assert.equal(bound.status, 200);
    assert.equal((await me(genuine, stack)).body.bound, true);
    const unbound = await genuine.request(at(stack, '/auth/unbind'), { method: 'POST', headers });
    assert.equal(unbound.status, 200);
    assert.equal((await me(genuine, stack)).body.bound, false);
  });
});
