/**
 * Every row of Table 2 (clause 7.2.3) is reachable and answers with the standard's exact message
 * at the start of error_description (authorize: on an error page, never a redirect).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import {
  CookieJar,
  DEMO,
  authorizeUrl,
  basic,
  demoAuthorizeParams,
  exchangeCode,
  login,
  readErrorPage,
  startTestSandbox,
  tokenRequest,
} from './helpers.ts';

let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox();
});
after(() => sb.close());

async function oauthError(res: Response) {
  const body = (await res.json()) as { error: string; error_description: string };
  return { status: res.status, ...body };
}

describe('Table 2: authorize', () => {
  it('shows "Invalid redirect" on an error page when redirect_uri is not registered, without redirecting', async () => {
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ redirect_uri: 'http://localhost:3000/elsewhere' })), {
      redirect: 'manual',
    });
    assert.equal(res.headers.get('location'), null);
    const page = await readErrorPage(res);
    assert.equal(page.status, 400);
    assert.equal(page.error, 'invalid_request');
    assert.ok(page.description?.startsWith('Invalid redirect'), page.description);
  });

  it('shows "Bad client credentials" on an error page when client_id is unknown, without redirecting', async () => {
    const res = await fetch(authorizeUrl(sb.url, demoAuthorizeParams({ client_id: 'no-such-system' })), { redirect: 'manual' });
    assert.equal(res.headers.get('location'), null);
    const page = await readErrorPage(res);
    assert.equal(page.status, 400);
    assert.equal(page.error, 'invalid_client');
    assert.ok(page.description?.startsWith('Bad client credentials'), page.description);
  });
});

describe('Table 2: token', () => {
  it('answers "Invalid authorization code" for an unknown code', async () => {
    const e = await oauthError(await exchangeCode(sb.url, 'not-a-code-the-platform-issued'));
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_grant');
    assert.ok(e.error_description.startsWith('Invalid authorization code'), e.error_description);
  });

  it('answers "Bad credentials" for a wrong client_secret (form parameters)', async () => {
    const e = await oauthError(await exchangeCode(sb.url, 'whatever', { client_secret: 'wrong-secret-value' }));
    assert.equal(e.status, 401);
    assert.equal(e.error, 'invalid_client');
    assert.ok(e.error_description.startsWith('Bad credentials'), e.error_description);
  });

  it('answers "Bad credentials" with a Basic challenge for a wrong client_id over HTTP Basic', async () => {
    const res = await tokenRequest(
      sb.url,
      { grant_type: 'authorization_code', code: 'x', redirect_uri: DEMO.redirectUri },
      { authorization: basic('no-such-system', DEMO.clientSecret) },
    );
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic /);
    const e = await oauthError(res);
    assert.equal(e.status, 401);
    assert.equal(e.error, 'invalid_client');
    assert.ok(e.error_description.startsWith('Bad credentials'));
  });

  it('answers "Redirect URI mismatch" when redirect_uri differs from the one at authorize', async () => {
    const callback = await login(new CookieJar(), sb.url);
    const e = await oauthError(
      await exchangeCode(sb.url, callback.searchParams.get('code') as string, { redirect_uri: 'http://127.0.0.1:3000/auth/callback' }),
    );
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_grant');
    assert.ok(e.error_description.startsWith('Redirect URI mismatch'), e.error_description);
  });

  it('answers "Missing grant type" when grant_type is absent', async () => {
    const e = await oauthError(await exchangeCode(sb.url, 'x', { grant_type: undefined }));
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_request');
    assert.ok(e.error_description.startsWith('Missing grant type'), e.error_description);
  });

  it('answers "Unsupported grant type" for grant_type=password', async () => {
    const e = await oauthError(await exchangeCode(sb.url, 'x', { grant_type: 'password' }));
    assert.equal(e.status, 400);
    assert.equal(e.error, 'unsupported_grant_type');
    assert.ok(e.error_description.startsWith('Unsupported grant type'), e.error_description);
  });

  it('answers "Invalid refresh token" for a refresh token the platform never issued', async () => {
    const e = await oauthError(
      await tokenRequest(sb.url, {
        grant_type: 'refresh_token',
        refresh_token: 'never-issued',
        client_id: DEMO.clientId,
        client_secret: DEMO.clientSecret,
      }),
    );
    assert.equal(e.status, 400);
    assert.equal(e.error, 'invalid_grant');
    assert.ok(e.error_description.startsWith('Invalid refresh token'), e.error_description);
  });
});
