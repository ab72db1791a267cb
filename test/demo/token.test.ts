/**
 * The token endpoint and getuserinfodetail: single-use codes bound to client and redirect_uri,
 * code expiry by an injected clock, PKCE, refresh rotation, client authentication, bad bodies.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import {
  CookieJar,
  DEMO,
  SECOND,
  ZHANGWEI,
  basic,
  demoAuthorizeParams,
  exchangeCode,
  login,
  loginAndExchange,
  startTestSandbox,
  tokenRequest,
  userinfo,
  type TokenSet,
} from './helpers.ts';

let nowMs = Date.parse('2026-03-01T09:00:00+08:00');
let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox({ now: () => nowMs, codeTtlSeconds: 300, accessTokenTtlSeconds: 7200 });
});
after(() => sb.close());

async function body(res: Response) {
  return (await res.json()) as Record<string, unknown>;
}

async function freshCode(params = demoAuthorizeParams()): Promise<string> {
  const callback = await login(new CookieJar(), sb.url, params);
  return callback.searchParams.get('code') as string;
}

function refresh(refreshToken: string, client: { clientId: string; clientSecret: string } = DEMO) {
  return tokenRequest(sb.url, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: client.clientId,
    client_secret: client.clientSecret,
  });
}

describe('authorization_code grant', () => {
  it('answers RFC 6749 §5.1 JSON, not cacheable, and the token reads the user detail of docs/contracts.md', async () => {
    const res = await exchangeCode(sb.url, await freshCode());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const tokens = (await res.json()) as TokenSet;
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 7200);
    assert.equal(tokens.scope, 'userinfo');
    assert.ok(tokens.access_token.length >= 32);
    assert.ok(tokens.refresh_token.length >= 32);
    const info = await userinfo(sb.url, tokens.access_token);
    assert.equal(info.status, 200);
    assert.deepEqual(await info.json(), {
      userId: 'gd-4400-000001',
      account: 'zhangwei',
      name: '张伟',
      orgName: '广东省政务服务和数据管理局',
      orgCode: '11440000MB2C92166A',
      deptName: '数据资源处',
      title: '主任科员',
      mobile: '13800138001',
      email: 'zhangwei@gd.gov.cn',
    });
  });

  it('accepts HTTP Basic client authentication with form-urlencoded parts (RFC 6749 §2.3.1)', async () => {
    sb.sandbox.upsertClient({
      client_id: 'odd-secret-system',
      client_secret: 'p@ss:w+rd%20/?&=',
      system_name: '特殊字符密钥测试系统',
      redirect_uris: { test: ['http://localhost:3005/cb'] },
    });
    const code = await freshCode(demoAuthorizeParams({ client_id: 'odd-secret-system', redirect_uri: 'http://localhost:3005/cb' }));
    const res = await tokenRequest(
      sb.url,
      { grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:3005/cb' },
      { authorization: basic('odd-secret-system', 'p@ss:w+rd%20/?&=') },
    );
    assert.equal(res.status, 200, JSON.stringify(await res.clone().json()));
  });

  it('refuses Basic and client_secret in the body together (one method per request, RFC 6749 §2.3)', async () => {
    const res = await tokenRequest(
      sb.url,
      { grant_type: 'authorization_code', code: 'x', redirect_uri: DEMO.redirectUri, client_secret: DEMO.clientSecret },
      { authorization: basic(DEMO.clientId, DEMO.clientSecret) },
    );
    assert.equal(res.status, 400);
    assert.equal((await body(res))['error'], 'invalid_request');
  });

  it('refuses a replayed code and revokes the tokens issued from it (RFC 6749 §4.1.2)', async () => {
    const code = await freshCode();
    const first = (await (await exchangeCode(sb.url, code)).json()) as TokenSet;
    assert.equal((await userinfo(sb.url, first.access_token)).status, 200);

    const replay = await exchangeCode(sb.url, code);
    assert.equal(replay.status, 400);
    const e = await body(replay);
    assert.equal(e['error'], 'invalid_grant');
    assert.match(String(e['error_description']), /^Invalid authorization code/);

    assert.equal((await userinfo(sb.url, first.access_token)).status, 401, 'access token revoked');
    assert.equal((await refresh(first.refresh_token)).status, 400, 'refresh token revoked');
  });

  it('refuses a code after codeTtlSeconds (clock injected)', async () => {
    const code = await freshCode();
    nowMs += 301_000;
    const res = await exchangeCode(sb.url, code);
    assert.equal(res.status, 400);
    const e = await body(res);
    assert.equal(e['error'], 'invalid_grant');
    assert.match(String(e['error_description']), /^Invalid authorization code/);
  });

  it('accepts a code just before it expires', async () => {
    const code = await freshCode();
    nowMs += 299_000;
    assert.equal((await exchangeCode(sb.url, code)).status, 200);
  });

  it('refuses a code presented by another client, and the code is spent by that check', async () => {
    const code = await freshCode();
    const res = await exchangeCode(sb.url, code, {}, { ...SECOND, redirectUri: DEMO.redirectUri });
    assert.equal(res.status, 400);
    const e = await body(res);
    assert.equal(e['error'], 'invalid_grant');
    assert.match(String(e['error_description']), /^Invalid authorization code/);
    // Table 2: "授权码一次核验则失效" — the rightful client cannot use it afterwards either.
    assert.equal((await exchangeCode(sb.url, code)).status, 400);
  });

  it('refuses a code with another registered redirect_uri of the same client', async () => {
    const code = await freshCode();
    const res = await exchangeCode(sb.url, code, { redirect_uri: 'https://demo.example.gov.cn/auth/callback' });
    assert.equal(res.status, 400);
    assert.match(String((await body(res))['error_description']), /^Redirect URI mismatch/);
  });

  it('refuses a token request without redirect_uri as Redirect URI mismatch', async () => {
    const res = await exchangeCode(sb.url, await freshCode(), { redirect_uri: undefined });
    assert.equal(res.status, 400);
    assert.match(String((await body(res))['error_description']), /^Redirect URI mismatch/);
  });
});

describe('PKCE (RFC 7636, S256)', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  it('issues tokens for the right code_verifier', async () => {
    const code = await freshCode(demoAuthorizeParams({ code_challenge: challenge, code_challenge_method: 'S256' }));
    assert.equal((await exchangeCode(sb.url, code, { code_verifier: verifier })).status, 200);
  });

  it('refuses a wrong code_verifier', async () => {
    const code = await freshCode(demoAuthorizeParams({ code_challenge: challenge, code_challenge_method: 'S256' }));
    const res = await exchangeCode(sb.url, code, { code_verifier: 'x'.repeat(43) });
    assert.equal(res.status, 400);
    const e = await body(res);
    assert.equal(e['error'], 'invalid_grant');
    assert.match(String(e['error_description']), /code_verifier does not match/);
  });

  it('refuses a missing code_verifier when the code was issued with a challenge', async () => {
    const code = await freshCode(demoAuthorizeParams({ code_challenge: challenge, code_challenge_method: 'S256' }));
    const res = await exchangeCode(sb.url, code);
    assert.equal(res.status, 400);
    assert.equal((await body(res))['error'], 'invalid_grant');
  });

  it('refuses a code_verifier for a code issued without a challenge (RFC 9700 §2.1.1)', async () => {
    const res = await exchangeCode(sb.url, await freshCode(), { code_verifier: verifier });
    assert.equal(res.status, 400);
    assert.equal((await body(res))['error'], 'invalid_grant');
  });
});

describe('refresh_token grant (rotation on)', () => {
  it('returns a working access token and a new refresh token; the old refresh token stops working', async () => {
    const first = await loginAndExchange(sb.url);
    const res = await refresh(first.refresh_token);
    assert.equal(res.status, 200);
    const second = (await res.json()) as TokenSet;
    assert.notEqual(second.access_token, first.access_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal((await userinfo(sb.url, second.access_token)).status, 200);
    // The earlier access token lives on until its own expiry.
    assert.equal((await userinfo(sb.url, first.access_token)).status, 200);

    const reuse = await refresh(first.refresh_token);
    assert.equal(reuse.status, 400);
    assert.match(String((await body(reuse))['error_description']), /^Invalid refresh token/);
    // Reuse of a rotated token means it leaked: the whole grant is revoked (RFC 9700 §4.14.2).
    assert.equal((await userinfo(sb.url, second.access_token)).status, 401);
    assert.equal((await refresh(second.refresh_token)).status, 400);
  });

  it('refuses a refresh token presented by another client', async () => {
    const tokens = await loginAndExchange(sb.url);
    const res = await refresh(tokens.refresh_token, SECOND);
    assert.equal(res.status, 400);
    assert.match(String((await body(res))['error_description']), /^Invalid refresh token/);
  });

  it('refuses a wider scope than the one granted', async () => {
    const tokens = await loginAndExchange(sb.url);
    const res = await tokenRequest(sb.url, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      scope: 'userinfo admin',
      client_id: DEMO.clientId,
      client_secret: DEMO.clientSecret,
    });
    assert.equal(res.status, 400);
    assert.equal((await body(res))['error'], 'invalid_scope');
  });
});

describe('refresh_token grant (rotation off)', () => {
  it('keeps the same refresh token, which stays valid', async () => {
    const other = await startTestSandbox({ rotateRefreshTokens: false });
    try {
      const tokens = await loginAndExchange(other.url);
      for (let i = 0; i < 2; i++) {
        const res = await tokenRequest(other.url, {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: DEMO.clientId,
          client_secret: DEMO.clientSecret,
        });
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as TokenSet).refresh_token, tokens.refresh_token);
      }
    } finally {
      await other.close();
    }
  });
});

describe('getuserinfodetail', () => {
  it('accepts the token as the access_token query parameter', async () => {
    const tokens = await loginAndExchange(sb.url);
    const url = new URL('/oauth/getuserinfodetail', sb.url);
    url.searchParams.set('access_token', tokens.access_token);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { account: string }).account, ZHANGWEI.account);
  });

  it('answers 401 invalid_token "Invalid access token" for an unknown token, with a Bearer challenge', async () => {
    const res = await userinfo(sb.url, 'not-a-token');
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    assert.deepEqual(await res.json(), { error: 'invalid_token', error_description: 'Invalid access token' });
  });

  it('answers 401 invalid_token once the access token has expired', async () => {
    const tokens = await loginAndExchange(sb.url);
    nowMs += 7201_000;
    const res = await userinfo(sb.url, tokens.access_token);
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
  });

  it('answers 401 when no token is sent', async () => {
    const res = await fetch(new URL('/oauth/getuserinfodetail', sb.url));
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
  });

  it('never includes the password or certificates', async () => {
    const tokens = await loginAndExchange(sb.url);
    const text = await (await userinfo(sb.url, tokens.access_token)).text();
    assert.doesNotMatch(text, /password|Demo@2026|certificates|serial/);
  });
});

describe('malformed token requests get a clear 4xx, never a 500', () => {
  it('refuses a JSON body', async () => {
    const res = await fetch(new URL('/oauth/token', sb.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    assert.equal(res.status, 400);
    assert.match(String((await body(res))['error_description']), /x-www-form-urlencoded/);
  });

  it('refuses an oversized body with 413 JSON', async () => {
    const res = await tokenRequest(sb.url, { grant_type: 'authorization_code', code: 'x'.repeat(40_000) });
    assert.equal(res.status, 413);
    assert.deepEqual(await body(res), { error: 'invalid_request', error_description: 'Request body too large (limit 16 kB)' });
  });

  it('refuses a repeated parameter (RFC 6749 §3.2)', async () => {
    const res = await fetch(new URL('/oauth/token', sb.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=authorization_code&grant_type=refresh_token&client_id=${DEMO.clientId}&client_secret=${DEMO.clientSecret}`,
    });
    assert.equal(res.status, 400);
    assert.equal((await body(res))['error'], 'invalid_request');
  });

  it('refuses a non-UTF-8 charset with 415 JSON', async () => {
    const res = await fetch(new URL('/oauth/token', sb.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' },
      body: 'grant_type=x',
    });
    assert.equal(res.status, 415);
    assert.equal((await body(res))['error'], 'invalid_request');
  });

  it('answers GET with 405 JSON', async () => {
    const res = await fetch(new URL('/oauth/token', sb.url));
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
  });

  it('answers a malformed Basic header with 401 invalid_client', async () => {
    const res = await tokenRequest(sb.url, { grant_type: 'authorization_code' }, { authorization: 'Basic !!!' });
    assert.equal(res.status, 401);
    assert.equal((await body(res))['error'], 'invalid_client');
  });
});
