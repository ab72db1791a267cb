/**
 * Rules 9 and 10: configuration is validated once, at start-up, in one module; each mistake is
 * refused with a message that names the variable and says how to fix it. In production the
 * platform must be HTTPS and the secret strong.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../../bff/config.ts';
import { createBff } from '../../../bff/index.ts';

const GOOD = {
  GD_PLATFORM_URL: 'https://iam.gdzwfw.gov.cn/pscp',
  GD_CLIENT_ID: 'dept-system',
  GD_CLIENT_SECRET: 'Xk2-operator-issued-secret-7Qp',
  GD_REDIRECT_URI: 'https://oa.example.gov.cn/auth/callback',
};

const REFUSED: Array<[what: string, env: Record<string, string>, variable: string, hint: RegExp]> = [
  ['a missing platform URL', { GD_PLATFORM_URL: '' }, 'GD_PLATFORM_URL', /required/],
  ['a platform URL that is not a URL', { GD_PLATFORM_URL: 'iam.gdzwfw.gov.cn' }, 'GD_PLATFORM_URL', /absolute URL/],
  ['an http platform URL on a non-loopback host', { GD_PLATFORM_URL: 'http://iam.gdzwfw.gov.cn' }, 'GD_PLATFORM_URL', /https/],
  ['an http platform URL on loopback in production', { GD_PLATFORM_URL: 'http://127.0.0.1:4100' }, 'GD_PLATFORM_URL', /https:\/\/ in production/],
  ['an ftp platform URL', { GD_PLATFORM_URL: 'ftp://iam.gdzwfw.gov.cn' }, 'GD_PLATFORM_URL', /https/],
  ['a platform URL with a query string', { GD_PLATFORM_URL: 'https://iam.gdzwfw.gov.cn/?x=1' }, 'GD_PLATFORM_URL', /query/],
  ['a missing client_id', { GD_CLIENT_ID: '' }, 'GD_CLIENT_ID', /required/],
  ['a missing client_secret', { GD_CLIENT_SECRET: '' }, 'GD_CLIENT_SECRET', /required/],
  ['a short client_secret in production', { GD_CLIENT_SECRET: 'short-secret' }, 'GD_CLIENT_SECRET', /16 characters/],
  ['a placeholder client_secret in production', { GD_CLIENT_SECRET: 'changeme' }, 'GD_CLIENT_SECRET', /placeholder/],
  ['a missing redirect URI', { GD_REDIRECT_URI: '' }, 'GD_REDIRECT_URI', /required/],
  ['an http redirect URI in production', { GD_REDIRECT_URI: 'http://oa.example.gov.cn/auth/callback' }, 'GD_REDIRECT_URI', /https:\/\/ in production/],
  ['a redirect URI that does not end in /callback', { GD_REDIRECT_URI: 'https://oa.example.gov.cn/auth/return' }, 'GD_REDIRECT_URI', /\/callback/],
  ['a redirect URI with a fragment', { GD_REDIRECT_URI: 'https://oa.example.gov.cn/auth/callback#x' }, 'GD_REDIRECT_URI', /fragment/],
  ['a javascript: redirect URI', { GD_REDIRECT_URI: 'javascript:alert(1)//callback' }, 'GD_REDIRECT_URI', /http/],
  ['a post-logout URI on another site', { GD_POST_LOGOUT_REDIRECT_URI: 'https://evil.example/' }, 'GD_POST_LOGOUT_REDIRECT_URI', /same site/],
  ['an unknown mode', { GD_MODE: 'prod' }, 'GD_MODE', /production or development/],
  ['a platform timeout below 200 ms', { GD_PLATFORM_TIMEOUT_MS: '50' }, 'GD_PLATFORM_TIMEOUT_MS', /at least 200/],
  ['a platform timeout above 60 s', { GD_PLATFORM_TIMEOUT_MS: '600000' }, 'GD_PLATFORM_TIMEOUT_MS', /at most 60000/],
  ['a non-numeric platform timeout', { GD_PLATFORM_TIMEOUT_MS: 'fast' }, 'GD_PLATFORM_TIMEOUT_MS', /number/],
  ['an idle timeout of 0 minutes', { GD_SESSION_IDLE_MINUTES: '0' }, 'GD_SESSION_IDLE_MINUTES', /at least 1/],
  ['an absolute lifetime over a week', { GD_SESSION_MAX_HOURS: '1000' }, 'GD_SESSION_MAX_HOURS', /at most/],
  ['a fractional login lifetime', { GD_LOGIN_TTL_MINUTES: '2.5' }, 'GD_LOGIN_TTL_MINUTES', /whole number/],
  ['a login lifetime over an hour', { GD_LOGIN_TTL_MINUTES: '120' }, 'GD_LOGIN_TTL_MINUTES', /at most 60/],
  ['a user field outside the allow-list', { GD_USER_FIELDS: 'id,name,idCardNumber' }, 'GD_USER_FIELDS', /must be one of/],
  ['a user field list without id', { GD_USER_FIELDS: 'name,org' }, 'GD_USER_FIELDS', /must include id/],
  ['a field map that is not JSON', { GD_USER_FIELD_MAP: 'name=fullName' }, 'GD_USER_FIELD_MAP', /JSON/],
  ['a field map with a misspelt field', { GD_USER_FIELD_MAP: '{"nmae":"fullName"}' }, 'GD_USER_FIELD_MAP', /nmae/],
  ['a field map with an empty platform name', { GD_USER_FIELD_MAP: '{"name":""}' }, 'GD_USER_FIELD_MAP', /platform field name/],
  ['an unknown token auth method', { GD_TOKEN_AUTH_METHOD: 'none' }, 'GD_TOKEN_AUTH_METHOD', /client_secret_post or client_secret_basic/],
  ['PKCE set to maybe', { GD_PKCE: 'maybe' }, 'GD_PKCE', /on or off/],
  ['a cookie name with a semicolon', { GD_COOKIE_NAME: 'sid;Domain=evil.example' }, 'GD_COOKIE_NAME', /letters, digits/],
  ['a session cookie without Secure in production', { GD_COOKIE_SECURE: 'off' }, 'GD_COOKIE_SECURE', /must stay on in production/],
  ['a __Host- cookie without Secure', { GD_MODE: 'development', GD_COOKIE_SECURE: 'off', GD_COOKIE_NAME: '__Host-sid' }, 'GD_COOKIE_NAME', /__Host-/],
  ['an endpoint path that is a full URL', { GD_TOKEN_PATH: 'https://evil.example/token' }, 'GD_TOKEN_PATH', /path starting with \//],
  ['a rate limit of zero', { GD_RATE_LIMIT_LOGIN: '0' }, 'GD_RATE_LIMIT_LOGIN', /at least 1/],
];

describe('configuration refusals (rules 9 and 10)', () => {
  it('accepts the good production configuration the refusals start from', () => {
    const config = resolveConfig({}, GOOD);
    assert.equal(config.mode, 'production');
    assert.equal(config.pkce, true, 'PKCE is on by default');
  });

  for (const [what, change, variable, hint] of REFUSED) {
    it(`refuses ${what}, naming ${variable}`, () => {
      assert.throws(
        () => resolveConfig({}, { ...GOOD, ...change }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.ok(error.message.startsWith(variable), `"${error.message}" names ${variable}`);
          assert.match(error.message, hint);
          return true;
        },
      );
    });
  }

  it('accepts the sandbox over http on loopback in development mode only', () => {
    assert.doesNotThrow(() => resolveConfig({}, { ...GOOD, GD_MODE: 'development', GD_PLATFORM_URL: 'http://127.0.0.1:4100' }));
    assert.throws(() => resolveConfig({}, { ...GOOD, GD_MODE: 'development', GD_PLATFORM_URL: 'http://10.0.0.8:4100' }), /GD_PLATFORM_URL/);
  });

  it('refuses to create the BFF with an http: platform URL in production (createBff options)', () => {
    assert.throws(
      () => createBff({ mode: 'production', platformUrl: 'http://localhost:4100', clientId: 'c', clientSecret: GOOD.GD_CLIENT_SECRET, redirectUri: GOOD.GD_REDIRECT_URI }, {}),
      (error: unknown) => error instanceof ConfigError && /^GD_PLATFORM_URL \(platformUrl\): must use https:\/\//.test(error.message),
    );
  });

  it('switches PKCE off only when asked (GD_PKCE=off)', () => {
    assert.equal(resolveConfig({}, { ...GOOD, GD_PKCE: 'off' }).pkce, false);
  });
});
