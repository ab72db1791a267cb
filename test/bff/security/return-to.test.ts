/**
 * Rule 2: after login the browser goes only to a same-origin relative path; anything else falls
 * back to `/` (RFC 9700 section 4.11, open redirectors). Every case runs the real login: the
 * value goes in at /auth/login and the Location of the callback is what is checked.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestBrowser, at, callbackUrlFor, startSecureStack, type SecureStack } from './helpers.ts';
import { safeReturnTo } from '../../../bff/return-to.ts';

const HOSTILE: Array<[name: string, value: string]> = [
  ['//evil', '//evil.example/steal'],
  ['/\\evil', '/\\evil.example'],
  ['https://evil', 'https://evil.example/'],
  ['http:evil (scheme-relative)', 'http:evil.example'],
  ['/%09/evil (encoded tab)', '/%09/evil.example'],
  ['%2F%2Fevil (encoded //)', '%2F%2Fevil.example'],
  ['/%2F%2Fevil', '/%2F%2Fevil.example'],
  ['/%5Cevil (encoded backslash)', '/%5Cevil.example'],
  ['javascript:', 'javascript:alert(document.cookie)'],
  ['data:', 'data:text/html,<script>alert(1)</script>'],
  ['a raw tab', '/\t/evil.example'],
  ['a raw newline (header injection)', '/\r\nLocation: https://evil.example'],
  ['a NUL byte', '/\u0000//evil.example'],
  ['DEL', '/\u007f/evil.example'],
  ['over-long (3000 characters)', `/${'a'.repeat(3000)}`],
  ['/.//evil (dot segment that normalises to //)', '/.//evil.example'],
  ['/%2e//evil (encoded dot segment)', '/%2e//evil.example'],
  ['/a/..//evil', '/a/..//evil.example'],
  ['///evil', '///evil.example'],
  ['\\\\evil', '\\\\evil.example'],
  ['bad percent-encoding', '/%E0%A4%A'],
  ['a leading space', ' /ok'],
  ['a relative path without /', 'ok/page'],
  ['an empty value', ''],
];

describe('return paths (rule 2)', () => {
  let stack: SecureStack;
  let browser: TestBrowser;
  before(async () => {
    stack = await startSecureStack();
    browser = new TestBrowser();
    // Log in once on the platform: every later login is single sign-on, so each case is fast.
    await browser.follow(await callbackUrlFor(browser, stack));
  });
  after(() => stack.close());

  async function landing(query: string): Promise<string> {
    const { url } = await browser.follow(at(stack, `/auth/login${query}`));
    return url;
  }

  for (const [name, value] of HOSTILE) {
    it(`rejects a returnTo of ${name}`, async () => {
      const query = `?${new URLSearchParams({ returnTo: value })}`;
      assert.equal(await landing(query), at(stack, '/'));
    });
  }

  it('rejects a repeated returnTo (returnTo=/a&returnTo=//evil)', async () => {
    assert.equal(await landing('?returnTo=/a&returnTo=//evil.example'), at(stack, '/'));
  });

  it('ignores an array-style returnTo[]=//evil', async () => {
    assert.equal(await landing('?returnTo[]=//evil.example'), at(stack, '/'));
  });

  it('keeps a same-origin path with its query and fragment', async () => {
    assert.equal(await landing(`?${new URLSearchParams({ returnTo: '/protected?tab=1&q=%E4%B8%AD' })}`), at(stack, '/protected?tab=1&q=%E4%B8%AD'));
  });

  it('normalises a harmless dot segment and still stays on the site', async () => {
    assert.equal(await landing(`?${new URLSearchParams({ returnTo: '/a/../protected' })}`), at(stack, '/protected'));
  });

  it('never returns anything that a browser would read as another origin (unit sweep)', () => {
    const prefixes = ['/', '//', '/\\', '/./', '/../', '/%2e/', '/%2e%2e/', '/.%2e/', '%2f', '/%2f', '/%5c', '/\t', '/%09', '/%0a'];
    for (const a of prefixes) {
      for (const b of prefixes) {
        const result = safeReturnTo(`${a}${b}evil.example`);
        const resolved = new URL(result, 'https://site.example');
        assert.equal(resolved.origin, 'https://site.example', `${JSON.stringify(a + b)} → ${result}`);
        assert.ok(!result.startsWith('//') && !decodeURIComponent(result).startsWith('//'), `${JSON.stringify(a + b)} → ${result}`);
      }
    }
  });
});
