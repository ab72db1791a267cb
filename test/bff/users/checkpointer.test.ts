import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import { UserCenter } from '../../../bff/users/user-center.ts';
import { CHECKPOINT_INTERVAL_MS } from '../../../bff/users/checkpointer.ts';
import { createLogger } from '../../../bff/logger.ts';

const silent = createLogger('silent');

/** Audit events: enough to show in the database file, far below SQLite's own 1,000-page checkpoint. */
const EVENTS = 150;

describe('SQLite checkpoints in a worker thread', () => {
  it('moves the write-ahead log into the database file without SQLite checkpointing on the event loop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdsl-checkpoint-'));
    const file = join(dir, 'users.db');
    const users = new UserCenter({ databaseUrl: `sqlite:${file}`, userFields: ['id', 'name'], auditRetentionDays: 180, logger: silent });
    try {
      await users.ready;
      // Let the worker take in the migrations first, then measure from a quiet log.
      await delay(CHECKPOINT_INTERVAL_MS * 1.5);
      const before = statSync(file).size;
      for (let i = 0; i < EVENTS; i++) {
        await users.auditSink.record({ type: 'login', outcome: 'success', at: new Date(), accountId: `gd-${i}`, ip: '127.0.0.1', detail: 'x'.repeat(200) });
      }
      const walFrames = new SqliteDatabase(file, { readonly: true });
      try {
        // Far below 1,000 pages: SQLite's own checkpoint would not have run yet.
        assert.ok(statSync(`${file}-wal`).size < 1000 * 4096, 'the test stays under the automatic checkpoint');
      } finally {
        walFrames.close();
      }
      let after = statSync(file).size;
      for (let waited = 0; after === before && waited < CHECKPOINT_INTERVAL_MS * 4; waited += 100) {
        await delay(100);
        after = statSync(file).size;
      }
      assert.ok(after > before, `the database file grew from ${before} bytes (it is ${after})`);
      const events = await users.listAuditEvents({ limit: EVENTS + 10 });
      assert.equal(events.filter((e) => e.detail === 'x'.repeat(200)).length, EVENTS);
    } finally {
      await users.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with the user center (close resolves, the file can be removed and reopened)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdsl-checkpoint-'));
    const file = join(dir, 'users.db');
    try {
      for (let round = 0; round < 2; round++) {
        const users = new UserCenter({ databaseUrl: `sqlite:${file}`, userFields: ['id'], auditRetentionDays: 180, logger: silent });
        await users.ready;
        await users.recordLogin({ id: `gd-${round}` });
        await users.close();
      }
      const reopened = new SqliteDatabase(file, { readonly: true });
      try {
        assert.deepEqual(reopened.prepare('select platform_user_id from gd_users order by 1').pluck().all(), ['gd-0', 'gd-1']);
      } finally {
        reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
