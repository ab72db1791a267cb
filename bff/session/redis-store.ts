/**
 * The shared store: Redis, for any number of BFF processes behind a load balancer.
 *
 * One command per call, so a request costs one round trip: `GET`, `SET … PX`, `GETDEL` (atomic
 * read-and-delete for the single-use `state`, Redis ≥ 6.2), `DEL`. Values are JSON. Commands that
 * requests issue in the same turn of the event loop travel together (ioredis auto-pipelining):
 * one write and one read for many requests under load, which took `/auth/me` from 0.76x to 0.86x
 * of a bare Express route (docs/benchmarks.md). Each command is still its own atomic command.
 *
 * When Redis cannot be reached every call rejects at once with `StoreUnavailableError` (the edge
 * answers 503 `store_unavailable`): no offline queue that would hold requests for minutes, and no
 * command replayed after a reconnect that the user was already told had failed. The client keeps
 * reconnecting by itself with a capped backoff, so the BFF recovers without a restart.
 *
 * Keys arrive hashed (see sessions.ts) and are never logged; neither are values.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { StoreUnavailableError, type SessionStore } from './store.ts';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** Prepended to every key, so that several applications can share one Redis. Default `gdsl:`. */
  keyPrefix?: string;
  /** How long one command may take before the store counts as unavailable. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** How long one connection attempt may take. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts. Default 2000 ms. */
  maxReconnectDelayMs?: number;
  /** Connection state changes are logged here (never keys or values). */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** A URL safe to show in messages: scheme, host and port, never the password. */
function describe(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'Redis';
  }
}

/** Escapes glob characters so that `SCAN MATCH` treats a prefix literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export class RedisStore implements SessionStore {
  /** Resolves after the first connection attempt, whether it succeeded or not (never rejects). */
  readonly firstAttempt: Promise<void>;
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #where: string;
  readonly #logger: Pick<Logger, 'info' | 'warn'> | undefined;
  /** Why the last connection attempt failed, for `/readyz` and the 503 detail. */
  #lastError: string | undefined;
  #outage = false;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#prefix = options.keyPrefix ?? 'gdsl:';
    this.#where = describe(options.url);
    this.#logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    this.#client = new Redis(options.url, {
      // Fail fast while disconnected instead of queueing: a 503 now beats a hung request.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // A GETDEL replayed after a reconnect could spend a `state` whose request already got 503.
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // Never give up: reconnect with a capped exponential backoff until Redis is back.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
      // CLIENT SETINFO exists only from Redis 7.2; skip it rather than depend on the server version.
      disableClientInfo: true,
      connectionName: 'gd-staff-login',
      // See the module comment: fewer system calls per request under load.
      enableAutoPipelining: true,
    });

    let settle!: () => void;
    this.firstAttempt = new Promise<void>((resolve) => (settle = resolve));
    this.#client.on('ready', () => {
      this.#lastError = undefined;
      if (this.#outage) this.#logger?.info({ store: this.#where }, 'session store reachable again');
      this.#outage = false;
      settle();
    });
    // An 'error' listener is required (ioredis prints unhandled ones). A clean server shutdown
    // shows up as 'close' without an error; a refused reconnect as 'error'.
    this.#client.on('error', (error: Error) => {
      this.#down(error.message);
      settle();
    });
    this.#client.on('close', () => {
      this.#down(this.#lastError ?? 'connection closed');
      settle();
    });
  }

  /** Records why Redis is unreachable; logs each outage once, not every retry. */
  #down(reason: string): void {
    this.#lastError = reason;
    if (this.#closed) return;
    if (!this.#outage) this.#logger?.warn({ store: this.#where, reason }, 'session store unavailable');
    this.#outage = true;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.#run(() => this.#client.get(this.#prefix + key));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    await this.#run(() => this.#client.set(this.#prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  async take<T>(key: string): Promise<T | undefined> {
    const raw = await this.#run(() => this.#client.getdel(this.#prefix + key));
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async delete(key: string): Promise<void> {
    await this.#run(() => this.#client.del(this.#prefix + key));
  }

  async ping(): Promise<void> {
    await this.#run(() => this.#client.ping());
  }

  async count(prefix: string): Promise<number> {
    const pattern = `${globEscape(this.#prefix + prefix)}*`;
    // SCAN may return a key more than once; count distinct keys.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.#run(() => this.#client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
      for (const key of keys) seen.add(key);
      cursor = next;
    } while (cursor !== '0');
    return seen.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.status === 'ready') {
      await this.#client.quit().catch(() => this.#client.disconnect());
    } else {
      this.#client.disconnect();
    }
  }

  /** Runs one command; any failure to reach Redis becomes `StoreUnavailableError`. */
  async #run<R>(command: () => Promise<R>): Promise<R> {
    if (this.#client.status !== 'ready') {
      throw this.#unavailable(this.#closed ? 'the store is closed' : `${this.#lastError ?? 'not connected yet'} (${this.#client.status})`);
    }
    try {
      return await command();
    } catch (error) {
      throw this.#unavailable((error as Error).message, error);
    }
  }

  #unavailable(reason: string, cause?: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`Redis session store at ${this.#where} is unavailable: ${reason}`, { cause });
  }
}
