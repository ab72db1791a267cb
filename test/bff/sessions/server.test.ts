/**
 * The standalone BFF (`gd-staff-login serve`, `npm run bff`): configuration errors, where it
 * mounts, `trust proxy`, and `/verify` for a reverse proxy's `auth_request`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser } from '../../helpers/browser.ts';
import { login, type Stack } from '../../helpers/stack.ts';
import { bffEnv, freePort, runCli, startSandboxFor, type SandboxWithClient } from '../../helpers/child.ts';
import { startServer, type RunningServer } from '../../../bff/server.ts';

describe('gd-staff-login command line', () => {
  it('prints one line naming the variable and exits 1 on a configuration error', async () => {
    const { code, stdout, stderr } = await runCli(['serve'], { GD_CLIENT_ID: 'x' });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.equal(stderr, '配置错误 / configuration error: GD_PLATFORM_URL (platformUrl): is required\n');
  });

  it('names GD_TRUST_PROXY when it is not a hop count, address, subnet or known name', async () => {
    const { code, stderr } = await runCli(['serve'], {
      GD_PLATFORM_URL: 'http://127.0.0.1:4100',
      GD_CLIENT_ID: 'demo',
      GD_CLIENT_SECRET: 'a-long-enough-client-secret',
      GD_REDIRECT_URI: 'https://example.gov.cn/auth/callback',
      GD_TRUST_PROXY: 'the-proxy',
    });
    assert.equal(code, 1);
    assert.match(stderr, /^配置错误 \/ configuration error: GD_TRUST_PROXY \(trustProxy\): "the-proxy" is not an address/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });

  it('names GD_PORT when it is not a port', async () => {
    const { code, stderr } = await runCli(['serve'], { GD_PORT: 'eighty' });
    assert.equal(code, 1);
    assert.equal(stderr, '配置错误 / configuration error: GD_PORT: must be a port number 0-65535 (got "eighty")\n');
  });

  it('prints the usage and exits 2 for an unknown command or none', async () => {
    const unknown = await runCli(['deploy'], {});
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "deploy"/);
    assert.match(unknown.stderr, /serve\s+run the BFF alone/);
    assert.match(unknown.stderr, /sandbox\s+run the platform sandbox/);
    const none = await runCli([], {});
    assert.equal(none.code, 2);
    assert.match(none.stdout, /^Usage: gd-staff-login <command>/);
  });

  it('passes sandbox arguments to the sandbox command line', async () => {
    const { code, stdout } = await runCli(['sandbox', '--help'], {});
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: gd-staff-login sandbox/);
  });
});

describe('standalone BFF server', () => {
  let platform: SandboxWithClient;
  let server: RunningServer;
  let site: string;
  let env: Record<string, string>;

  before(async () => {
    const port = await freePort();
    site = `http://localhost:${port}/`;
    platform = await startSandboxFor(`${site}auth/callback`);
    env = bffEnv(platform, `${site}auth/callback`, { GD_PORT: String(port), GD_LOG_LEVEL: 'silent' });
    server = await startServer({ env });
  });
  after(async () => {
    await server?.close();
    await platform?.sandbox.close();
  });

  const stack = () => ({ url: site, sandboxUrl: platform.sandbox.url }) as unknown as Stack;

  it('mounts the BFF at the redirect URI path without /callback and serves nothing else', async () => {
    assert.equal(server.mountPath, '/auth');
    assert.equal((await fetch(new URL('auth/healthz', site))).status, 200);
    const other = await fetch(new URL('index.html', site));
    assert.equal(other.status, 404);
    assert.equal(other.headers.get('x-powered-by'), null);
  });

  it('mounts elsewhere when the redirect URI says so', async () => {
    const elsewhere = await startServer({ env: { ...env, GD_PORT: '0', GD_REDIRECT_URI: `${site}sso/gd/callback` } });
    try {
      assert.equal(elsewhere.mountPath, '/sso/gd');
      assert.equal((await fetch(`${elsewhere.url}/sso/gd/healthz`)).status, 200);
      assert.equal((await fetch(`${elsewhere.url}/auth/healthz`)).status, 404);
    } finally {
      await elsewhere.close();
    }
  });

  it('trusts X-Forwarded-Proto from the proxy on loopback by default (HSTS only over https)', async () => {
    const viaProxy = await fetch(new URL('auth/me', site), { headers: { 'x-forwarded-proto': 'https' } });
    assert.match(viaProxy.headers.get('strict-transport-security') ?? '', /max-age=31536000/);
    const plain = await fetch(new URL('auth/me', site));
    assert.equal(plain.headers.get('strict-transport-security'), null);
  });

  it('ignores X-Forwarded-Proto when GD_TRUST_PROXY=false', async () => {
    const strict = await startServer({ env: { ...env, GD_PORT: '0', GD_TRUST_PROXY: 'false' } });
    try {
      const response = await fetch(`${strict.url}/auth/me`, { headers: { 'x-forwarded-proto': 'https' } });
      assert.equal(response.headers.get('strict-transport-security'), null);
    } finally {
      await strict.close();
    }
  });

  it('GET /auth/verify: 401 without a session, 204 with the user in percent-encoded UTF-8 headers', async () => {
    const anonymous = await fetch(new URL('auth/verify', site));
    assert.equal(anonymous.status, 401);
    assert.equal(await anonymous.text(), '');
    assert.equal(anonymous.headers.get('x-gd-user-id'), null);

    const browser = new TestBrowser();
    await login(browser, stack());
    const verified = await browser.request(new URL('auth/verify', site).href);
    assert.equal(verified.status, 204);
    const header = (name: string) => verified.headers.get(name);
    assert.match(header('x-gd-user-name')!, /^[\x21-\x7e]+$/, 'ASCII only on the wire');
    assert.equal(header('x-gd-user-name'), '%E5%BC%A0%E4%BC%9F');
    assert.equal(decodeURIComponent(header('x-gd-user-name')!), '张伟');
    assert.equal(decodeURIComponent(header('x-gd-user-org')!), '广东省政务服务和数据管理局');
    assert.equal(header('x-gd-user-account'), 'zhangwei');
    assert.equal(header('x-gd-user-id'), 'gd-4400-000001');
    assert.equal(header('cache-control'), 'no-store');
  });

  it('closes gracefully: stops listening and closes its stores', async () => {
    const extra = await startServer({ env: { ...env, GD_PORT: '0' } });
    await extra.close();
    await assert.rejects(fetch(`${extra.url}/auth/healthz`));
  });
});
