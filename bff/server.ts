/**
 * The BFF on its own, for business systems that are not written in Node (Java, PHP, …):
 * `npm run bff` or `gd-staff-login serve`. Put it behind the site's reverse proxy on the same
 * origin (`/auth/` → this server); see docs/nginx.conf.example.
 *
 * Configured by environment only (README "Configuration"), plus `GD_PORT` / `GD_HOST`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBff, ConfigError, type Bff, type BffDependencies } from './index.ts';
import { resolveServerOptions } from './config.ts';

export interface StartServerOptions {
  /** Where configuration comes from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Injected BFF parts (tests). */
  deps?: BffDependencies;
}

export interface RunningServer {
  /** Base URL of the listening server, e.g. http://127.0.0.1:3001 (no trailing slash). */
  url: string;
  /** Where the BFF is mounted: the path of `GD_REDIRECT_URI` without `/callback` (`/auth` usually). */
  mountPath: string;
  server: Server;
  bff: Bff;
  /** Stops accepting connections, lets running requests finish (at most `graceMs`), closes the stores. */
  close(graceMs?: number): Promise<void>;
}

/** Builds the Express app around the BFF router and listens. @throws ConfigError */
export async function startServer({ env = process.env, deps = {} }: StartServerOptions = {}): Promise<RunningServer> {
  const { port, host } = resolveServerOptions(env);
  // The standalone BFF sits behind a reverse proxy; unless told otherwise, trust the proxy on
  // this machine (only loopback peers), so that `req.secure` and `req.ip` come from
  // X-Forwarded-Proto / X-Forwarded-For set by nginx.
  const bff = createBff(env.GD_TRUST_PROXY === undefined ? { trustProxy: 'loopback' } : {}, env, deps);
  const mountPath = bff.config.redirectUri.pathname.replace(/\/callback$/, '') || '/';

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', bff.config.trustProxy);
  app.use(mountPath, bff);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: `Only ${mountPath}/ is served here.` });
  });

  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await bff.close();
    throw error;
  }
  await bff.ready;
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    mountPath,
    server,
    bff,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        await bff.close();
      })();
      return closing;
    },
  };
}

/**
 * Runs the server as a process: one log line when listening, graceful shutdown on SIGTERM and
 * SIGINT. A configuration error prints one line naming the variable and exits 1 (no stack trace).
 */
export async function runServer(env: Record<string, string | undefined> = process.env): Promise<RunningServer | undefined> {
  let running: RunningServer;
  try {
    running = await startServer({ env });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`配置错误 / configuration error: ${error.message}`);
    } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' || (error as NodeJS.ErrnoException).code === 'EACCES') {
      console.error(`无法监听 / cannot listen: ${(error as Error).message}. Set GD_PORT or GD_HOST.`);
    } else {
      console.error(`启动失败 / failed to start: ${(error as Error).message}`);
    }
    process.exitCode = 1;
    return undefined;
  }
  const { bff, url, mountPath } = running;
  bff.logger.info(
    { url: `${url}${mountPath === '/' ? '' : mountPath}`, redirectUri: bff.config.redirectUri.href, store: bff.config.redisUrl ? 'redis' : 'memory', trustProxy: bff.config.trustProxy },
    'gd-staff-login BFF listening',
  );
  const stop = (signal: string) => {
    bff.logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return running;
}
