/**
 * The one session-store interface. Sessions, login transactions and one-time login errors all
 * live behind it, so that several BFF instances sharing one store (Redis) agree on all three.
 *
 * Keys are already hashed by the caller: a dump of the store never holds a live cookie value.
 */
export interface SessionStore {
  /** The value under `key`, or undefined when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` under `key` for `ttlMs`. */
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  /** Reads and deletes in one step: a single-use value (RFC 6749 10.12 `state`) cannot be read twice. */
  take<T>(key: string): Promise<T | undefined>;
  delete(key: string): Promise<void>;
  /** Throws when the store cannot serve requests (for `/readyz`). */
  ping(): Promise<void>;
  /** Number of live entries whose key starts with `prefix` (for tests and benchmarks). */
  count(prefix: string): Promise<number>;
  close(): Promise<void>;
}

/** Thrown by a store that cannot be reached; answered as 503 `store_unavailable`. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
