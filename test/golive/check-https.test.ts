/**
 * `gd-staff-login check` against the demo whose platform sandbox is served over https with a
 * certificate from a private CA (as a department's platform on a government network may be):
 * the BFF trusts the CA through GD_PLATFORM_CA_FILE, the check through --platform-ca, and the
 * report is all 正常 with exit status 0. A CA that did not sign the platform's certificate is
 * refused with the reason as evidence.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_PATH } from '../helpers/chromium.ts';
import { privateCa, skipWithoutOpenssl, type TestCa } from '../helpers/tls.ts';
import { main } from '../../bff/golive/check.ts';
import type { GoLiveReport } from '../../bff/golive/report.ts';
import { startDemo } from '../../demo/start.ts';
import { SETTINGS, capture, row } from './helpers.ts';

const ACCOUNT = ['--account', 'zhangwei', '--password', 'Demo@2026', '--local-user', 'lisi.local', '--local-password', 'Local@2026'];


const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('gd-staff-login check with the platform sandbox over https (private CA)', { skip: skipWithoutOpenssl }, () => {
  let ca: TestCa;
  let demo: Awaited<ReturnType<typeof startDemo>>;
  let out: string;
  before(async () => {
    ca = await privateCa();
    demo = await startDemo({ ...SETTINGS, sandboxTls: { certFile: ca.certFile, keyFile: ca.keyFile, caFile: ca.caFile } });
    out = await mkdtemp(join(tmpdir(), 'gdsl-check-https-'));
  });
  after(async () => {
    await demo?.close();
    await ca?.remove();
    if (out) await rm(out, { recursive: true, force: true });
  });

  async function check(extra: string[], dir: string) {
    const stdout = capture();
    const stderr = capture();
    const code = await main(
      ['--site', demo.url, ...ACCOUNT, '--platform-url', demo.sandboxUrl, '--chromium', CHROMIUM_PATH, '--out', dir, ...extra],
      { env: { GD_CLIENT_SECRET: demo.clientSecret }, stdout: stdout.stream, stderr: stderr.stream },
    );
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('runs the demo with the sandbox at https://127.0.0.1:PORT and the BFF trusting the CA', () => {
    assert.match(demo.sandboxUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(demo.bff.config.platformCa?.file, ca.caFile);
  });

  it('passes every row, exits 0, and names the https authorize URL and the verified certificate', async () => {
    const dir = join(out, 'pass');
    const { code, stdout, stderr } = await check(['--platform-ca', ca.caFile], dir);
    assert.equal(stderr, '');
    assert.equal(code, 0, `exit status 0 when every check passed:\n${stdout}`);

    const report = JSON.parse(await readFile(join(dir, 'B1-golive-report.json'), 'utf8')) as GoLiveReport;
    assert.equal(report.passed, true);
    assert.deepEqual(
      report.rows.map((r) => [r.no, r.func, r.result, r.passed]),
      [
        [1, '登录功能', '正常', true],
        [1, '登录功能', '正常', true],
        [2, '账号绑定', '正常', true],
        [3, '退出功能', '正常', true],
      ],
    );
    assert.ok(report.steps.every((s) => s.ok), `every step ok: ${JSON.stringify(report.steps.filter((s) => !s.ok))}`);
    assert.equal(report.conclusion, '各项功能正常，系统已完成对接及上线。');
    assert.equal(report.platform, demo.sandboxUrl);

    const https = row(report, 'login-https-secrets');
    assert.equal(https.remarks[0], `浏览器实际跟随的授权跳转为 ${demo.sandboxUrl}/oauth/authorize，使用 https。`);
    assert.match(
      https.remarks[1]!,
      new RegExp(
        `^平台证书经 --platform-ca 指定的 CA 文件 ${escape(ca.caFile)}（O=gd-staff-login tests, CN=gd-staff-login test CA）与系统根证书校验：` +
          `127\\.0\\.0\\.1:\\d+ 出示的证书链和主机名校验通过（证书 CN=localhost，颁发者 O=gd-staff-login tests, CN=gd-staff-login test CA，有效期至 [\\d-]+T[\\d:.]+Z）；` +
          `Chromium 只对这张证书的公钥（SPKI sha256/[A-Za-z0-9+/]+=*）放行，没有忽略其他证书错误。$`,
      ),
    );
    assert.match(https.remarks[2]!, /未发现 client_secret 的值、client_secret\/paastoken 带值或令牌形字符串。$/);
    assert.equal(report.scan.findings.length, 0);
    assert.equal(report.scan.secretKnown, true);

    // The browser really went through the https platform: the authorize, login and logout pages.
    const scanned = report.scan.responses.map((r) => r.url);
    for (const path of ['/oauth/authorize', '/oauth/logout']) {
      assert.ok(scanned.some((u) => u.startsWith(`${demo.sandboxUrl}${path}`)), `scanned ${demo.sandboxUrl}${path}`);
    }
    assert.match(row(report, 'logout').remarks.join('\n'), new RegExp(`浏览器经过平台退出接口后回到业务系统（${escape(demo.sandboxUrl)}/oauth/logout`));
    assert.match(row(report, 'logout').remarks.join('\n'), /平台会话已结束：再次点击登录，平台显示登录页、要求重新输入账号密码/);

    assert.match(stdout, /  ✓ 平台证书经 --platform-ca 校验（127\.0\.0\.1:\d+：CN=localhost，颁发者 O=gd-staff-login tests, CN=gd-staff-login test CA）\n/);
    assert.match(stdout, new RegExp(`  ✓ 平台地址使用 https（浏览器实际跳转到 ${escape(demo.sandboxUrl)}）\n`));
    assert.match(stdout, /  1\. 登录功能（https、前端无密钥）：正常\n/);
    assert.match(stdout, /结论：各项功能正常，系统已完成对接及上线。\n/);
    const md = await readFile(join(dir, 'B1-golive-report.md'), 'utf8');
    assert.match(md, /\| 1 \| 登录功能 \| 业务系统使用 https 访问省政务认证平台，前端页面禁止传输或显示 client_secret\/paastoken 等密钥信息。 \| 正常 \|/);
    assert.doesNotMatch(md, /异常/);
  });

  it('refuses a CA that did not sign the platform certificate, and the browser does not get through', async () => {
    const other = await privateCa();
    try {
      const dir = join(out, 'other-ca');
      const { code, stdout } = await check(['--platform-ca', other.caFile, '--timeout', '3000'], dir);
      assert.equal(code, 1, stdout);
      const report = JSON.parse(await readFile(join(dir, 'B1-golive-report.json'), 'utf8')) as GoLiveReport;
      const https = row(report, 'login-https-secrets');
      assert.equal(https.result, '异常');
      // Same CA name, another key: Node's verification fails and Chromium is given no pin.
      assert.match(
        https.remarks[1]!,
        new RegExp(
          `^平台 127\\.0\\.0\\.1:\\d+ 的 https 证书未能通过 --platform-ca 指定的 CA 文件 ${escape(other.caFile)}（O=gd-staff-login tests, CN=gd-staff-login test CA）与系统根证书的校验：` +
            `UNABLE_TO_VERIFY_LEAF_SIGNATURE（证书 CN=localhost，颁发者 O=gd-staff-login tests, CN=gd-staff-login test CA）；浏览器未放行该证书。$`,
        ),
      );
      assert.equal(row(report, 'login-userinfo').result, '异常', 'Chromium did not accept the certificate');
      assert.match(stdout, /  ✗ 平台证书经 --platform-ca 校验/);
    } finally {
      await other.remove();
    }
  });

  it('refuses --platform-ca without --platform-url, and a file without a certificate (exit 2)', async () => {
    const stderr = capture();
    const io = { env: {}, stdout: capture().stream, stderr: stderr.stream };
    assert.equal(await main(['--site', demo.url, ...ACCOUNT, '--platform-ca', ca.caFile], io), 2);
    assert.match(stderr.text(), /--platform-ca needs --platform-url with the platform's https address/);

    const notPem = join(out, 'key-only.pem');
    await writeFile(notPem, ca.key);
    const stderr2 = capture();
    const code = await main(['--site', demo.url, ...ACCOUNT, '--platform-url', demo.sandboxUrl, '--platform-ca', notPem], { env: {}, stdout: capture().stream, stderr: stderr2.stream });
    assert.equal(code, 2);
    assert.match(stderr2.text(), /--platform-ca .*key-only\.pem: no PEM certificate \(-----BEGIN CERTIFICATE-----\) in the file/);
  });
});
