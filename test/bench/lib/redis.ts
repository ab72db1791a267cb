/** The redis-server for benchmarks: the test helper's, with Redis's default AOF fsync policy. */
import { Redis } from 'ioredis';
import { skipWithoutRedis, startRedis, type TestRedis } from '../../helpers/redis.ts';

/**
 * A fresh redis-server, or undefined (with a note) when it is not installed. The test helper
 * fsyncs the append-only file on every write so that restarts lose nothing; a benchmark uses
 * `everysec`, the Redis default for AOF, as a production Redis would.
 */
export async function benchRedis(): Promise<TestRedis | undefined> {
  if (skipWithoutRedis) {
    console.log(`Redis rows skipped: ${skipWithoutRedis}`);
    return undefined;
  }
  const redis = await startRedis();
  const client = new Redis(redis.url);
  await client.config('SET', 'appendfsync', 'everysec');
  await client.quit();
  return redis;
}

/** `INFO memory` used_memory in bytes. */
export async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

