/**
 * `npm run sandbox` / `gd-staff-login sandbox`: starts with defaults, prints the URL and the demo
 * account; bad flags and bad files end with exit code 1 and one line, no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { main, type CliIo } from '../../demo/sandbox/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../demo/sandbox/cli.ts', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l), env };
}

describe('sandbox CLI', () => {
  it('exits 1 with a one-line message for an unknown flag', async () => {
    const { code, stderr } = await run(['--bogus']);
    assert.equal(code, 1);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /^gd-staff-login sandbox: Unknown option '--bogus'/);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });

  it('exits 1 naming the bad entry of a clients file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    const file = join(dir, 'clients.json');
    await writeFile(file, JSON.stringify([{ client_id: 'x', client_secret: 'long-enough', system_name: 'x', redirect_uris: { test: ['nope'] } }]));
    const { code, stderr } = await run(['--clients', file, '--port', '0']);
    assert.equal(code, 1);
    assert.equal(stderr.trim(), 'gd-staff-login sandbox: clients.json[0].redirect_uris.test[0]: must be an absolute http(s) URL');
  });

  it('reads SANDBOX_ACCOUNTS when --accounts is not given', async () => {
    const io = captureIo({ SANDBOX_ACCOUNTS: '/nonexistent/accounts.json' });
    const previous = process.exitCode;
    assert.equal(await main(['--port', '0'], io), undefined);
    assert.equal(process.exitCode, 1);
    process.exitCode = previous;
    assert.deepEqual(io.err, ['gd-staff-login sandbox: accounts file not found: /nonexistent/accounts.json']);
  });

  it('refuses a bad --port and a bad --fault', async () => {
    const previous = process.exitCode;
    for (const [args, message] of [
      [['--port', 'eighty'], /--port must be a whole number from 0 to 65535/],
      [['--fault', 'token=explode'], /--fault "token=explode"/],
    ] as const) {
      const io = captureIo();
      assert.equal(await main(args, io), undefined);
      assert.match(io.err[0] ?? '', message);
    }
    process.exitCode = previous;
  });

  it('starts with the bundled data, prints the URL and the demo account, and serves authorize', async () => {
    const io = captureIo();
    const running = await main(['--port', '0', '--quiet', '--fault', 'userinfo=status:503'], io);
    assert.ok(running);
    try {
      assert.match(io.out[0] ?? '', /^Platform sandbox listening on http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(io.out.some((l) => l.includes('demo account: zhangwei / Demo@2026')));
      assert.deepEqual(running.sandbox.faults.list(), { userinfo: { kind: 'status', status: 503 } });
      const res = await fetch(`${running.url}/oauth/authorize?client_id=demo-business-system`);
      assert.equal(res.status, 400);
    } finally {
      await running.close();
    }
  });

  it('runs as a script (the npm run sandbox entry point)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--quiet'], { cwd: ROOT });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.on('close', (code) => reject(new Error(`exited ${code} before listening`)));
      });
      assert.equal((await fetch(`${url}/__sandbox/health`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
