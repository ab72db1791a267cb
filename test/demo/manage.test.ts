/**
 * manage/userinfo (Table 1): the logged-in user edits their details; the next getuserinfodetail
 * returns them (8.5 j). Login first when there is no platform session; CSRF-protected form.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import {
  CookieJar,
  DEMO,
  ZHANGWEI,
  browse,
  exchangeCode,
  formWithAction,
  login,
  postForm,
  startTestSandbox,
  userinfo,
  type TokenSet,
} from './helpers.ts';

let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox();
});
after(() => sb.close());

const MANAGE = /^\/manage\/userinfo/;

function manageUrl(query: Record<string, string> = {}): URL {
  const url = new URL('/manage/userinfo', sb.url);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url;
}

describe('manage/userinfo', () => {
  it('edits name, mobile, e-mail, department and title; the next login gets the new values', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url);
    const page = await browse(jar, manageUrl());
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /张伟/);
    const form = formWithAction(html, MANAGE);
    assert.equal(form.fields['mobile'], '13800138001');

    const res = await postForm(jar, new URL(form.action, sb.url), {
      ...form.fields,
      name: '张伟（测试）',
      mobile: '13900139000',
      email: 'zw.test@gd.gov.cn',
      deptName: '数据资源与安全处',
      title: '一级主任科员',
    });
    assert.equal(res.status, 303);
    const saved = await browse(jar, new URL(res.headers.get('location') as string, sb.url));
    assert.match(await saved.text(), /已保存/);

    const callback = await login(jar, sb.url);
    const tokens = (await (await exchangeCode(sb.url, callback.searchParams.get('code') as string)).json()) as TokenSet;
    const detail = (await (await userinfo(sb.url, tokens.access_token)).json()) as Record<string, string>;
    assert.equal(detail['name'], '张伟（测试）');
    assert.equal(detail['mobile'], '13900139000');
    assert.equal(detail['email'], 'zw.test@gd.gov.cn');
    assert.equal(detail['deptName'], '数据资源与安全处');
    assert.equal(detail['title'], '一级主任科员');
    assert.equal(detail['account'], 'zhangwei', 'the account name is not editable');
  });

  it('rejects invalid values with clear messages per field and keeps the entered values', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url, undefined, { account: 'lina', password: 'Demo@2026' });
    const form = formWithAction(await (await browse(jar, manageUrl())).text(), MANAGE);
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, mobile: '12345', email: 'not-an-email', name: '' });
    assert.equal(res.status, 400);
    const html = await res.text();
    assert.match(html, /data-field="mobile">请填写 11 位手机号码/);
    assert.match(html, /data-field="email">请填写有效的电子邮箱地址/);
    assert.match(html, /data-field="name">请填写姓名/);
    assert.match(html, /value="12345"/);
    assert.equal(sb.sandbox.getAccount('lina')?.mobile, '13800138002', 'nothing saved');
  });

  it('refuses a POST without the page CSRF token', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url);
    const form = formWithAction(await (await browse(jar, manageUrl())).text(), MANAGE);
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, csrf: 'forged', name: '攻击者' });
    assert.equal(res.status, 403);
    assert.notEqual(sb.sandbox.getAccount('zhangwei')?.name, '攻击者');
  });

  it('shows the login form first without a platform session, then the page', async () => {
    const jar = new CookieJar();
    const first = await browse(jar, manageUrl());
    assert.equal(first.status, 200);
    const html = await first.text();
    assert.match(html, /登录后进入<strong>账号管理<\/strong>/);
    const form = formWithAction(html, '/oauth/login/password');
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, ...ZHANGWEI });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/manage/userinfo');
    const page = await browse(jar, new URL('/manage/userinfo', sb.url));
    assert.match(await page.text(), /<dd id="account">zhangwei<\/dd>/);
  });

  it('offers 返回业务系统 only for an address registered for the named client', async () => {
    const jar = new CookieJar();
    await login(jar, sb.url);
    const good = await (await browse(jar, manageUrl({ client_id: DEMO.clientId, redirect_uri: DEMO.home }))).text();
    assert.match(good, /<a id="back" href="http:\/\/localhost:3000\/">返回业务系统<\/a>/);
    const evil = await (await browse(jar, manageUrl({ client_id: DEMO.clientId, redirect_uri: 'https://evil.example/' }))).text();
    assert.doesNotMatch(evil, /id="back"/);
    const unknown = await (await browse(jar, manageUrl({ client_id: 'nope', redirect_uri: DEMO.home }))).text();
    assert.doesNotMatch(unknown, /id="back"/);
  });
});
