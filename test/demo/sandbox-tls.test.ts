/**
 * The sandbox over https: `startSandbox({ tls })` and `--tls-cert` / `--tls-key` serve the same
 * routes with node:https, and the platform's cookies become Secure. Plain http stays the default.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
import { main, type CliIo } from '../../demo/sandbox/cli.ts';
import { privateCa, skipWithoutOpenssl, type TestCa } from '../helpers/tls.ts';
import { DEMO, ZHANGWEI, authorizeUrl, demoAuthorizeParams, formWithAction, startTestSandbox } from './helpers.ts';

function captureIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), env: {} };
}

describe('sandbox over https', { skip: skipWithoutOpenssl }, () => {
  let ca: TestCa;
  let trusting: Agent;
  before(async () => {
    ca = await privateCa();
    trusting = new Agent({ connect: { ca: [...rootCertificates, ca.ca] } });
  });
  after(async () => {
    await trusting?.close();
    await ca?.remove();
  });

  const get = (url: string | URL, init: RequestInit = {}): Promise<Response> => fetch(url, { redirect: 'manual', dispatcher: trusting, ...init });

  it('serves authorize, login and token over https, with Secure platform cookies', async () => {
    const running = await startTestSandbox({ tls: { cert: ca.cert, key: ca.key } });
    try {
      assert.match(running.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const page = await get(authorizeUrl(running.url, demoAuthorizeParams()));
      assert.equal(page.status, 200);
      const browserCookie = page.headers.getSetCookie().find((c) => c.startsWith('gd_platform_bid='));
      assert.ok(browserCookie, 'the login page sets the browser cookie');
      assert.match(browserCookie, /; Secure/);
      assert.match(browserCookie, /; HttpOnly/);

      const form = formWithAction(await page.text(), '/oauth/login/password');
      const cookie = browserCookie.split(';')[0]!;
      const submitted = await get(new URL(form.action, running.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ ...form.fields, account: ZHANGWEI.account, password: ZHANGWEI.password }),
      });
      assert.equal(submitted.status, 302);
      const callback = new URL(submitted.headers.get('location')!);
      assert.equal(`${callback.origin}${callback.pathname}`, DEMO.redirectUri);
      const session = submitted.headers.getSetCookie().find((c) => c.startsWith('gd_platform_sid='));
      assert.ok(session, 'a platform session cookie');
      assert.match(session, /; Secure/);

      const token = await get(new URL('/oauth/token', running.url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: DEMO.redirectUri, client_id: DEMO.clientId, client_secret: DEMO.clientSecret }),
      });
      assert.equal(token.status, 200);
      assert.equal(typeof ((await token.json()) as { access_token?: unknown }).access_token, 'string');
    } finally {
      await running.close();
    }
  });

  it('is refused by a client that does not trust its CA', async () => {
    const running = await startTestSandbox({ tls: { cert: ca.cert, key: ca.key } });
    try {
      await assert.rejects(fetch(`${running.url}/__sandbox/health`), (error: Error) => /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i.test(String((error.cause as Error | undefined)?.message ?? error.message)));
    } finally {
      await running.close();
    }
  });

  it('keeps plain http, without Secure, by default', async () => {
    const running = await startTestSandbox();
    try {
      assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(authorizeUrl(running.url, demoAuthorizeParams()), { redirect: 'manual' });
      const browserCookie = page.headers.getSetCookie().find((c) => c.startsWith('gd_platform_bid='));
      assert.ok(browserCookie);
      assert.doesNotMatch(browserCookie, /Secure/);
    } finally {
      await running.close();
    }
  });

  it('--tls-cert and --tls-key start it over https', async () => {
    const io = captureIo();
    const running = await main(['--port', '0', '--quiet', '--tls-cert', ca.certFile, '--tls-key', ca.keyFile], io);
    assert.ok(running, io.err.join('\n'));
    try {
      assert.match(io.out[0] ?? '', /^Platform sandbox listening on https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(io.out[1] ?? '', /^ {2}authorize {2}https:\/\/127\.0\.0\.1:\d+\/oauth\/authorize$/);
      assert.equal((await get(`${running.url}/__sandbox/health`)).status, 200);
    } finally {
      await running.close();
    }
  });

  it('refuses --tls-cert without --tls-key, and a file that is not PEM, in one line', async () => {
    const previous = process.exitCode;
    try {
      for (const [args, message] of [
        [['--tls-cert', ca.certFile], 'gd-staff-login sandbox: --tls-cert and --tls-key go together: give both to serve over https, or neither for http'],
        [['--tls-cert', ca.keyFile, '--tls-key', ca.keyFile], `gd-staff-login sandbox: --tls-cert ${ca.keyFile}: not a PEM certificate (-----BEGIN CERTIFICATE-----)`],
        [['--tls-cert', ca.certFile, '--tls-key', ca.certFile], `gd-staff-login sandbox: --tls-key ${ca.certFile}: not a PEM private key (-----BEGIN … PRIVATE KEY-----)`],
        [['--tls-cert', '/nonexistent/cert.pem', '--tls-key', ca.keyFile], 'gd-staff-login sandbox: --tls-cert /nonexistent/cert.pem: cannot read the file (ENOENT)'],
      ] as const) {
        const io = captureIo();
        assert.equal(await main(['--port', '0', '--quiet', ...args], io), undefined);
        assert.deepEqual(io.err, [message]);
        assert.equal(process.exitCode, 1);
      }
    } finally {
      process.exitCode = previous;
    }
  });
});
