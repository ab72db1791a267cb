/**
 * The other two login methods of clause 5.1: QR-code scan (the page polls; a "phone" page
 * confirms) and digital certificate. Both keep the authorize parameters to the end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import {
  CookieJar,
  DEMO,
  authorizeUrl,
  browse,
  demoAuthorizeParams,
  exchangeCode,
  formWithAction,
  parseForms,
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

/** Open authorize in a fresh browser and switch to one login method's tab. */
async function openMethod(method: 'qr' | 'cert') {
  const jar = new CookieJar();
  const page = await (await browse(jar, authorizeUrl(sb.url, demoAuthorizeParams({ state: `${method}-state` })))).text();
  const href = new RegExp(`href="(/oauth/login\\?pending=[^"]+&amp;method=${method})"`).exec(page)?.[1];
  assert.ok(href, `the login page links to the ${method} method`);
  const res = await browse(jar, new URL(href.replace(/&amp;/g, '&'), sb.url));
  assert.equal(res.status, 200);
  return { jar, html: await res.text() };
}

async function userOf(callback: URL): Promise<{ account: string }> {
  const tokens = (await (await exchangeCode(sb.url, callback.searchParams.get('code') as string)).json()) as TokenSet;
  return (await (await userinfo(sb.url, tokens.access_token)).json()) as { account: string };
}

describe('QR-code login', () => {
  it('shows a real QR code (SVG) of the phone confirmation URL and a polling script file', async () => {
    const { html } = await openMethod('qr');
    assert.match(html, /<svg[^>]*viewBox/);
    assert.match(html, /<script src="\/static\/qr-poll\.js" defer><\/script>/);
    assert.match(html, /data-status-url="\/oauth\/qr\/status\?ticket=/);
    const js = await fetch(new URL('/static/qr-poll.js', sb.url));
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  it('completes the login after the phone confirms: status goes waiting → confirmed', async () => {
    const { jar, html } = await openMethod('qr');
    const statusUrl = new URL(/data-status-url="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') as string, sb.url);
    const confirmUrl = /href="([^"]*\/oauth\/qr\/confirm\?ticket=[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') as string;
    assert.ok(confirmUrl);

    assert.deepEqual(((await (await browse(jar, statusUrl)).json()) as { status: string }).status, 'waiting');

    // Completing before the phone confirmed is refused, the page stays.
    const complete = formWithAction(html, '/oauth/login/qr');
    assert.equal((await postForm(jar, new URL(complete.action, sb.url), complete.fields)).status, 409);

    // The "phone" is another device: no cookies of the login browser.
    const phone = new CookieJar();
    const phonePage = await (await browse(phone, confirmUrl)).text();
    const choice = parseForms(phonePage).find((f) => f.fields['userId'] === 'gd-4401-000002');
    assert.ok(choice, 'the phone page offers lina');
    const confirmed = await postForm(phone, new URL(choice.action, sb.url), choice.fields);
    assert.equal(confirmed.status, 200);
    assert.match(await confirmed.text(), /已确认登录/);

    assert.equal(((await (await browse(jar, statusUrl)).json()) as { status: string }).status, 'confirmed');
    // The status of another browser's ticket tells nothing.
    assert.equal(((await (await browse(new CookieJar(), statusUrl)).json()) as { status: string }).status, 'expired');

    const res = await postForm(jar, new URL(complete.action, sb.url), complete.fields);
    assert.equal(res.status, 302);
    const callback = new URL(res.headers.get('location') as string);
    assert.equal(`${callback.origin}${callback.pathname}`, DEMO.redirectUri);
    assert.equal(callback.searchParams.get('state'), 'qr-state');
    assert.equal((await userOf(callback)).account, 'lina');
  });

  it('refuses a second confirmation of the same ticket', async () => {
    const { html } = await openMethod('qr');
    const confirmUrl = /href="([^"]*\/oauth\/qr\/confirm\?ticket=[^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') as string;
    const phone = new CookieJar();
    const choice = parseForms(await (await browse(phone, confirmUrl)).text())[0];
    assert.ok(choice);
    assert.equal((await postForm(phone, new URL(choice.action, sb.url), choice.fields)).status, 200);
    assert.equal((await postForm(phone, new URL(choice.action, sb.url), choice.fields)).status, 409);
  });

  it('reports an unknown ticket as expired', async () => {
    const res = await fetch(new URL('/oauth/qr/status?ticket=nope', sb.url));
    assert.deepEqual(await res.json(), { status: 'expired' });
  });
});

describe('digital-certificate login', () => {
  it('lists the test certificates bound to accounts', async () => {
    const { html } = await openMethod('cert');
    for (const serial of ['5A3F0001C2D4E6F8', '5A3F0002B7C9A1E3', '5A3F0003D1E2F3A4']) assert.match(html, new RegExp(serial));
    assert.match(html, /CN=张伟/);
  });

  it('logs in as the account the chosen certificate is bound to', async () => {
    const { jar, html } = await openMethod('cert');
    const form = formWithAction(html, '/oauth/login/cert');
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, serial: '5A3F0003D1E2F3A4' });
    assert.equal(res.status, 302);
    const callback = new URL(res.headers.get('location') as string);
    assert.equal(callback.searchParams.get('state'), 'cert-state');
    assert.equal((await userOf(callback)).account, 'chenzhiqiang');
  });

  it('refuses a certificate that is not bound to any account', async () => {
    const { jar, html } = await openMethod('cert');
    const form = formWithAction(html, '/oauth/login/cert');
    const res = await postForm(jar, new URL(form.action, sb.url), { ...form.fields, serial: 'DEADBEEF' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /证书无效/);
  });
});
