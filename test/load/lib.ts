/** Shared pieces of the load and fault tests. */
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { TestBrowser } from '../helpers/browser.ts';

/** `global.gc` without a command-line flag (the test runner starts each file itself). */
export function forceGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function envCount(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number (got "${raw}")`);
  return value;
}

/**
 * A TCP relay in front of the platform sandbox, for the BFF's server-to-server calls: `down()`
 * closes the listening port (connections are then refused) and drops open connections; `up()`
 * listens on the same port again.
 */
export class PlatformRelay {
  readonly #target: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  constructor(targetPort: number) {
    this.#target = targetPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A test browser that reaches the platform directly even when the BFF is configured with the
 * relay's address: URLs on `from` (the relay) are sent to `to` (the sandbox). Both are
 * 127.0.0.1, so the cookie jar (per host name) is the same.
 */
export class RoutedBrowser extends TestBrowser {
  readonly #from: () => string;
  readonly #to: string;
  constructor(from: () => string, to: string) {
    super();
    this.#from = from;
    this.#to = to;
  }
  override request(url: string, init: RequestInit = {}): Promise<Response> {
    const from = this.#from();
    return super.request(url.startsWith(from) ? this.#to + url.slice(from.length) : url, init);
  }
}
