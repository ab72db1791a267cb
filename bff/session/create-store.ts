/**
 * Picks the session store from the configuration: Redis when `REDIS_URL` is set (shared by every
 * BFF process), else the bounded in-memory store (one process, nothing to install).
 */
import type { BffConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisStore } from './redis-store.ts';
import type { SessionStore } from './store.ts';

export interface CreatedStore {
  store: SessionStore;
  /**
   * Resolves once the store has made its first connection attempt. It never rejects: a BFF whose
   * Redis is down at start still starts, answers 503 `store_unavailable`, and recovers by itself.
   */
  ready: Promise<void>;
}

export function createSessionStore(config: BffConfig, logger: Logger): CreatedStore {
  if (config.redisUrl !== undefined) {
    const store = new RedisStore({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix, logger });
    return { store, ready: store.firstAttempt };
  }
  return { store: new MemoryStore({ maxEntries: config.session.maxEntries }), ready: Promise.resolve() };
}
