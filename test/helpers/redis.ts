/**
 * A real redis-server for tests: its own port and data directory, persistence on (AOF, fsync
 * always), so that it can be stopped and started again with every written key still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findExecutable, freePort } from './child.ts';

export const REDIS_SERVER = findExecutable('redis-server');

/** `skip` value for tests that need Redis: false when installed, else the reason. */
export const skipWithoutRedis: string | false = REDIS_SERVER
  ? false
  : 'redis-server is not installed: apt-get install redis-server (bash .ci/run installs it)';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Whether the server is running now. */
  readonly running: boolean;
  /** Stops the server (SIGTERM: it flushes its data and exits). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data directory. */
  start(): Promise<void>;
  /** Stops it and removes the data directory. */
  destroy(): Promise<void>;
}

/** Answers true when something at `port` replies +PONG to PING. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function startRedis(): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error(String(skipWithoutRedis));
  const dir = await mkdtemp(join(tmpdir(), 'gdsl-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  async function start(): Promise<void> {
    if (child) return;
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning'];
    const started = spawn(REDIS_SERVER!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout!.setEncoding('utf8').on('data', (c: string) => (output += c));
    started.stderr!.setEncoding('utf8').on('data', (c: string) => (output += c));
    started.once('exit', () => {
      if (child === started) child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await pings(port))) {
      if (child !== started) throw new Error(`redis-server exited at start:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== undefined;
    },
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
