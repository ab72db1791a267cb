/**
 * Faults on demand (latency, 5xx, malformed JSON, connection reset, token without
 * access_token), switched in code, at start, or through the loopback-only admin interface.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import { FaultSwitch, isLoopbackAddress, parseFaultSpec } from '../../demo/sandbox/faults.ts';
import {
  CookieJar,
  demoAuthorizeParams,
  authorizeUrl,
  exchangeCode,
  login,
  loginAndExchange,
  startTestSandbox,
  tokenRequest,
  userinfo,
} from './helpers.ts';

let sb: RunningSandbox;
before(async () => {
  sb = await startTestSandbox();
});
after(() => sb.close());

async function freshCode(): Promise<string> {
  return (await login(new CookieJar(), sb.url)).searchParams.get('code') as string;
}

describe('fault kinds', () => {
  it('latency delays the answer, which is then normal', async () => {
    const tokens = await loginAndExchange(sb.url);
    sb.sandbox.faults.set('userinfo', { kind: 'latency', ms: 200 });
    try {
      const started = performance.now();
      const res = await userinfo(sb.url, tokens.access_token);
      assert.ok(performance.now() - started >= 190, 'delayed');
      assert.equal(res.status, 200);
    } finally {
      sb.sandbox.faults.clear();
    }
  });

  it('status answers JSON 503 on token and an HTML 502 page on authorize', async () => {
    sb.sandbox.faults.set('token', { kind: 'status', status: 503 });
    sb.sandbox.faults.set('authorize', { kind: 'status', status: 502 });
    try {
      const token = await tokenRequest(sb.url, { grant_type: 'authorization_code' });
      assert.equal(token.status, 503);
      assert.equal(((await token.json()) as { error: string }).error, 'server_error');
      const page = await fetch(authorizeUrl(sb.url, demoAuthorizeParams()), { redirect: 'manual' });
      assert.equal(page.status, 502);
      assert.match(page.headers.get('content-type') ?? '', /html/);
    } finally {
      sb.sandbox.faults.clear();
    }
  });

  it('malformed answers 200 application/json that does not parse', async () => {
    sb.sandbox.faults.set('token', { kind: 'malformed' });
    try {
      const res = await exchangeCode(sb.url, 'x');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const text = await res.text();
      assert.throws(() => JSON.parse(text), SyntaxError);
    } finally {
      sb.sandbox.faults.clear();
    }
  });

  it('reset destroys the connection without an answer', async () => {
    sb.sandbox.faults.set('userinfo', { kind: 'reset' });
    try {
      await assert.rejects(userinfo(sb.url, 'x'), TypeError);
    } finally {
      sb.sandbox.faults.clear();
    }
  });

  it('no_access_token answers 200 JSON without access_token, and the code is spent', async () => {
    const code = await freshCode();
    sb.sandbox.faults.set('token', { kind: 'no_access_token' });
    try {
      const res = await exchangeCode(sb.url, code);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body['access_token'], undefined);
      assert.equal(body['token_type'], 'Bearer');
    } finally {
      sb.sandbox.faults.clear();
    }
    assert.equal((await exchangeCode(sb.url, code)).status, 400);
  });

  it('a fault with times applies to that many requests, then clears itself', async () => {
    sb.sandbox.faults.set('logout', { kind: 'status', status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(new URL('/oauth/logout', sb.url))).status);
    assert.deepEqual(statuses, [500, 500, 200]);
    assert.deepEqual(sb.sandbox.faults.list(), {});
  });

  it('faults on one interface leave the others alone', async () => {
    sb.sandbox.faults.set('manage', { kind: 'status', status: 503 });
    try {
      assert.equal((await fetch(new URL('/manage/userinfo', sb.url))).status, 503);
      assert.equal((await fetch(new URL('/oauth/logout', sb.url))).status, 200);
    } finally {
      sb.sandbox.faults.clear();
    }
  });

  it('starts with faults given as options', async () => {
    const other = await startTestSandbox({ faults: [{ interface: 'token', fault: { kind: 'status', status: 500 } }] });
    try {
      assert.equal((await tokenRequest(other.url, {})).status, 500);
    } finally {
      await other.close();
    }
  });
});

describe('FaultSwitch and --fault parsing', () => {
  it('refuses no_access_token on an interface other than token, and unknown interfaces', () => {
    const faults = new FaultSwitch();
    assert.throws(() => faults.set('userinfo', { kind: 'no_access_token' }), /token interface only/);
    assert.throws(() => faults.set('nope' as 'token', { kind: 'reset' }), /must be one of authorize, token, userinfo, manage, logout/);
    assert.throws(() => faults.set('token', { kind: 'status', status: 404 as 500 }), /500, 502 or 503/);
  });

  it('parses the CLI form interface=kind[:value][xN]', () => {
    assert.deepEqual(parseFaultSpec('token=latency:5000'), { interface: 'token', fault: { kind: 'latency', ms: 5000 } });
    assert.deepEqual(parseFaultSpec('userinfo=status:503x3'), { interface: 'userinfo', fault: { kind: 'status', status: 503, times: 3 } });
    assert.deepEqual(parseFaultSpec('token=malformed'), { interface: 'token', fault: { kind: 'malformed' } });
    assert.deepEqual(parseFaultSpec('authorize=reset'), { interface: 'authorize', fault: { kind: 'reset' } });
    assert.deepEqual(parseFaultSpec('token=no_access_token'), { interface: 'token', fault: { kind: 'no_access_token' } });
  });

  it('explains a bad --fault in one line', () => {
    assert.throws(() => parseFaultSpec('token'), /expected interface=kind\[:value\]/);
    assert.throws(() => parseFaultSpec('token=latency'), /latency needs a value/);
    assert.throws(() => parseFaultSpec('token=status:418'), /500, 502 or 503/);
    assert.throws(() => parseFaultSpec('tokens=reset'), /must be one of/);
    assert.throws(() => parseFaultSpec('token=explode'), /kind must be one of/);
  });
});

describe('admin interface /__sandbox', () => {
  it('lists, sets and clears faults over HTTP', async () => {
    const admin = new URL('/__sandbox/faults', sb.url);
    const put = await fetch(admin, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ interface: 'userinfo', fault: { kind: 'status', status: 502 } }),
    });
    assert.equal(put.status, 200);
    assert.equal((await userinfo(sb.url, 'x')).status, 502);

    const perInterface = await fetch(new URL('/__sandbox/faults/token', sb.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', ms: 10 }),
    });
    assert.equal(perInterface.status, 200);

    const listed = (await (await fetch(admin)).json()) as { faults: Record<string, unknown> };
    assert.deepEqual(listed.faults, { userinfo: { kind: 'status', status: 502 }, token: { kind: 'latency', ms: 10 } });

    assert.equal((await fetch(new URL('/__sandbox/faults/userinfo', sb.url), { method: 'DELETE' })).status, 200);
    assert.deepEqual(((await (await fetch(admin)).json()) as { faults: unknown }).faults, { token: { kind: 'latency', ms: 10 } });
    assert.equal((await fetch(admin, { method: 'DELETE' })).status, 200);
    assert.deepEqual(sb.sandbox.faults.list(), {});
  });

  it('answers 400 with a clear message for a bad fault', async () => {
    const res = await fetch(new URL('/__sandbox/faults', sb.url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: { kind: 'latency', ms: 'slow' } }),
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error_description: string }).error_description, /ms: must be a number of milliseconds/);
  });

  it('answers 400 for a malformed JSON body', async () => {
    const res = await fetch(new URL('/__sandbox/faults', sb.url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"token":',
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
  });

  it('advances the clock, so a code expires without waiting', async () => {
    const code = await freshCode();
    const res = await fetch(new URL('/__sandbox/clock', sb.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 301 }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { offsetMs: number }).offsetMs, 301_000);
    assert.match(((await (await exchangeCode(sb.url, code)).json()) as { error_description: string }).error_description, /^Invalid authorization code/);
  });

  it('treats only loopback peers as local', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(a), true, a);
    for (const a of ['10.0.0.5', '192.168.1.2', '::ffff:10.0.0.5', 'fe80::1', '0.0.0.0', '::', undefined]) {
      assert.equal(isLoopbackAddress(a), false, String(a));
    }
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

  it('refuses a request from a non-loopback address with 403', { skip: external === undefined ? 'no non-loopback IPv4 interface' : false }, async () => {
    const wide = await startTestSandbox({ host: '0.0.0.0' });
    try {
      const port = new URL(wide.url).port;
      const res = await fetch(`http://${external}:${port}/__sandbox/faults`, { headers: { 'x-forwarded-for': '127.0.0.1' } });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: string }).error, 'forbidden');
      const put = await fetch(`http://${external}:${port}/__sandbox/faults/token`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'reset' }),
      });
      assert.equal(put.status, 403);
      assert.deepEqual(wide.sandbox.faults.list(), {});
      // The same server answers the admin interface on loopback.
      assert.equal((await fetch(`http://127.0.0.1:${port}/__sandbox/faults`)).status, 200);
    } finally {
      await wide.close();
    }
  });
});
