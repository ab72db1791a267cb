/**
 * A client nobody here wrote — oauth4webapi, used as a plain OAuth 2.0 client — completes the
 * code flow (PKCE S256, HTTP Basic and form-post client auth, refresh) against the sandbox:
 * proof that the sandbox speaks standard OAuth 2.0 and not just to our BFF.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import { CookieJar, DEMO, ZHANGWEI, browse, formWithAction, postForm, startTestSandbox } from './helpers.ts';

let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox();
});
after(() => sb.close());

const insecure = { [oauth.allowInsecureRequests]: true } as const;

function metadata(base: string): oauth.AuthorizationServer {
  // Built by hand: the real platform publishes no discovery document (spec README, "What the standard leaves open").
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    code_challenge_methods_supported: ['S256'],
  };
}

/** The user's part: a browser that opens the authorization URL and logs in with the password form. */
async function userLogsIn(authorizationUrl: URL): Promise<URL> {
  const jar = new CookieJar();
  const page = await browse(jar, authorizationUrl);
  assert.equal(page.status, 200);
  const form = formWithAction(await page.text(), '/oauth/login/password');
  const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI });
  assert.equal(res.status, 302);
  return new URL(res.headers.get('location') as string);
}

async function codeFlow(clientAuth: oauth.ClientAuth) {
  const as = metadata(sb.url);
  const client: oauth.Client = { client_id: DEMO.clientId };
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();

  const authorizationUrl = new URL(as.authorization_endpoint as string);
  authorizationUrl.searchParams.set('client_id', client.client_id);
  authorizationUrl.searchParams.set('redirect_uri', DEMO.redirectUri);
  authorizationUrl.searchParams.set('response_type', 'code');
  authorizationUrl.searchParams.set('scope', 'userinfo');
  authorizationUrl.searchParams.set('state', state);
  authorizationUrl.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
  authorizationUrl.searchParams.set('code_challenge_method', 'S256');

  const callbackUrl = await userLogsIn(authorizationUrl);
  const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, DEMO.redirectUri, codeVerifier, insecure);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  return { as, client, tokens };
}

describe('oauth4webapi as a plain OAuth 2.0 client', () => {
  it('completes the code flow with PKCE and client_secret_basic, then reads getuserinfodetail', async () => {
    const { tokens } = await codeFlow(oauth.ClientSecretBasic(DEMO.clientSecret));
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'userinfo');
    assert.equal(tokens.expires_in, 7200);
    assert.ok(tokens.refresh_token);

    const res = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${sb.url}/oauth/getuserinfodetail`), undefined, undefined, insecure);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { account: string }).account, ZHANGWEI.account);
  });

  it('completes the code flow with client_secret_post and refreshes the token', async () => {
    const clientAuth = oauth.ClientSecretPost(DEMO.clientSecret);
    const { as, client, tokens } = await codeFlow(clientAuth);
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, clientAuth, tokens.refresh_token as string, insecure),
    );
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  });

  it('surfaces the sandbox errors as standard OAuth errors (replayed code → invalid_grant)', async () => {
    const as = metadata(sb.url);
    const client: oauth.Client = { client_id: DEMO.clientId };
    const clientAuth = oauth.ClientSecretBasic(DEMO.clientSecret);
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(as.authorization_endpoint as string);
    for (const [k, v] of Object.entries({ client_id: DEMO.clientId, redirect_uri: DEMO.redirectUri, response_type: 'code', state })) {
      authorizationUrl.searchParams.set(k, v);
    }
    const params = oauth.validateAuthResponse(as, client, await userLogsIn(authorizationUrl), state);
    await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, DEMO.redirectUri, oauth.nopkce, insecure),
    );
    const replay = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, DEMO.redirectUri, oauth.nopkce, insecure);
    await assert.rejects(oauth.processAuthorizationCodeResponse(as, client, replay), (error: unknown) => {
      assert.ok(error instanceof oauth.ResponseBodyError);
      assert.equal(error.error, 'invalid_grant');
      assert.match(error.error_description ?? '', /^Invalid authorization code/);
      return true;
    });
  });
});
