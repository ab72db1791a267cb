/**
 * Fuzz: FUZZ_REQUESTS random and malformed requests (100,000 with `npm run test:load`; 5,000 in
 * `npm test`) at every BFF route over real HTTP: methods, paths (dot segments, bad
 * percent-encoding, Latin-1 bytes), query strings (repeats, brackets, huge values), cookies
 * (live session ids, junk, broken syntax), headers, bodies (JSON, forms, binary, oversized) and
 * encodings (charsets, Content-Encoding with garbage). A share goes over raw sockets with
 * request bytes Node's own client would refuse to send.
 *
 * The property: no answer is 5xx, the process never sees an uncaught exception or an unhandled
 * rejection, and the BFF still serves a real user afterwards. Requests are sent in concurrent
 * batches on keep-alive connections; fast-check shrinks a failing batch to a small example.
 * FUZZ_SEED replays a run.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { startHarness, timedLogin, getMe, TestBrowser, type Harness } from '../bench/lib/harness.ts';
import { DEMO_ACCOUNT } from '../helpers/stack.ts';
import { envCount } from './lib.ts';

const TOTAL = envCount('FUZZ_REQUESTS', 5000);
const BATCH = Number(process.env.FUZZ_BATCH ?? 100);
const RAW_SHARE = 20; // one raw-socket batch per this many HTTP batches
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);

const ROUTES = ['/login', '/callback', '/me', '/logout', '/manage', '/verify', '/healthz', '/readyz', '/bind', '/unbind', '', '/', '/unknown'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'get'];
const QUERY_KEYS = ['returnTo', 'state', 'code', 'error', 'error_description', 'touch', 'a[b]', 'state[]', '__proto__', 'constructor', ''];
const HEADER_NAMES = ['accept', 'accept-language', 'content-type', 'origin', 'sec-fetch-site', 'x-gd-login', 'x-forwarded-for', 'x-forwarded-proto', 'referer', 'authorization', 'if-none-match', 'range', 'user-agent', 'x-requested-with', 'accept-encoding', 'content-language', 'x-random-header'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=x-unknown', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream', '*/*', '', 'application/json;;;', 'application/merge-patch+json'];
const ENCODINGS = ['gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip', ''];

/** Text of header-safe characters (tab, printable ASCII, Latin-1), as Node's client accepts. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(9)).map((c) => String.fromCharCode(c)), maxLength });
/** Any Unicode text, including lone surrogates, for percent-encoded parts. */
const anyText = (maxLength: number) => fc.oneof(fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ maxLength }));

function percentEncode(text: string): string {
  // Lone surrogates cannot be UTF-8 encoded: encode what can be, and pass the rest as raw %-junk.
  return [...text].map((ch) => { try { return encodeURIComponent(ch); } catch { return '%ED%A0%80'; } }).join('');
}

const pathPart = fc.oneof(
  anyText(30).map(percentEncode),
  fc.constantFrom('..', '.', '%2e%2e', '%2E%2e/', '%', '%zz', '%C0%AF', '%00', '%ff%fe', '//', '/./', ';x=1', '%2F', '~', '\u00e9', 'a'.repeat(3000)),
);
const path = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ROUTES).map((route) => `/auth${route}`) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...ROUTES), fc.array(pathPart, { minLength: 1, maxLength: 3 }), fc.boolean())
      .map(([route, parts, after]) => (after ? `/auth${route}/${parts.join('/')}` : `/auth/${parts.join('')}${route}`)),
  },
);

const queryValue = fc.oneof(
  anyText(40).map(percentEncode),
  headerText(40).map((t) => t.replace(/[\s#]/g, '+')),
  fc.constantFrom('0', '1', '//evil.example', '/\\evil', 'https://evil.example/', '%', '%zz', '%E4%B8', 'javascript:alert(1)', 'x'.repeat(5000)),
);
const query = fc
  .tuple(fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), anyText(10).map(percentEncode)), queryValue, fc.boolean()), { maxLength: 6 }), fc.constantFrom('&', '&&', ';'))
  .map(([pairs, separator]) => (pairs.length ? '?' + pairs.map(([k, v, bare]) => (bare ? k : `${k}=${v}`)).join(separator) : ''));

interface FuzzRequest {
  method: string;
  path: string;
  headers: [string, string][];
  cookie: { kind: 'none' } | { kind: 'session'; index: number; tail: string } | { kind: 'junk'; value: string };
  body: Buffer | undefined;
}

const cookieArb = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.record({ kind: fc.constant('session' as const), index: fc.nat(4), tail: fc.oneof(fc.constant(''), fc.constantFrom('; __Host-gdsl=x', '; __Host-gdsl-tx=' + 'A'.repeat(43), ';;;', '; a=%', '; __Host-gdsl=')) }),
  fc.record({
    kind: fc.constant('junk' as const),
    value: fc.oneof(
      headerText(200),
      fc.tuple(fc.constantFrom('__Host-gdsl', '__Host-gdsl-tx', 'gdsl', 'j:', 's:'), headerText(200)).map(([n, v]) => `${n}=${v}`),
      fc.constantFrom('=', ';', '__Host-gdsl', '__Host-gdsl="', '__Host-gdsl=j:{"a":1}', '__Host-gdsl=%E0%A4%A', '__Host-gdsl=' + 'A'.repeat(43), '__Host-gdsl=' + 'B'.repeat(5000)),
    ),
  }),
);

const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.json({ maxDepth: 3 }).map((j) => Buffer.from(j)),
  fc.record({ username: fc.oneof(anyText(20), fc.integer(), fc.constant(null)), password: fc.oneof(anyText(20), fc.array(fc.nat())) }).map((o) => Buffer.from(JSON.stringify(o))),
  fc.constantFrom('{', '{"username":', '[]', 'null', '"x"', '{"__proto__":{"admin":true}}', 'username=a&password=b').map((t) => Buffer.from(t)),
  fc.nat({ max: 3 }).map((n) => Buffer.alloc([5000, 20_000, 70_000, 1][n]!, 0x61)),
);

const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.tuple(path, query).map(([p, q]) => p + q),
  headers: fc.array(
    fc.oneof(
      fc.tuple(fc.constantFrom(...HEADER_NAMES), headerText(60)),
      fc.tuple(fc.constant('content-type'), fc.constantFrom(...CONTENT_TYPES)),
      fc.tuple(fc.constant('content-encoding'), fc.constantFrom(...ENCODINGS)),
      fc.tuple(fc.constant('x-gd-login'), fc.constantFrom('1', '0', '', '1, 1')),
      fc.tuple(fc.constant('origin'), fc.constantFrom('null', 'http://evil.example', 'SITE')),
      fc.tuple(fc.constant('accept'), fc.constantFrom('text/html', 'application/json', '*/*', '', 'text/html;q=0.1, application/json;q=0.2')),
    ),
    { maxLength: 6 },
  ),
  cookie: cookieArb,
  body: bodyArb,
});

/** Raw bytes Node's client would not send: broken request lines, bad header bytes, bad framing. */
const rawArb = fc.oneof(
  fc.tuple(fc.constantFrom('GET', 'POST', 'G\x00T', ''), fc.uint8Array({ maxLength: 60 }), fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTTP/1.1 x', ''))
    .map(([m, p, v]) => Buffer.concat([Buffer.from(`${m} /auth/me`), Buffer.from(p), Buffer.from(` ${v}\r\nHost: x\r\nConnection: close\r\n\r\n`)])),
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((h) =>
    Buffer.concat([Buffer.from('GET /auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: __Host-gdsl='), Buffer.from(h), Buffer.from('\r\nX-A: \u00ff\r\n\r\n')]),
  ),
  fc.constantFrom(
    'POST /auth/bind HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg',
    'POST /auth/bind HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nX-GD-Login: 1\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
    'POST /auth/logout HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
    'GET /auth/me HTTP/1.1\r\nConnection: close\r\n\r\n',
    'GET /auth/me?%%%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET http://evil.example/auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    'GET /auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-GD-Login: 1\r\n folded\r\n\r\n',
  ).map((t) => Buffer.from(t, 'latin1')),
);

describe(`fuzz: ${TOTAL} random and malformed requests at every BFF route`, () => {
  let harness: Harness;
  let agent: Agent;
  let port = 0;
  const sessionCookies: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
    harness = await startHarness({
      bffOptions: { verifyLocalAccount: async (u, p) => (u === 'clerk' && p === 'Clerk@2026' ? { username: 'clerk', displayName: 'Clerk' } : null) },
    });
    port = Number(new URL(harness.url).port);
    agent = new Agent({ keepAlive: true, maxSockets: 32 });
    for (let i = 0; i < 5; i++) {
      const browser = new TestBrowser();
      await timedLogin(browser, harness.url, DEMO_ACCOUNT);
      sessionCookies.push(browser.cookieHeader(harness.url));
    }
  });
  after(async () => {
    agent?.destroy();
    await harness?.close();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  });

  function send(r: FuzzRequest): Promise<number> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of r.headers) headers[name] = value === 'SITE' ? new URL(harness.url).origin : value;
    if (r.cookie.kind === 'session') headers.cookie = sessionCookies[r.cookie.index]! + r.cookie.tail;
    if (r.cookie.kind === 'junk') headers.cookie = r.cookie.value;
    if (r.body !== undefined) headers['content-length'] = String(r.body.length);
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The server may close a connection after answering 413/400 before the body is sent.
        if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve(-1);
        else reject(error);
      });
      req.end(r.body);
    });
  }

  function sendRaw(bytes: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
      socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
      socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(-1) : reject(error)));
      socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? -1)));
      socket.end(bytes);
    });
  }

  it('never answers 5xx, never crashes, never leaves a rejection unhandled', { timeout: 15 * 60_000 }, async () => {
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const runs = Math.ceil(TOTAL / BATCH);
    const rawRuns = Math.max(1, Math.floor(runs / RAW_SHARE));
    const started = performance.now();
    const describeRequest = (r: FuzzRequest) => `${r.method} ${r.path.slice(0, 300)} cookie=${JSON.stringify(r.cookie).slice(0, 200)} headers=${JSON.stringify(r.headers).slice(0, 300)} body=${r.body?.length ?? 'none'}B`;
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const answers = await Promise.all(batch.map(send));
        answers.forEach((status, i) => {
          count(status);
          if (status >= 500) throw new Error(`${status} for ${describeRequest(batch[i]!)}`);
        });
      }),
      { numRuns: runs - rawRuns, seed: SEED, endOnFailure: false },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(rawArb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const answers = await Promise.all(batch.map(sendRaw));
        answers.forEach((status, i) => {
          count(status);
          if (status >= 500) throw new Error(`${status} for raw ${JSON.stringify(batch[i]!.toString('latin1'))}`);
        });
      }),
      { numRuns: rawRuns, seed: SEED },
    );
    const seconds = (performance.now() - started) / 1000;
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.log(`seed ${SEED}: ${sent} requests in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s); answers ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === -1 ? 'closed' : s}×${n}`).join(' ')}`);
    assert.ok(sent >= TOTAL, `${sent} requests sent`);
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
    assert.deepEqual(uncaught, [], 'no uncaught exception');
    // Still serving: a real user logs in and is recognised.
    const browser = new TestBrowser();
    await timedLogin(browser, harness.url, DEMO_ACCOUNT);
    const me = await getMe(browser, harness.url);
    assert.equal(me.status, 200);
    assert.equal(me.body.user.account, DEMO_ACCOUNT.account);
  });
});
