/**
 * clients.json / accounts.json validation: every message names the bad entry by its path.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_ACCOUNTS_FILE,
  DEFAULT_CLIENTS_FILE,
  SandboxDataError,
  loadAccounts,
  loadClients,
  parseAccounts,
  parseClients,
} from '../../demo/sandbox/data.ts';
import { createSandbox } from '../../demo/sandbox/app.ts';

const goodClient = {
  client_id: 'a-system',
  client_secret: 'a-long-enough-secret',
  system_name: '测试系统',
  redirect_uris: { test: ['http://localhost:3000/auth/callback'], production: [] },
};

const goodAccount = {
  userId: 'u1',
  account: 'tester',
  password: 'Test@2026',
  name: '测试',
  orgName: '广东省测试局',
  orgCode: '11440000TEST00000X',
  deptName: '办公室',
  title: '科员',
  mobile: '13800138000',
  email: 'tester@gd.gov.cn',
};

function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SandboxDataError, String(error));
    return [...error.issues];
  }
  assert.fail('expected a SandboxDataError');
}

describe('clients file', () => {
  it('loads the bundled defaults with both demo systems', async () => {
    const clients = await loadClients(DEFAULT_CLIENTS_FILE);
    assert.deepEqual(
      clients.map((c) => c.client_id),
      ['demo-business-system', 'demo-second-system'],
    );
    assert.ok(clients[0]?.redirect_uris.test.includes('http://localhost:3000/auth/callback'));
    assert.equal(clients[0]?.homepage?.test, 'http://localhost:3000/');
  });

  it('names a callback URL that is not absolute http(s)', () => {
    const bad = { ...goodClient, redirect_uris: { test: ['/auth/callback'], production: [] } };
    assert.deepEqual(messages(() => parseClients([goodClient, bad], 'clients.json')), [
      'clients.json[1].redirect_uris.test[0]: must be an absolute http(s) URL',
    ]);
  });

  it('names a callback URL with a fragment or a javascript: scheme', () => {
    const bad = { ...goodClient, redirect_uris: { test: ['http://localhost/cb#x'], production: ['javascript:alert(1)'] } };
    assert.deepEqual(messages(() => parseClients([bad], 'clients.json')), [
      'clients.json[0].redirect_uris.test[0]: must not contain a fragment (#…), RFC 6749 §3.1.2',
      'clients.json[0].redirect_uris.production[0]: must be an absolute http(s) URL',
    ]);
  });

  it('names missing fields, unknown fields, a short secret and a duplicate client_id', () => {
    const list = messages(() =>
      parseClients(
        [
          goodClient,
          { ...goodClient, client_secret: 'short', redirect_uri: 'http://typo/' },
          { client_id: 'x' },
          { ...goodClient },
        ],
        'clients.json',
      ),
    );
    assert.deepEqual(list, [
      'clients.json[1].client_secret: must be at least 8 characters',
      'clients.json[1]: unknown field "redirect_uri"',
      'clients.json[2].client_secret: is required',
      'clients.json[2].system_name: is required',
      'clients.json[2].redirect_uris: is required',
      'clients.json[3].client_id: "a-system" is already used by clients.json[0]',
    ]);
  });

  it('requires at least one callback URL and a known pkce policy', () => {
    assert.deepEqual(
      messages(() => parseClients([{ ...goodClient, redirect_uris: { test: [], production: [] }, pkce: 'sometimes' }], 'c.json')),
      ['c.json[0].redirect_uris: must register at least one callback URL (test or production)', 'c.json[0].pkce: must be "optional" or "required"'],
    );
  });

  it('refuses a file that is not a list, not JSON, or missing', async () => {
    assert.deepEqual(messages(() => parseClients({ clients: [] }, 'clients.json')), ['clients.json: must be a JSON array of clients']);
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-data-'));
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '[{"client_id": ');
    await assert.rejects(loadClients(broken), /^SandboxDataError: broken\.json: not valid JSON/);
    await assert.rejects(loadClients(join(dir, 'absent.json')), /clients file not found: .*absent\.json/);
  });
});

describe('accounts file', () => {
  it('loads the bundled defaults, including the demo account zhangwei / Demo@2026', async () => {
    const accounts = await loadAccounts(DEFAULT_ACCOUNTS_FILE);
    assert.ok(accounts.length >= 5 && accounts.length <= 8);
    const demo = accounts.find((a) => a.account === 'zhangwei');
    assert.equal(demo?.password, 'Demo@2026');
    assert.equal(demo?.name, '张伟');
  });

  it('names a bad mobile, e-mail and certificate serial', () => {
    const bad = {
      ...goodAccount,
      mobile: '12345',
      email: 'nope',
      certificates: [{ serial: 'xyz', subject: 'CN=测试' }],
    };
    assert.deepEqual(messages(() => parseAccounts([bad], 'accounts.json')), [
      'accounts.json[0].mobile: must be an 11-digit mainland mobile number such as 13800138000',
      'accounts.json[0].email: must be an e-mail address',
      'accounts.json[0].certificates[0].serial: must be 4-64 hexadecimal digits',
    ]);
  });

  it('names duplicate userId, account (any case) and certificate serial', () => {
    const cert = { serial: 'ABCD1234', subject: 'CN=测试' };
    const list = messages(() =>
      parseAccounts(
        [
          { ...goodAccount, certificates: [cert] },
          { ...goodAccount, account: 'TESTER', certificates: [{ ...cert, serial: 'abcd1234' }] },
        ],
        'accounts.json',
      ),
    );
    assert.deepEqual(list, [
      'accounts.json[1].userId: "u1" is already used by accounts.json[0]',
      'accounts.json[1].account: "tester" is already used by accounts.json[0]',
      'accounts.json[1].certificates: "ABCD1234" is already used by accounts.json[0]',
    ]);
  });
});

describe('createSandbox options', () => {
  it('validates clients passed in code, naming them as options.clients', () => {
    assert.throws(
      () => createSandbox({ clients: [{ ...goodClient, redirect_uris: { test: ['ftp://x/'] } }], accounts: [goodAccount] }),
      /options\.clients\[0\]\.redirect_uris\.test\[0\]: must be an absolute http\(s\) URL/,
    );
  });

  it('validates upsertClient and names the client', () => {
    const sandbox = createSandbox({ clients: [goodClient], accounts: [goodAccount] });
    assert.throws(() => sandbox.upsertClient({ ...goodClient, client_secret: 'x' }), /client "a-system"\.client_secret: must be at least 8 characters/);
    assert.equal(sandbox.upsertClient({ ...goodClient, system_name: '改名' }).system_name, '改名');
  });

  it('refuses a non-positive lifetime', () => {
    assert.throws(() => createSandbox({ clients: [goodClient], accounts: [goodAccount], codeTtlSeconds: 0 }), /codeTtlSeconds must be a positive/);
  });
});
