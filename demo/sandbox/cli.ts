/**
 * Run the sandbox alone: `npm run sandbox -- --port 4100 --clients FILE --accounts FILE`.
 * `main(argv)` is also what the `gd-staff-login sandbox` command calls.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { startSandbox, type RunningSandbox } from './app.ts';
import { DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE, loadAccounts, loadClients } from './data.ts';
import { parseFaultSpec } from './faults.ts';

export const USAGE = `Usage: gd-staff-login sandbox [options]

  --port N                 port to listen on (default 4100; 0 picks a free one)
  --host H                 address to listen on (default 127.0.0.1)
  --clients FILE           registered clients JSON (default $SANDBOX_CLIENTS or the bundled demo file)
  --accounts FILE          platform accounts JSON (default $SANDBOX_ACCOUNTS or the bundled demo file)
  --fault IFACE=KIND[:N]   start with a fault, repeatable: token=latency:5000, userinfo=status:503,
                           token=malformed, authorize=reset, token=no_access_token (append xN: next N requests only)
  --code-ttl S             authorization code lifetime in seconds (default 300)
  --access-token-ttl S     access token lifetime in seconds (default 7200)
  --refresh-token-ttl S    refresh token lifetime in seconds (default 2592000)
  --no-rotate-refresh      keep the same refresh token on refresh (default: rotate)
  --public-url URL         external base URL for the QR code (default: from the request)
  --tls-cert FILE          serve over https with this PEM certificate (chain) ...
  --tls-key FILE           ... and this PEM private key (both or neither; default: plain http)
  --quiet                  no request log
  -h, --help               this help`;

class UsageError extends Error {}

/** Reads the --tls-cert / --tls-key files; a missing or non-PEM file is a one-line usage error. */
async function readTls(certFile: string, keyFile: string): Promise<{ cert: string; key: string }> {
  const read = async (flag: string, file: string, marker: RegExp, what: string) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--${flag} ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (!marker.test(text)) throw new UsageError(`--${flag} ${file}: not a PEM ${what}`);
    return text;
  };
  return {
    cert: await read('tls-cert', certFile, /-----BEGIN CERTIFICATE-----/, 'certificate (-----BEGIN CERTIFICATE-----)'),
    key: await read('tls-key', keyFile, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key (-----BEGIN … PRIVATE KEY-----)'),
  };
}

function int(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`);
  }
  return Number(value);
}

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: CliIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

/**
 * Start the sandbox from command-line arguments. On bad flags or bad files it prints one line to
 * stderr, sets `process.exitCode = 1` and resolves to undefined (no stack trace).
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<RunningSandbox | undefined> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        strict: true,
        allowPositionals: false,
        options: {
          port: { type: 'string' },
          host: { type: 'string' },
          clients: { type: 'string' },
          accounts: { type: 'string' },
          fault: { type: 'string', multiple: true },
          'code-ttl': { type: 'string' },
          'access-token-ttl': { type: 'string' },
          'refresh-token-ttl': { type: 'string' },
          'no-rotate-refresh': { type: 'boolean' },
          'public-url': { type: 'string' },
          'tls-cert': { type: 'string' },
          'tls-key': { type: 'string' },
          quiet: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (error) {
      // parseArgs messages are one line already ("Unknown option '--bogus'...").
      throw new UsageError(`${(error as Error).message.split('\n')[0]} (see --help)`);
    }
    const v = parsed.values;
    if (v.help) {
      io.stdout(USAGE);
      return undefined;
    }
    const port = int('port', v.port, 0, 65535) ?? 4100;
    const host = v.host ?? '127.0.0.1';
    const faults = (v.fault ?? []).map(parseFaultSpec);
    if (v['public-url'] !== undefined && !/^https?:\/\/[^/]+/.test(v['public-url'])) {
      throw new UsageError(`--public-url must be an absolute http(s) URL (got "${v['public-url']}")`);
    }
    if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined)) {
      throw new UsageError('--tls-cert and --tls-key go together: give both to serve over https, or neither for http');
    }
    const tls = v['tls-cert'] === undefined ? undefined : await readTls(v['tls-cert'], v['tls-key']!);
    const clientsFile = v.clients ?? io.env['SANDBOX_CLIENTS'] ?? DEFAULT_CLIENTS_FILE;
    const accountsFile = v.accounts ?? io.env['SANDBOX_ACCOUNTS'] ?? DEFAULT_ACCOUNTS_FILE;
    const [clients, accounts] = await Promise.all([loadClients(clientsFile), loadAccounts(accountsFile)]);
    const codeTtl = int('code-ttl', v['code-ttl'], 1, 86_400);
    const accessTtl = int('access-token-ttl', v['access-token-ttl'], 1, 31_536_000);
    const refreshTtl = int('refresh-token-ttl', v['refresh-token-ttl'], 1, 31_536_000);
    const running = await startSandbox({
      clients,
      accounts,
      port,
      host,
      faults,
      rotateRefreshTokens: !v['no-rotate-refresh'],
      ...(codeTtl === undefined ? {} : { codeTtlSeconds: codeTtl }),
      ...(accessTtl === undefined ? {} : { accessTokenTtlSeconds: accessTtl }),
      ...(refreshTtl === undefined ? {} : { refreshTokenTtlSeconds: refreshTtl }),
      ...(v['public-url'] === undefined ? {} : { publicUrl: v['public-url'] }),
      ...(tls === undefined ? {} : { tls }),
      ...(v.quiet ? {} : { logger: pino({ name: 'sandbox', level: 'info' }) }),
    });
    const demo = accounts.find((a) => a.account === 'zhangwei') ?? accounts[0];
    io.stdout(`Platform sandbox listening on ${running.url}`);
    io.stdout(`  authorize  ${running.url}/oauth/authorize`);
    io.stdout(`  token      ${running.url}/oauth/token`);
    io.stdout(`  userinfo   ${running.url}/oauth/getuserinfodetail`);
    io.stdout(`  manage     ${running.url}/manage/userinfo`);
    io.stdout(`  logout     ${running.url}/oauth/logout`);
    io.stdout(`  clients: ${clients.map((c) => c.client_id).join(', ')}`);
    if (demo) io.stdout(`  demo account: ${demo.account} / ${demo.password} (${demo.name}, ${demo.orgName})`);
    if (faults.length > 0) io.stdout(`  faults: ${faults.map((f) => `${f.interface}=${f.fault.kind}`).join(', ')}`);
    return running;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as NodeJS.ErrnoException).code;
    io.stderr(
      `gd-staff-login sandbox: ${code === 'EADDRINUSE' ? `port already in use (${message})` : code === 'EACCES' ? `not allowed to listen (${message})` : message}`,
    );
    process.exitCode = 1;
    return undefined;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const running = await main(process.argv.slice(2));
  if (running !== undefined) {
    const stop = () => {
      void running.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
}
