/**
 * Rule 9: the platform misbehaves. Every transport failure (timeout, refused, reset, 5xx,
 * non-JSON, JSON without access_token) and every Table 2 error ends the login with a stable code
 * that `/me` reports once; nothing crashes, other users are still served, and the login works
 * again once the platform recovers. Faults come from the sandbox's fault switch; the Table 2
 * messages the sandbox cannot be made to send (our BFF always sends grant_type) come from a
 * small stand-in token endpoint that answers them word for word.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fault, SandboxInterface } from '../../../demo/sandbox/app.ts';
import { TestBrowser, at, callbackOutcome, callbackUrlFor, closedPort, me, startLogin, startSecureStack, type SecureStack } from './helpers.ts';

const FAULTS: Array<[SandboxInterface, Fault, string]> = [
  ['token', { kind: 'latency', ms: 1500 }, 'platform_timeout'],
  ['token', { kind: 'status', status: 500 }, 'platform_unavailable'],
  ['token', { kind: 'status', status: 502 }, 'platform_unavailable'],
  ['token', { kind: 'status', status: 503 }, 'platform_unavailable'],
  ['token', { kind: 'malformed' }, 'platform_bad_response'],
  ['token', { kind: 'reset' }, 'platform_unreachable'],
  ['token', { kind: 'no_access_token' }, 'platform_bad_response'],
  ['userinfo', { kind: 'latency', ms: 1500 }, 'platform_timeout'],
  ['userinfo', { kind: 'status', status: 503 }, 'platform_unavailable'],
  ['userinfo', { kind: 'malformed' }, 'platform_bad_response'],
  ['userinfo', { kind: 'reset' }, 'platform_unreachable'],
];

describe('upstream faults (rule 9)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack({ bffOptions: { platformTimeoutMs: 300 } });
  });
  after(() => stack.close());

  for (const [iface, fault, code] of FAULTS) {
    const what = fault.kind === 'status' ? `HTTP ${fault.status}` : fault.kind === 'latency' ? `latency beyond platformTimeoutMs` : fault.kind;
    it(`ends the login with ${code} when ${iface} answers with ${what}, then recovers`, async () => {
      const browser = new TestBrowser();
      const callback = await callbackUrlFor(browser, stack);
      stack.sandbox.faults.set(iface, { ...fault, times: 1 });
      const outcome = await callbackOutcome(browser, stack, new URL(callback).search);
      assert.equal(outcome.loginError, code);
      assert.equal(outcome.finalUrl, at(stack, '/'), 'back on the site, not an error page');
      assert.equal(outcome.status, 401);
      stack.sandbox.faults.clear();
      await browser.follow(await callbackUrlFor(browser, stack));
      assert.equal((await me(browser, stack)).status, 200, 'the user can retry');
    });
  }

  it('keeps serving other users while the platform hangs', async () => {
    const other = new TestBrowser();
    await other.follow(await callbackUrlFor(other, stack));
    const victim = new TestBrowser();
    const callback = await callbackUrlFor(victim, stack);
    stack.sandbox.faults.set('token', { kind: 'latency', ms: 1500, times: 1 });
    const order: string[] = [];
    const [slow, served] = await Promise.all([
      callbackOutcome(victim, stack, new URL(callback).search).then((r) => (order.push('slow login'), r)),
      me(other, stack).then((r) => (order.push('other user'), r)),
    ]);
    assert.equal(served.status, 200);
    assert.deepEqual(order, ['other user', 'slow login']);
    assert.equal(slow.loginError, 'platform_timeout');
  });

  it('maps "Bad credentials" from the real token endpoint (a wrong client_secret) to bad_credentials', async () => {
    const client = stack.sandbox.getClient('demo-business-system')!;
    const browser = new TestBrowser();
    const callback = await callbackUrlFor(browser, stack);
    stack.sandbox.upsertClient({ ...client, client_secret: 'rotated-by-the-operator-0123456789' });
    try {
      assert.equal((await callbackOutcome(browser, stack, new URL(callback).search)).loginError, 'bad_credentials');
    } finally {
      stack.sandbox.upsertClient(client);
    }
  });

  it('maps "Invalid authorization code" (a made-up code with a valid state) to invalid_authorization_code', async () => {
    const browser = new TestBrowser();
    const { state } = await startLogin(browser, stack);
    assert.equal((await callbackOutcome(browser, stack, `?code=made-up&state=${state}`)).loginError, 'invalid_authorization_code');
  });

  it('maps "Redirect URI mismatch" (a code issued for another callback) to redirect_uri_mismatch', async () => {
    const browser = new TestBrowser();
    // Log in on the platform only (single sign-on will answer the crafted authorize at once).
    await callbackUrlFor(browser, stack);
    const { authorize, state } = await startLogin(browser, stack);
    authorize.searchParams.set('redirect_uri', at(stack, '/elsewhere/callback'));
    const elsewhere = new URL((await browser.request(authorize.href)).headers.get('location')!);
    const code = elsewhere.searchParams.get('code')!;
    assert.ok(code, 'the platform issued a code for the other callback');
    assert.equal((await callbackOutcome(browser, stack, `?code=${code}&state=${state}`)).loginError, 'redirect_uri_mismatch');
  });

  for (const [description, code] of [
    ['Invalid redirect', 'invalid_redirect'],
    ['Bad client credentials', 'bad_client_credentials'],
    ['Something the standard does not list', 'platform_error'],
  ] as const) {
    it(`maps an authorize error "${description}" sent back to the callback to ${code}`, async () => {
      const browser = new TestBrowser();
      const { state } = await startLogin(browser, stack);
      const query = `?${new URLSearchParams({ error: 'invalid_request', error_description: description, state })}`;
      assert.equal((await callbackOutcome(browser, stack, query)).loginError, code);
    });
  }
});

describe('a platform that cannot be reached at all (rule 9)', () => {
  let stack: SecureStack;
  before(async () => {
    stack = await startSecureStack({ bffOptions: { platformUrl: `http://127.0.0.1:${await closedPort()}` } });
  });
  after(() => stack.close());

  it('ends the login with platform_unreachable when the connection is refused', async () => {
    const browser = new TestBrowser();
    const { state } = await startLogin(browser, stack);
    assert.equal((await callbackOutcome(browser, stack, `?code=any&state=${state}`)).loginError, 'platform_unreachable');
  });
});

describe('a token endpoint that answers each Table 2 message, and worse (rule 9)', () => {
  let stack: SecureStack;
  let platform: Server;
  let answer: { status: number; headers?: Record<string, string>; body: string | Buffer } = { status: 200, body: '{}' };
  before(async () => {
    platform = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', () => resolve()));
    stack = await startSecureStack({ bffOptions: { platformUrl: `http://127.0.0.1:${(platform.address() as AddressInfo).port}` } });
  });
  after(async () => {
    await stack.close();
    platform.closeAllConnections();
    await new Promise<void>((resolve) => platform.close(() => resolve()));
  });

  async function outcome(): Promise<string | undefined> {
    const browser = new TestBrowser();
    const { state } = await startLogin(browser, stack);
    return (await callbackOutcome(browser, stack, `?code=any&state=${state}`)).loginError;
  }

  for (const [status, message, code] of [
    [400, 'Invalid authorization code', 'invalid_authorization_code'],
    [401, 'Bad credentials', 'bad_credentials'],
    [400, 'Redirect URI mismatch', 'redirect_uri_mismatch'],
    [400, 'Missing grant type', 'missing_grant_type'],
    [400, 'Unsupported grant type', 'unsupported_grant_type'],
    [400, 'Invalid refresh token', 'invalid_refresh_token'],
  ] as const) {
    it(`maps the Table 2 token error "${message}" to ${code}`, async () => {
      answer = { status, body: JSON.stringify({ error: 'invalid_grant', error_description: `${message}: details only the platform knows` }) };
      assert.equal(await outcome(), code);
    });
  }

  const WORSE: Array<[string, typeof answer, string]> = [
    ['an HTML error page with 200', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>oops</html>' }, 'platform_bad_response'],
    ['a JSON array', { status: 200, body: '[{"access_token":"x"}]' }, 'platform_bad_response'],
    ['JSON null', { status: 200, body: 'null' }, 'platform_bad_response'],
    ['an empty access_token', { status: 200, body: '{"access_token":""}' }, 'platform_bad_response'],
    ['a numeric access_token', { status: 200, body: '{"access_token":12345}' }, 'platform_bad_response'],
    ['a redirect', { status: 302, headers: { location: 'https://evil.example/' }, body: '' }, 'platform_bad_response'],
    ['a 4xx without a body', { status: 400, body: '' }, 'platform_bad_response'],
    ['a 4xx with an unknown error', { status: 400, body: '{"error":"weird","error_description":"<script>alert(1)</script>"}' }, 'platform_error'],
    ['a 2 MB body', { status: 200, body: `{"access_token":"${'a'.repeat(2_000_000)}"}` }, 'platform_bad_response'],
  ];
  for (const [name, platformAnswer, code] of WORSE) {
    it(`ends the login with ${code} when the token endpoint sends ${name}`, async () => {
      answer = platformAnswer;
      assert.equal(await outcome(), code);
    });
  }
});
