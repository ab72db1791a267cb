/**
 * `gd-staff-login check` against the real demo (BFF + platform sandbox) in Chromium, and against
 * demo variants that each break one Appendix B requirement on purpose.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { main, runCheck, type CheckOptions } from '../../bff/golive/check.ts';
import type { GoLiveReport } from '../../bff/golive/report.ts';
import { startVariant, type Variant } from '../../demo/variants/broken.ts';
import { startDemo } from '../../demo/start.ts';
import { SETTINGS, capture, row } from './helpers.ts';

const ACCOUNT = { account: 'zhangwei', password: 'Demo@2026' };
const LOCAL = { localUser: 'lisi.local', localPassword: 'Local@2026' };

type Demo = Awaited<ReturnType<typeof startDemo>>;


describe('gd-staff-login check', () => {
  let browser: Browser;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function checkVariant(variant: Variant, extra: Partial<CheckOptions> = {}): Promise<{ report: GoLiveReport; demo: Demo }> {
    const demo = await startVariant(variant, SETTINGS);
    try {
      const report = await runCheck({ site: demo.url, ...ACCOUNT, ...LOCAL, clientSecret: demo.clientSecret, browser, ...extra });
      return { report, demo };
    } finally {
      await demo.close();
    }
  }

  it('passes login, binding and logout against the demo, and marks the https row 异常 because the sandbox is http', async () => {
    const demo = await startDemo(SETTINGS);
    const out = await mkdtemp(join(tmpdir(), 'gdsl-check-'));
    const stdout = capture();
    const stderr = capture();
    try {
      const code = await main(
        ['--site', demo.url, '--account', ACCOUNT.account, '--password', ACCOUNT.password, '--local-user', LOCAL.localUser, '--out', out, '--unit', '广东省政务服务和数据管理局', '--system', '政务协同办公演示系统'],
        { env: { GD_CLIENT_SECRET: demo.clientSecret, GD_CHECK_LOCAL_PASSWORD: LOCAL.localPassword }, stdout: stdout.stream, stderr: stderr.stream },
        { browser },
      );
      assert.equal(stderr.text(), '');
      assert.equal(code, 1, 'exit status 1: not every row is 正常');

      const report = JSON.parse(await readFile(join(out, 'B1-golive-report.json'), 'utf8')) as GoLiveReport;
      assert.deepEqual(
        report.rows.map((r) => [r.no, r.func, r.result]),
        [
          [1, '登录功能', '正常'],
          [1, '登录功能', '异常'],
          [2, '账号绑定', '正常'],
          [3, '退出功能', '正常'],
        ],
      );
      const sandbox = new URL(demo.sandboxUrl).origin;
      const https = row(report, 'login-https-secrets');
      assert.equal(
        https.remarks[0],
        `浏览器实际跟随的授权跳转为 ${sandbox}/oauth/authorize，未使用 https（本机平台沙箱）：本项据实标为异常。沙箱运行只能证明其余各项；上线报告须在生产环境以 https 平台地址重新验证。`,
      );
      assert.match(https.remarks[1]!, /^扫描浏览器在本次验证中收到的全部内容：\d+ 个应答（HTML \d+、脚本 \d+、样式 \d+、JSON \d+、其他 \d+；正文 \d+ 字节，响应头 \d+ 字节），Cookie \d+ 个，Web 存储 \d+ 份，页面 DOM \d+ 份（清单见附表）；未发现 client_secret 的值、client_secret\/paastoken 带值或令牌形字符串。$/);
      assert.equal(report.scan.findings.length, 0);
      assert.equal(report.scan.secretKnown, true);
      assert.equal(report.scan.secretSource, 'GD_CLIENT_SECRET');
      const scannedUrls = report.scan.responses.map((r) => r.url);
      for (const must of [demo.url, `${demo.url}auth/me`, `${sandbox}/oauth/logout`]) {
        assert.ok(scannedUrls.some((u) => u.startsWith(must)), `scanned ${must}`);
      }
      assert.ok(report.scan.responses.some((r) => r.category === 'script' && r.url.includes('/widget/')));
      assert.ok(report.scan.dom.length >= 2);

      assert.match(row(report, 'login-userinfo').remarks.join('\n'), /GET \/auth\/me 返回 200，用户信息：id=gd-4400-000001，姓名=张伟/);
      assert.match(row(report, 'login-userinfo').remarks.join('\n'), /<gd-staff-login> 显示用户姓名“张伟”/);
      assert.match(row(report, 'binding').remarks.join('\n'), /返回 bound: true，localAccount: lisi\.local/);
      const logout = row(report, 'logout').remarks.join('\n');
      assert.match(logout, new RegExp(`浏览器经过平台退出接口后回到业务系统（${sandbox.replace(/[.]/g, '\\.')}/oauth/logout`));
      assert.match(logout, /重放 GET \/auth\/me，返回 401/);
      assert.match(logout, /平台会话已结束：再次点击登录，平台显示登录页、要求重新输入账号密码/);
      assert.equal(report.conclusion, '以下验证项异常：1. 登录功能（https、前端无密钥）。系统尚不满足上线条件，处理后请重新验证。');

      // The progress display: one line per step.
      assert.match(stdout.text(), /  ✓ 页面控件显示用户姓名“张伟”\n/);
      assert.match(stdout.text(), new RegExp(`  ✗ 平台地址使用 https（浏览器实际跳转到 ${sandbox.replace(/[.]/g, '\\.')}）\n`));
      assert.match(stdout.text(), /  ✓ 前端密钥扫描：\d+ 个应答、\d+ 个 Cookie、\d+ 份存储、\d+ 份 DOM，0 处发现\n/);
      assert.match(stdout.text(), /  1\. 登录功能（https、前端无密钥）：异常\n/);

      const md = await readFile(join(out, 'B1-golive-report.md'), 'utf8');
      assert.match(md, /^# 表B\.1 接入广东省政务人员统一身份认证子平台上线报告/);
      assert.match(md, /\| 接入单位 \| 广东省政务服务和数据管理局 \|/);
      assert.match(md, /\| 2 \| 账号绑定 \| 使用省政务认证平台账号登录业务系统，可以主动绑定业务系统账号，实现用户信息统一。 \| 正常 \|/);
      assert.match(md, /\| 1 \| 登录功能 \| 业务系统使用 https 访问省政务认证平台，前端页面禁止传输或显示 client_secret\/paastoken 等密钥信息。 \| \*\*异常\*\* \|/);
      const html = await readFile(join(out, 'B1-golive-report.html'), 'utf8');
      const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
      assert.ok(html.includes(`style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'`), 'the CSP allows exactly the inline stylesheet');
      assert.doesNotMatch(html, /<script/i);
      for (const file of ['B1-golive-report.md', 'B1-golive-report.html', 'B1-golive-report.json']) {
        assert.ok(!(await readFile(join(out, file), 'utf8')).includes(demo.clientSecret), `${file} does not contain the secret`);
      }
    } finally {
      await demo.close();
      await rm(out, { recursive: true, force: true });
    }
  });

  it('fails check 1 when the page carries the client secret, naming where it was found', async () => {
    const { report, demo } = await checkVariant('leaks-secret');
    const leak = row(report, 'login-https-secrets');
    assert.equal(leak.result, '异常');
    assert.equal(row(report, 'login-userinfo').result, '正常');
    assert.equal(row(report, 'binding').result, '正常');
    assert.equal(row(report, 'logout').result, '正常');
    const inBody = report.scan.findings.find((f) => f.rule === 'client_secret_value' && f.where === `应答正文 GET ${demo.url}（html）`);
    assert.ok(inBody, `found in the home page body: ${JSON.stringify(report.scan.findings.map((f) => f.where))}`);
    assert.match(inBody.excerpt, /<meta name="gd-client-secret" content="\[client_secret\]">/);
    assert.ok(report.scan.findings.some((f) => f.where.startsWith('页面 DOM')), 'also in the rendered DOM');
    assert.ok(leak.remarks.some((r) => r.startsWith(`client_secret 的值出现在应答正文 GET ${demo.url}（html）：`)), leak.remarks.join('\n'));
    assert.ok(!JSON.stringify(report).includes(demo.clientSecret), 'the report never repeats the secret');
  });

  it('fails check 3 when logout does not go through the platform, with the navigation as evidence', async () => {
    const { report, demo } = await checkVariant('logout-skips-platform');
    const logout = row(report, 'logout');
    assert.equal(logout.result, '异常');
    assert.equal(row(report, 'login-userinfo').result, '正常');
    assert.equal(row(report, 'binding').result, '正常');
    assert.equal(logout.remarks[0], `通过控件菜单“退出”退出后回到业务系统，但浏览器没有访问平台的退出接口（${demo.url}）：平台登录态不会被清除（7.1.1 d、5.3）。`);
    assert.match(logout.remarks[1]!, /^本地会话已销毁：/);
    assert.match(logout.remarks[2]!, /^平台会话仍然有效：再次点击登录，平台没有要求输入凭据，直接带授权码返回业务系统（.*\/auth\/callback\?code=…&state=…/);
  });

  it('fails check 2 when the business system has binding switched off', async () => {
    const { report } = await checkVariant('no-binding');
    const binding = row(report, 'binding');
    assert.equal(binding.result, '异常');
    assert.deepEqual(binding.remarks, [
      '业务系统没有开启账号绑定：GET /auth/me 返回 binding: false，控件菜单中没有“绑定本地账号”。请在 createBff 中提供 verifyLocalAccount 以核验本地账号。',
    ]);
    assert.equal(row(report, 'login-userinfo').result, '正常');
    assert.equal(row(report, 'logout').result, '正常');
  });
});
