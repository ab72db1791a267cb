/**
 * GD_PLATFORM_CA_FILE: a platform whose https certificate chains to a private CA (government
 * networks). The file is validated at start-up; with it, platform calls trust that CA in
 * addition to the system roots; without it, the same platform is refused as unreachable.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, fetch } from 'undici';
import { ConfigError, resolveConfig, type BffConfig } from '../../bff/config.ts';
import { BffError } from '../../bff/errors.ts';
import { codeChallengeS256, exchangeCode, fetchUserDetail, randomToken } from '../../bff/platform.ts';
import type { RunningSandbox } from '../../demo/sandbox/app.ts';
import { privateCa, skipWithoutOpenssl, type TestCa } from '../helpers/tls.ts';
import { DEMO, ZHANGWEI, formWithAction, startTestSandbox } from '../demo/helpers.ts';

describe('GD_PLATFORM_CA_FILE: a platform behind a private CA', { skip: skipWithoutOpenssl }, () => {
  let ca: TestCa;
  let sandbox: RunningSandbox;
  let trusting: Agent;
  before(async () => {
    ca = await privateCa();
    sandbox = await startTestSandbox({ tls: { cert: ca.cert, key: ca.key } });
    trusting = new Agent({ connect: { ca: [...rootCertificates, ca.ca] } });
  });
  after(async () => {
    await sandbox?.close();
    await trusting?.close();
    await ca?.remove();
  });

  /** Production settings (https platform, strong secret) pointing at the https sandbox. */
  const env = (extra: Record<string, string> = {}) => ({
    GD_PLATFORM_URL: sandbox.url,
    GD_CLIENT_ID: DEMO.clientId,
    GD_CLIENT_SECRET: DEMO.clientSecret,
    GD_REDIRECT_URI: DEMO.redirectUri,
    ...extra,
  });

  function refused(extra: Record<string, string>, message: RegExp): void {
    assert.throws(
      () => resolveConfig({}, env(extra)),
      (error: unknown) => error instanceof ConfigError && error.variable === 'GD_PLATFORM_CA_FILE (platformCaFile)' && message.test(error.message),
    );
  }

  it('refuses a file that does not exist, naming the variable', () => {
    refused({ GD_PLATFORM_CA_FILE: join(ca.dir, 'missing.crt') }, /^GD_PLATFORM_CA_FILE \(platformCaFile\): file not found: .*missing\.crt/);
  });

  it('refuses a file without a PEM certificate (a key, a DER file, a directory)', async () => {
    refused({ GD_PLATFORM_CA_FILE: ca.keyFile }, /contains no PEM certificate \(-----BEGIN CERTIFICATE-----\)/);
    const der = join(ca.dir, 'ca.der');
    await writeFile(der, Buffer.from(ca.ca.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    refused({ GD_PLATFORM_CA_FILE: der }, /contains no PEM certificate/);
    refused({ GD_PLATFORM_CA_FILE: ca.dir }, /cannot read .* \(EISDIR\)/);
  });

  it('refuses a PEM block that is not a certificate', async () => {
    const broken = join(ca.dir, 'broken.crt');
    await writeFile(broken, `${ca.ca}-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n`);
    refused({ GD_PLATFORM_CA_FILE: broken }, /certificate 2 in .*broken\.crt cannot be read/);
  });

  it('accepts a PEM CA file, from the environment or the option', () => {
    assert.equal(resolveConfig({}, env({ GD_PLATFORM_CA_FILE: ca.caFile })).platformCa?.file, ca.caFile);
    const fromOption = resolveConfig({ platformCaFile: ca.caFile }, env());
    assert.equal(fromOption.platformCa?.file, ca.caFile);
    assert.match(fromOption.platformCa!.pem, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(resolveConfig({}, env()).platformCa, undefined);
  });

  /** A code for zhangwei from the https sandbox, as the browser would bring it back. */
  async function code(verifier: string): Promise<string> {
    const authorize = new URL('/oauth/authorize', sandbox.url);
    for (const [k, v] of Object.entries({ client_id: DEMO.clientId, response_type: 'code', redirect_uri: DEMO.redirectUri, state: 's', code_challenge: codeChallengeS256(verifier), code_challenge_method: 'S256' })) {
      authorize.searchParams.set(k, v);
    }
    const page = await fetch(authorize, { dispatcher: trusting, redirect: 'manual' });
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const form = formWithAction(await page.text(), '/oauth/login/password');
    const back = await fetch(new URL(form.action, sandbox.url), {
      method: 'POST',
      dispatcher: trusting,
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ ...form.fields, account: ZHANGWEI.account, password: ZHANGWEI.password }),
    });
    assert.equal(back.status, 302);
    return new URL(back.headers.get('location')!).searchParams.get('code')!;
  }

  it('exchanges the code and reads the user over https when the CA is configured (production mode)', async () => {
    const config: BffConfig = resolveConfig({}, env({ GD_PLATFORM_CA_FILE: ca.caFile }));
    assert.equal(config.mode, 'production');
    const verifier = randomToken();
    const tokens = await exchangeCode(config, await code(verifier), verifier);
    assert.equal(typeof tokens.accessToken, 'string');
    const user = await fetchUserDetail(config, tokens.accessToken);
    assert.equal(user.userId, ZHANGWEI.userId);
  });

  it('refuses the same platform as platform_unreachable without the CA (the certificate is not trusted)', async () => {
    const config = resolveConfig({}, env());
    const verifier = randomToken();
    await assert.rejects(exchangeCode(config, await code(verifier), verifier), (error: unknown) => {
      assert.ok(error instanceof BffError);
      assert.equal(error.code, 'platform_unreachable');
      assert.match(String((error.cause as Error | undefined)?.message), /unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i);
      return true;
    });
  });
});
