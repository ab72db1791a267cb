/**
 * `gd-staff-login form`: the Appendix A form from the BFF configuration and a description file,
 * and each refusal.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { main } from '../../bff/golive/form.ts';

const BIN = fileURLToPath(new URL('../../bff/bin.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../demo/variants/describe.example.json', import.meta.url));

const TEST_ENV = {
  GD_MODE: 'development',
  GD_PLATFORM_URL: 'http://127.0.0.1:4100',
  GD_CLIENT_ID: 'demo-business-system',
  GD_CLIENT_SECRET: 'sandbox-demo-secret-6f1c2b9e4a7d',
  GD_REDIRECT_URI: 'http://localhost:3000/auth/callback',
};
const PRODUCTION_ENV = {
  GD_MODE: 'production',
  GD_PLATFORM_URL: 'https://tyrz.example.gov.cn',
  GD_CLIENT_ID: 'demo-business-system',
  GD_CLIENT_SECRET: 'k3J9-production-secret-Zq81',
  GD_REDIRECT_URI: 'https://demo.example.gov.cn/auth/callback',
};

function sink() {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    }),
    text: () => text,
  };
}

describe('gd-staff-login form', () => {
  let dir: string;
  let example: Record<string, any>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gdsl-form-'));
    example = JSON.parse(await readFile(EXAMPLE, 'utf8'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(env: Record<string, string>, description: unknown, extra: string[] = []) {
    const file = join(dir, `describe-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, typeof description === 'string' ? description : JSON.stringify(description));
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const stdout = sink();
    const stderr = sink();
    const code = await main(['--describe', file, '--out', out, ...extra], { env, stdout: stdout.stream, stderr: stderr.stream });
    return { code, out, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('writes the form as Markdown and printable HTML, with values from the description and the configuration', async () => {
    const { code, out, stderr } = await run(TEST_ENV, { ...example, callback: { production: example.callback.production }, appliedAt: undefined });
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const md = await readFile(join(out, 'A1-application-form.md'), 'utf8');
    assert.match(md, /^# 表A\.1 广东省政务人员统一身份认证子平台接入申请表\n/);
    for (const line of [
      '| 业务系统名称 | 政务协同办公演示系统 |',
      '| 业务单位名称（盖章） | 广东省政务服务和数据管理局<br>盖章：＿＿＿＿＿＿（待盖章） |',
      '| 单位联系人 | 张伟 |',
      '| 申请时间 | ＿＿＿＿＿＿（待填写） |',
      '| 单位联系人电话 | 020-83133000 |',
      '| 单位联系人邮箱 | zhangwei@gd.gov.cn |',
      // The test callback was not in the description: it comes from GD_REDIRECT_URI.
      '| 业务系统回调地址 | 测试环境：http://localhost:3000/auth/callback<br>生产环境：https://demo.example.gov.cn/auth/callback |',
      '| 系统开发商 | 广东数字政府演示开发有限公司 |',
      '| 开发商联系人 | 陈工 |',
      '| 联系电话 | 13800138100 |',
      '- 业务系统回调地址（测试环境）取自 BFF 配置 GD_REDIRECT_URI。',
      '- 测试环境回调地址已核对，与 BFF 配置 GD_REDIRECT_URI 完全一致。',
    ]) {
      assert.ok(md.includes(line), `missing: ${line}`);
    }
    const html = await readFile(join(out, 'A1-application-form.html'), 'utf8');
    assert.match(html, /<th scope="row">业务单位名称<br>（盖章）<\/th><td colspan="3">广东省政务服务和数据管理局<br><span class="stamp">业务单位盖章处<\/span><\/td>/);
    assert.match(html, /<th scope="row">申请时间<\/th><td><span class="blank">待填写<\/span><\/td>/);
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    assert.ok(html.includes(`style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'`));
    assert.doesNotMatch(html, /<script|style="/i);
    assert.ok(!md.includes(TEST_ENV.GD_CLIENT_SECRET) && !html.includes(TEST_ENV.GD_CLIENT_SECRET), 'the form never shows the secret');
  });

  it('checks the production callback when the configuration is for production', async () => {
    const { code, out } = await run(PRODUCTION_ENV, { ...example, appliedAt: '2026-03-01' });
    assert.equal(code, 0);
    const md = await readFile(join(out, 'A1-application-form.md'), 'utf8');
    assert.ok(md.includes('| 申请时间 | 2026-03-01 |'));
    assert.ok(md.includes('- 生产环境回调地址已核对，与 BFF 配置 GD_REDIRECT_URI 完全一致。'));
  });

  it('refuses a production callback URL that is not https', async () => {
    const { code, stderr, out } = await run(TEST_ENV, { ...example, callback: { ...example.callback, production: 'http://demo.example.gov.cn/auth/callback' } });
    assert.equal(code, 1);
    assert.equal(
      stderr,
      '拒绝生成 / refused: 生产环境回调地址必须使用 https / the production callback URL must use https: callback.production is http://demo.example.gov.cn/auth/callback. Serve the business system over https and register https://…/auth/callback.\n',
    );
    await assert.rejects(readFile(join(out, 'A1-application-form.md')), { code: 'ENOENT' });
  });

  it('refuses a callback URL that differs from GD_REDIRECT_URI', async () => {
    const { code, stderr } = await run({ ...TEST_ENV, GD_REDIRECT_URI: 'http://localhost:3000/sso/callback' }, example);
    assert.equal(code, 1);
    assert.match(stderr, /callback\.test \(测试环境\) is http:\/\/localhost:3000\/auth\/callback but GD_REDIRECT_URI is http:\/\/localhost:3000\/sso\/callback\./);
    const production = await run(PRODUCTION_ENV, { ...example, callback: { ...example.callback, production: 'https://other.example.gov.cn/auth/callback' } });
    assert.equal(production.code, 1);
    assert.match(production.stderr, /callback\.production \(生产环境\) is https:\/\/other\.example\.gov\.cn\/auth\/callback but GD_REDIRECT_URI is https:\/\/demo\.example\.gov\.cn\/auth\/callback/);
  });

  it('refuses a bad description file, naming each field', async () => {
    const { contact, ...noContact } = example;
    const bad = await run(TEST_ENV, { ...noContact, developer: { ...example.developer, phone: 'call me' }, colour: 'red', homepage: { test: 'localhost:3000' } });
    assert.equal(bad.code, 1);
    const lines = bad.stderr.replace(/^拒绝生成 \/ refused: /, '').trim().split('\n');
    assert.deepEqual(lines.map((l) => l.replace(/^describe-\w+\.json: /, '')).sort(), [
      'contact: is required',
      'developer.phone: must be a telephone number such as 020-83133000 or 13800138000',
      'homepage.test: must be an absolute http(s) URL',
      'unknown field "colour"',
    ]);
    const notJson = await run(TEST_ENV, '{ "systemName": ');
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /describe-\w+\.json: not valid JSON/);
  });

  it('reports a configuration mistake by its variable', async () => {
    const { GD_CLIENT_ID: _omit, ...env } = TEST_ENV;
    const { code, stderr } = await run(env, example);
    assert.equal(code, 1);
    assert.equal(stderr, '配置错误 / configuration error: GD_CLIENT_ID (clientId): is required\n');
  });

  it('runs as `gd-staff-login form` from the package binary', async () => {
    const out = join(dir, 'bin-out');
    const ok = await promisify(execFile)(process.execPath, [BIN, 'form', '--describe', EXAMPLE, '--out', out], { env: { ...process.env, ...TEST_ENV } });
    assert.match(ok.stdout, /A1-application-form\.html/);
    assert.match(await readFile(join(out, 'A1-application-form.md'), 'utf8'), /\| 业务系统名称 \| 政务协同办公演示系统 \|/);
    const refused = await promisify(execFile)(process.execPath, [BIN, 'form', '--describe', EXAMPLE, '--out', out], {
      env: { ...process.env, ...TEST_ENV, GD_REDIRECT_URI: 'http://localhost:3001/auth/callback' },
    }).catch((error: { code: number; stderr: string }) => error);
    assert.equal((refused as { code: number }).code, 1);
    assert.match((refused as { stderr: string }).stderr, /^拒绝生成 \/ refused: 回调地址与 BFF 配置不一致/);
  });

  it('needs --describe', async () => {
    const stderr = sink();
    const code = await main(['--out', dir], { env: TEST_ENV, stdout: sink().stream, stderr: stderr.stream });
    assert.equal(code, 1);
    assert.match(stderr.text(), /--describe FILE is required/);
  });
});
