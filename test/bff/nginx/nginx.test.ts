/**
 * docs/nginx.conf.example, run for real: nginx terminates TLS with a certificate made here,
 * serves a static page with the widget, proxies /auth/ to the standalone BFF (a child process,
 * production mode) and protects /private/ with auth_request. Chromium logs in over HTTPS.
 *
 * Not logged in, /private/ answers 302 to /auth/login?returnTo=<the page> (the example's
 * `@gd_login`), so the user lands on the platform login and comes back to the page.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from '../../helpers/chromium.ts';
import { DEMO_ACCOUNT } from '../../helpers/stack.ts';
import { bffEnv, freePort, REPO_ROOT, startBffProcess, startSandboxFor, type BffProcess, type SandboxWithClient } from '../../helpers/child.ts';
import { selfSignedCertificate, skipWithoutNginx, startNginx, substitute, type TestNginx } from '../../helpers/nginx.ts';

const WIDGET_DIST = join(REPO_ROOT, 'widget/dist');
const skip =
  skipWithoutNginx ||
  (!existsSync(CHROMIUM_PATH) && `Chromium is not installed at ${CHROMIUM_PATH}`) ||
  (!existsSync(join(WIDGET_DIST, 'gd-staff-login.js')) && 'the widget is not built: run npm run build:widget');

const PAGE = `<!doctype html>
<html lang="zh-CN"><meta charset="utf-8"><title>示例业务系统</title>
<script type="module" src="/widget/gd-staff-login.js"></script>
<h1>示例业务系统</h1>
<gd-staff-login></gd-staff-login>
</html>
`;

describe('the nginx example: TLS, /auth/ proxy, auth_request', { skip }, () => {
  let dir: string;
  let origin: string;
  let platform: SandboxWithClient;
  let bff: BffProcess;
  let app: Server;
  let nginx: TestNginx;
  let browser: Browser;
  let context: BrowserContext;
  const requested: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gdsl-nginx-test-'));
    const [port, bffPort] = await Promise.all([freePort(), freePort()]);
    origin = `https://localhost:${port}`;
    const redirectUri = `${origin}/auth/callback`;

    platform = await startSandboxFor(redirectUri);
    // GD_TRUST_PROXY is left unset: the standalone BFF then trusts the proxy on loopback.
    bff = await startBffProcess(bffEnv(platform, redirectUri, { GD_PORT: String(bffPort), GD_HOST: '127.0.0.1' }));

    // The "business application" behind /private/: shows what nginx handed it.
    app = createServer((req, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(JSON.stringify({ path: req.url, headers: req.headers }));
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appPort = (app.address() as AddressInfo).port;

    const site = join(dir, 'www');
    await mkdir(site);
    await writeFile(join(site, 'index.html'), PAGE);
    const { cert, key } = await selfSignedCertificate(dir);
    const example = await readFile(join(REPO_ROOT, 'docs/nginx.conf.example'), 'utf8');
    const config = substitute(example, [
      ['listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`],
      ['server_name example.gov.cn;', 'server_name localhost;'],
      ['/etc/nginx/tls/example.gov.cn.crt', cert],
      ['/etc/nginx/tls/example.gov.cn.key', key],
      ['root  /var/www/example;', `root  ${site};`],
      ['/opt/gd-staff-login/widget/dist/', `${WIDGET_DIST}/`],
      ['server 127.0.0.1:3001;', `server 127.0.0.1:${bffPort};`],
      ['server 127.0.0.1:8080;', `server 127.0.0.1:${appPort};`],
    ]);
    nginx = await startNginx(config, port, join(dir, 'nginx'));

    browser = await launchChromium();
    context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN' });
    context.on('request', (request) => requested.push(request.url()));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await nginx?.stop();
    await bff?.stop();
    if (app) {
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
    await platform?.sandbox.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('sends a visitor of /private/ without a session to the login, with the page as returnTo', async () => {
    const response = await context.request.get(`${origin}/private/report.html`, {
      maxRedirects: 0,
      headers: { 'x-gd-user-id': 'forged-by-the-browser' },
    });
    assert.equal(response.status(), 302);
    assert.equal(response.headers().location, `${origin}/auth/login?returnTo=/private/report.html`);
  });

  it('logs in over HTTPS through the widget and the platform form, with the https redirect URI', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/`);
    await page.getByRole('button', { name: '政务人员统一身份认证登录' }).click();
    await page.waitForURL((url) => url.href.startsWith(platform.sandbox.url));
    await page.locator('input[name=account]').fill(DEMO_ACCOUNT.account);
    await page.locator('input[name=password]').fill(DEMO_ACCOUNT.password);
    await page.locator('form button[type=submit]').first().click();
    await page.waitForURL((url) => url.origin === origin);
    await page.locator('gd-staff-login').getByText('张伟').first().waitFor();

    const authorize = requested.map((u) => new URL(u)).find((u) => u.href.startsWith(platform.sandbox.url) && u.pathname.endsWith('/oauth/authorize'));
    assert.ok(authorize, 'the browser went to the platform authorize');
    assert.equal(authorize.searchParams.get('redirect_uri'), `${origin}/auth/callback`);
    assert.ok(requested.some((u) => u.startsWith(`${origin}/auth/callback?`)), 'the platform sent the browser back over https');
    await page.close();
  });

  it('holds the session in a Secure, HttpOnly __Host- cookie', async () => {
    const cookies = await context.cookies(origin);
    const session = cookies.find((c) => c.name === '__Host-gdsl');
    assert.ok(session, `cookies: ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.secure, true);
    assert.equal(session.httpOnly, true);
    assert.equal(session.path, '/');
    assert.equal(session.domain, 'localhost');
  });

  it('lets the BFF see the request as https through the proxy (HSTS on /auth/me)', async () => {
    const response = await context.request.get(`${origin}/auth/me`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['strict-transport-security'] ?? '', /max-age=31536000; includeSubDomains/);
    assert.equal((await response.json()).user.name, '张伟');
  });

  it('serves /private/ when logged in, handing the user to the application (forged headers replaced)', async () => {
    const response = await context.request.get(`${origin}/private/report.html?year=2026`, {
      maxRedirects: 0,
      headers: { 'x-gd-user-id': 'forged-by-the-browser', 'x-gd-user-name': 'forged' },
    });
    assert.equal(response.status(), 200);
    const seen = (await response.json()) as { path: string; headers: Record<string, string> };
    assert.equal(seen.path, '/private/report.html?year=2026');
    assert.equal(seen.headers['x-gd-user-id'], 'gd-4400-000001');
    assert.equal(decodeURIComponent(seen.headers['x-gd-user-name']!), '张伟');
    assert.equal(decodeURIComponent(seen.headers['x-gd-user-org']!), '广东省政务服务和数据管理局');
    assert.equal(seen.headers['x-gd-user-account'], 'zhangwei');
    assert.equal(seen.headers['x-forwarded-proto'], 'https');
    assert.ok(!Object.values(seen.headers).join('\n').includes('forged'), 'the browser cannot set the user headers');
    assert.equal(seen.headers.cookie?.includes('__Host-gdsl'), true, 'the application gets the cookie as any page would');
  });

  it('opens /private/ in the browser after a login started there, and sends it back there', async () => {
    const fresh = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN' });
    try {
      const page = await fresh.newPage();
      await page.goto(`${origin}/private/start.html`);
      await page.waitForURL((url) => url.href.startsWith(platform.sandbox.url));
      await page.locator('input[name=account]').fill(DEMO_ACCOUNT.account);
      await page.locator('input[name=password]').fill(DEMO_ACCOUNT.password);
      await page.locator('form button[type=submit]').first().click();
      await page.waitForURL(`${origin}/private/start.html`);
      const seen = JSON.parse((await page.locator('body').textContent()) ?? '{}') as { headers: Record<string, string> };
      assert.equal(decodeURIComponent(seen.headers['x-gd-user-name']!), '张伟');
    } finally {
      await fresh.close();
    }
  });

  it('closes /private/ again after logout', async () => {
    const out = await context.request.post(`${origin}/auth/logout`, { headers: { 'x-gd-login': '1', origin } });
    assert.equal(out.status(), 200);
    const response = await context.request.get(`${origin}/private/report.html`, { maxRedirects: 0 });
    assert.equal(response.status(), 302);
    assert.doesNotMatch(nginx.output(), /\[(emerg|alert|crit)\]/);
  });

  it('answers 503 with a clear message on /private/ while the BFF cannot check the session', async () => {
    assert.equal(await bff.stop(), 0);
    const response = await context.request.get(`${origin}/private/report.html`, { maxRedirects: 0 });
    assert.equal(response.status(), 503, 'not the bare 500 nginx gives for a failed auth_request');
    assert.equal(response.headers()['retry-after'], '5');
    const text = await response.text();
    assert.match(text, /会话服务暂时不可用/);
    assert.match(text, /The session service is temporarily unavailable/);
    assert.equal(response.headers()['set-cookie'], undefined, 'the session cookie is kept');
  });
});
