/**
 * A real nginx for tests: a self-signed certificate for localhost (openssl CLI), a prefix
 * directory of its own, and a main config that includes a site config (docs/nginx.conf.example
 * with its names and paths substituted). Runs in the foreground as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable } from './child.ts';
import { OPENSSL } from './tls.ts';

export const NGINX = findExecutable('nginx');
export { OPENSSL };

/** `skip` value for tests that need nginx: false when installed, else the reason. */
export const skipWithoutNginx: string | false = !NGINX
  ? 'nginx is not installed: apt-get install nginx (bash .ci/run installs it)'
  : !OPENSSL
    ? 'openssl is not installed: apt-get install openssl'
    : false;

/** A fresh self-signed certificate for localhost and 127.0.0.1 (one day); shared with other TLS tests. */
export { selfSignedCertificate } from './tls.ts';

/** Replaces each `from` with its `to`; throws when one is missing (the example changed). */
export function substitute(template: string, replacements: ReadonlyArray<readonly [string, string]>): string {
  let text = template;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`the nginx example no longer contains "${from}"`);
    text = text.split(from).join(to);
  }
  return text;
}

export interface TestNginx {
  prefix: string;
  /** nginx's own output (errors go to stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground with `siteConfig` included in a minimal http block. */
export async function startNginx(siteConfig: string, port: number, prefix?: string): Promise<TestNginx> {
  const dir = prefix ?? (await mkdtemp(join(tmpdir(), 'gdsl-nginx-')));
  for (const sub of ['logs', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
  await writeFile(join(dir, 'site.conf'), siteConfig);
  // As root, workers would switch to an unprivileged user that cannot read a private temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  await writeFile(
    join(dir, 'nginx.conf'),
    `${user}worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    types { text/html html; text/css css; text/javascript js mjs; application/json json map; }
    default_type application/octet-stream;
    include ${dir}/site.conf;
}
`,
  );
  const child: ChildProcess = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (exited) throw new Error(`nginx exited at start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    prefix: dir,
    output: () => output,
    async stop() {
      if (!exited) {
        child.kill('SIGQUIT'); // graceful shutdown
        await exit;
      }
      if (prefix === undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
