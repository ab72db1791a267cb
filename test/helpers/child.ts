/**
 * Child processes for tests: free ports, finding system programs, and the standalone BFF
 * (`gd-staff-login serve`) as a real separate Node process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startSandbox, type RunningSandbox } from '../../demo/sandbox/app.ts';
import { DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE, loadAccounts, loadClients } from '../../demo/sandbox/data.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bff/bin.js', import.meta.url));

/** A TCP port that was free a moment ago (for servers that must keep one port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The full path of a program on PATH or in the usual system directories, or undefined. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface SandboxWithClient {
  sandbox: RunningSandbox;
  clientId: string;
  clientSecret: string;
}

/** The platform sandbox with one registered client whose callback is `redirectUri`. */
export async function startSandboxFor(redirectUri: string): Promise<SandboxWithClient> {
  const [clients, accounts] = await Promise.all([loadClients(DEFAULT_CLIENTS_FILE), loadAccounts(DEFAULT_ACCOUNTS_FILE)]);
  const sandbox = await startSandbox({ clients, accounts });
  const template = clients[0]!;
  const clientSecret = `test-secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  sandbox.sandbox.upsertClient({
    ...template,
    client_secret: clientSecret,
    homepage: { ...template.homepage, test: `${new URL(redirectUri).origin}/` },
    redirect_uris: { test: [redirectUri], production: template.redirect_uris.production },
  });
  return { sandbox, clientId: template.client_id, clientSecret };
}

/** The BFF settings for a sandbox client, as environment variables. */
export function bffEnv(platform: SandboxWithClient, redirectUri: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GD_MODE: 'development',
    GD_PLATFORM_URL: platform.sandbox.url,
    GD_CLIENT_ID: platform.clientId,
    GD_CLIENT_SECRET: platform.clientSecret,
    GD_REDIRECT_URI: redirectUri,
    GD_LOG_LEVEL: 'info',
    // Never the repository's .data/ file; tests that share a database pass their own.
    DATABASE_URL: 'sqlite::memory:',
    ...extra,
  };
}

export interface BffProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far. */
  output(): string;
  /** SIGTERM and wait; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `gd-staff-login serve` in a child Node process and waits for its "listening" log line. */
export async function startBffProcess(env: Record<string, string>, timeoutMs = 15_000): Promise<BffProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the BFF process did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      for (const line of output.split('\n')) {
        if (!line.includes('gd-staff-login BFF listening')) continue;
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(new URL((JSON.parse(line) as { url: string }).url).origin);
        return;
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the BFF process exited with ${code} before listening:\n${output}`));
    });
  });
  return {
    child,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the CLI to completion (for commands that fail fast); returns exit code and output. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gd-staff-login ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
