/**
 * `npm start`: the platform sandbox on 127.0.0.1 and the demo business system on localhost,
 * with the BFF mounted at /auth. Two hosts, so that the site's cookies and the platform's stay
 * apart as they do in production.
 *
 * The BFF reads its settings from the environment (see README); the demo registers its client
 * in the sandbox with exactly those values, so overriding them works end to end.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBff, ConfigError, type Bff, type BffOptions, type BffDependencies } from '../bff/index.ts';
import { loadAccounts, loadClients, DEFAULT_ACCOUNTS_FILE, DEFAULT_CLIENTS_FILE } from './sandbox/data.ts';
import { startSandbox } from './sandbox/app.ts';
import { createDemoSite } from './site/app.ts';
import { verifyDemoLocalAccount } from './site/local-accounts.ts';

export interface DemoSettings {
  port: number;
  sandboxPort: number;
  env: Record<string, string | undefined>;
  /** Log level of the BFF (the demo keeps it quiet in tests). */
  logLevel?: string;
  /** Extra BFF options (tests switch features on and off with these). */
  bffOptions?: BffOptions;
  /** Injected BFF parts (tests capture the log this way). */
  bffDeps?: BffDependencies;
  /** Puts something in front of the demo site (the go-live tests' deliberately broken variants). */
  wrapSite?: (site: RequestListener, bff: Bff) => RequestListener;
  /**
   * Serve the sandbox over https with this certificate and key (PEM files); the BFF then reaches
   * it at https://127.0.0.1:PORT and trusts `caFile` (default: the certificate itself, when it is
   * self-signed) as GD_PLATFORM_CA_FILE. The certificate must name 127.0.0.1 (subjectAltName).
   */
  sandboxTls?: { certFile: string; keyFile: string; caFile?: string | undefined };
}

function portFrom(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(name, `must be a port number 0-65535 (got "${raw}")`);
  return port;
}

export async function startDemo({ port, sandboxPort, env, logLevel, bffOptions = {}, bffDeps = {}, wrapSite, sandboxTls }: DemoSettings) {
  const sandboxClients = await loadClients(env.SANDBOX_CLIENTS ?? DEFAULT_CLIENTS_FILE);
  const accounts = await loadAccounts(env.SANDBOX_ACCOUNTS ?? DEFAULT_ACCOUNTS_FILE);
  const tls = sandboxTls && { cert: await readFile(sandboxTls.certFile, 'utf8'), key: await readFile(sandboxTls.keyFile, 'utf8') };
  const sandbox = await startSandbox({ clients: sandboxClients, accounts, port: sandboxPort, host: '127.0.0.1', ...(tls ? { tls } : {}) });

  // Listen first: with PORT=0 (tests) the redirect URI needs the port the system picked.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const siteOrigin = `http://localhost:${actualPort}`;
  const settings = {
    platformUrl: env.GD_PLATFORM_URL ?? sandbox.url,
    clientId: env.GD_CLIENT_ID ?? 'demo-business-system',
    // A fresh secret each run unless one is given: it lives only in this process and the sandbox.
    clientSecret: env.GD_CLIENT_SECRET ?? randomBytes(24).toString('base64url'),
    redirectUri: env.GD_REDIRECT_URI ?? `${siteOrigin}/auth/callback`,
    ...(sandboxTls ? { platformCaFile: sandboxTls.caFile ?? env.GD_PLATFORM_CA_FILE ?? sandboxTls.certFile } : {}),
  };
  const template = sandboxClients.find((c) => c.client_id === settings.clientId) ?? sandboxClients[0]!;
  sandbox.sandbox.upsertClient({
    ...template,
    client_id: settings.clientId,
    client_secret: settings.clientSecret,
    homepage: { ...template.homepage, test: `${new URL(settings.redirectUri).origin}/` },
    redirect_uris: { test: [settings.redirectUri], production: template.redirect_uris.production },
  });

  let bff;
  try {
    bff = createBff({ mode: 'development', logLevel: logLevel ?? env.GD_LOG_LEVEL ?? 'info', ...settings, verifyLocalAccount: verifyDemoLocalAccount, ...bffOptions }, env, bffDeps);
    await bff.ready;
  } catch (error) {
    server.close();
    await sandbox.close();
    throw error;
  }
  const site: RequestListener = createDemoSite(bff);
  server.on('request', wrapSite ? wrapSite(site, bff) : site);
  return {
    url: `${siteOrigin}/`,
    sandboxUrl: sandbox.url,
    bff,
    clientSecret: settings.clientSecret,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bff.close();
      await sandbox.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const env = process.env;
    if (!env.SANDBOX_TLS_CERT !== !env.SANDBOX_TLS_KEY) {
      throw new ConfigError(env.SANDBOX_TLS_CERT ? 'SANDBOX_TLS_KEY' : 'SANDBOX_TLS_CERT', 'SANDBOX_TLS_CERT and SANDBOX_TLS_KEY go together (PEM files); set both to run the sandbox over https, or neither');
    }
    const sandboxTls = env.SANDBOX_TLS_CERT ? { certFile: env.SANDBOX_TLS_CERT, keyFile: env.SANDBOX_TLS_KEY!, caFile: env.GD_PLATFORM_CA_FILE } : undefined;
    const demo = await startDemo({ port: portFrom(env, 'PORT', 3000), sandboxPort: portFrom(env, 'SANDBOX_PORT', 4100), env, sandboxTls });
    console.log(`
  示例业务系统 / demo business system:  ${demo.url}
  平台沙箱 / platform sandbox:          ${demo.sandboxUrl}
  演示账号 / demo account:              zhangwei  /  Demo@2026
  本地账号（用于账号绑定）/ local account for binding: lisi.local / Local@2026
`);
  } catch (error) {
    if (error instanceof ConfigError || (error as Error).name === 'SandboxDataError') {
      console.error(`配置错误 / configuration error: ${(error as Error).message}`);
    } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`端口已被占用 / port in use: ${(error as Error).message}. Set PORT or SANDBOX_PORT.`);
    } else {
      console.error(error);
    }
    process.exit(1);
  }
}
