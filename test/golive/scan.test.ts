/**
 * The front-end key scan of check 1: what counts as a leak, and that findings never repeat it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { LeakScanner } from '../../bff/golive/scan.ts';

const SECRET = 'Zq81-k3J9_production+secret/==';

describe('LeakScanner', () => {
  it('finds the client secret raw and URL-encoded, and redacts it in the excerpt', () => {
    const scanner = new LeakScanner(SECRET);
    scanner.scan('A', `<meta name="x" content="${SECRET}">`);
    scanner.scan('B', `GET /next?v=${encodeURIComponent(SECRET)}`);
    assert.deepEqual(
      scanner.findings.map((f) => [f.rule, f.where, f.excerpt]),
      [
        ['client_secret_value', 'A', '<meta name="x" content="[client_secret]">'],
        ['client_secret_value', 'B', 'GET /next?v=[client_secret]'],
      ],
    );
  });

  it('finds client_secret / paastoken with a value in the usual spellings', () => {
    const scanner = new LeakScanner(undefined);
    for (const text of ['client_secret=abcd1234', '{"client_secret":"abcd1234"}', "clientSecret: 'abcd1234'", 'paastoken=zzzz9999', '"paasToken" : "zzzz9999"', 'client_secret%3Dabcd1234']) {
      assert.equal(scanner.scan(text, text).length, 1, text);
    }
    assert.ok(scanner.findings.every((f) => f.rule === 'secret_keyword' && !f.excerpt.includes('abcd1234') && !f.excerpt.includes('zzzz9999')));
  });

  it('finds token-shaped strings: JWTs, and long values next to access_token / refresh_token or Bearer', () => {
    const scanner = new LeakScanner(undefined);
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmU';
    assert.deepEqual(scanner.scan('jwt', `<script>const t = "${jwt}"</script>`).map((f) => f.rule), ['jwt']);
    assert.deepEqual(scanner.scan('json', '{"access_token":"9f86d081884c7d659a2feaa0c55ad015","expires_in":7200}').map((f) => f.rule), ['token_value']);
    assert.deepEqual(scanner.scan('hdr', 'authorization: Bearer 3q2-7wEAAAAAAAAAAAAAAAAAAA').map((f) => f.rule), ['token_value']);
    assert.deepEqual(scanner.scan('url', '#refresh_token=QWxhZGRpbjpvcGVuIHNlc2FtZQ').map((f) => f.rule), ['token_value']);
    assert.ok(scanner.findings.every((f) => !f.excerpt.includes(jwt) && !f.excerpt.includes('9f86d081884c7d659a2feaa0c55ad015')));
  });

  it('does not flag words without a value, short values, or the widget bundle', async () => {
    const scanner = new LeakScanner(SECRET);
    assert.deepEqual(scanner.scan('prose', '本系统的 client_id 或 client_secret 配置有误（Bad credentials）'), []);
    assert.deepEqual(scanner.scan('empty', '{"client_secret":"","access_token":"short"}'), []);
    const bundle = await readFile(new URL('../../widget/dist/gd-staff-login.js', import.meta.url), 'utf8').catch(() => '');
    assert.deepEqual(scanner.scan('widget', bundle), []);
  });
});
