/**
 * The SQL writes of one login (user upsert with the binding read, audit insert) against the
 * default SQLite user center, one login after another: how often one takes long. Shows what the
 * WAL checkpoint worker (bff/users/checkpointer.ts) is for: without it, SQLite checkpoints with
 * an fsync inside whichever commit crosses 1,000 WAL pages, on the event loop.
 *
 *   node --import tsx test/bench/sqlite-writes.ts        # BENCH_LOGINS (6000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserCenter } from '../../bff/users/user-center.ts';
import { createLogger } from '../../bff/logger.ts';
import { envInt, fmt, machine, percentile, table } from './lib/stats.ts';

const LOGINS = envInt('BENCH_LOGINS', 6000);
const WARM_UP = 1000;

const dir = mkdtempSync(join(tmpdir(), 'gdsl-sqlite-bench-'));
const users = new UserCenter({ databaseUrl: `sqlite:${join(dir, 'users.db')}`, userFields: ['id', 'account', 'name', 'org', 'dept', 'title'], auditRetentionDays: 180, logger: createLogger('silent') });
try {
  await users.ready;
  console.log(`# SQLite writes per login\n\n${machine()}\n${LOGINS} logins of 1,000 accounts, one after another, after ${WARM_UP} to warm up\n`);
  const times: number[] = [];
  for (let i = 0; i < WARM_UP + LOGINS; i++) {
    const user = { id: `gd-${i % 1000}`, account: `acc${i % 1000}`, name: '张伟', org: '广东省政务服务和数据管理局', dept: '数据资源处', title: '主任科员' };
    const t0 = performance.now();
    await users.recordLogin(user);
    await users.auditSink.record({ type: 'login', outcome: 'success', at: new Date(), accountId: user.id, ip: '127.0.0.1', detail: undefined });
    if (i >= WARM_UP) times.push(performance.now() - t0);
  }
  const over2 = times.filter((t) => t > 2).length;
  console.log(
    table(
      ['writes per login', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'over 2 ms'],
      [['upsert + binding read + audit insert', fmt(percentile(times, 50), 3), fmt(percentile(times, 99), 3), fmt(percentile(times, 99.9), 3), fmt(Math.max(...times), 3), `${over2} of ${times.length}`]],
    ),
  );
} finally {
  await users.close();
  rmSync(dir, { recursive: true, force: true });
}
