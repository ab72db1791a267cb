/**
 * The default store: bounded, in-process. Values are kept as objects (no serialisation on the
 * hot path). The entry count is capped: past the cap the least recently written entry goes
 * first, so a flood of logins cannot exhaust memory. Expired entries are dropped on read and by
 * a periodic sweep.
 */
import type { SessionStore } from './store.ts';

interface Entry {
  value: unknown;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  maxEntries: number;
  sweepIntervalMs?: number;
  now?: () => number;
}

export class MemoryStore implements SessionStore {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryStoreOptions) {
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
    this.#sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#read(key) as T | undefined;
  }

  async set<T>(key: string, value: T, ttlMs: number): Promise<void> {
    // Delete first so that the Map's insertion order is the order of last write (eviction order).
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  async take<T>(key: string): Promise<T | undefined> {
    const value = this.#read(key);
    this.#entries.delete(key);
    return value as T | undefined;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async ping(): Promise<void> {}

  async count(prefix: string): Promise<number> {
    this.sweep();
    let n = 0;
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#entries.clear();
  }

  /** Drops every expired entry. */
  sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }

  #read(key: string): unknown {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
}
