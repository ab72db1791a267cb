/**
 * Single sign-on (7.2.1 c) across two registered clients in one browser, unified logout (5.3,
 * 7.1.1 d) ending it for both, and logout never becoming an open redirect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import {
  CookieJar,
  DEMO,
  SECOND,
  authorizeUrl,
  browse,
  demoAuthorizeParams,
  exchangeCode,
  login,
  startTestSandbox,
  userinfo,
  type TokenSet,
} from './helpers.ts';

let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox();
});
after(() => sb.close());

const secondParams = () => demoAuthorizeParams({ client_id: SECOND.clientId, redirect_uri: SECOND.redirectUri, state: 'second-state' });

function logoutUrl(redirectUri?: string): URL {
  const url = new URL('/oauth/logout', sb.url);
  if (redirectUri !== undefined) url.searchParams.set('redirect_uri', redirectUri);
  return url;
}

describe('single sign-on', () => {
  it('sends a code straight back to a second registered client, for the same user, without a login page', async () => {
    const jar = new CookieJar();
    const first = await login(jar, sb.url);
    const firstTokens = (await (await exchangeCode(sb.url, first.searchParams.get('code') as string)).json()) as TokenSet;

    const res = await browse(jar, authorizeUrl(sb.url, secondParams()));
    assert.equal(res.status, 302, 'no login page: 7.2.1 c');
    const callback = new URL(res.headers.get('location') as string);
    assert.equal(`${callback.origin}${callback.pathname}`, SECOND.redirectUri);
    assert.equal(callback.searchParams.get('state'), 'second-state');
    const secondTokens = (await (await exchangeCode(sb.url, callback.searchParams.get('code') as string, {}, SECOND)).json()) as TokenSet;

    const a = (await (await userinfo(sb.url, firstTokens.access_token)).json()) as { userId: string };
    const b = (await (await userinfo(sb.url, secondTokens.access_token)).json()) as { userId: string };
    assert.equal(a.userId, b.userId);
  });

  it('does not share the session with another browser', async () => {
    await login(new CookieJar(), sb.url);
    const res = await browse(new CookieJar(), authorizeUrl(sb.url, secondParams()));
    assert.equal(res.status, 200, 'a fresh browser sees the login page');
  });

  it('still checks the client and redirect_uri for a browser with a session', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url);
    const res = await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams({ redirect_uri: 'https://evil.example/cb' })));
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });
});

describe('logout', () => {
  it('ends the platform session for both clients and returns to a registered home page', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url);
    assert.equal((await browse(jar, authorizeUrl(sb.url, secondParams()))).status, 302, 'SSO before logout');

    const out = await browse(jar, logoutUrl(DEMO.home));
    assert.equal(out.status, 302);
    assert.equal(out.headers.get('location'), DEMO.home);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('gd_platform_sid='));
    assert.ok(cleared, 'the platform cookie is cleared');
    assert.match(cleared, /Expires=Thu, 01 Jan 1970/);

    for (const params of [demoAuthorizeParams(), secondParams()]) {
      const res = await browse(jar, authorizeUrl(sb.url, params));
      assert.equal(res.status, 200, 'login page again (7.1.3)');
    }
  });

  it('ends the session server-side, so an old cookie copied elsewhere is useless', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url);
    const stolen = new CookieJar();
    for (const [k, v] of jar.cookies) stolen.cookies.set(k, v);
    await browse(jar, logoutUrl());
    assert.equal((await browse(stolen, authorizeUrl(sb.url, demoAuthorizeParams()))).status, 200);
  });

  it('returns to any page on the origin of a registered home page or callback', async () => {
    const res = await fetch(logoutUrl('http://localhost:3001/logged-out?from=platform'), { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'http://localhost:3001/logged-out?from=platform');
  });

  for (const attempt of [
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    'javascript:alert(1)',
    'data:text/html,hi',
    'http://localhost:3000@evil.example/',
    'http://user:pass@localhost:3000/',
    'http://localhost:3999/',
    'https://localhost:3000/',
    'http://localhost.evil.example:3000/',
    '',
  ]) {
    it(`never redirects to ${JSON.stringify(attempt)}, and shows 已退出`, async () => {
      const res = await fetch(logoutUrl(attempt), { redirect: 'manual' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('location'), null);
      assert.match(await res.text(), /已退出/);
    });
  }

  it('shows 已退出 without any redirect_uri', async () => {
    const res = await fetch(logoutUrl(), { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /已退出/);
  });

  it('restricts the return address to the named client when client_id is given', async () => {
    const url = logoutUrl(SECOND.home);
    url.searchParams.set('client_id', DEMO.clientId);
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 200);
  });
});
