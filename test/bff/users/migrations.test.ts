import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { openDatabase, type OpenedDatabase } from '../../../bff/users/database.ts';
import { MIGRATION_NAMES, migrateToLatest } from '../../../bff/users/migrations.ts';
import { createBff } from '../../../bff/index.ts';
import { DIALECTS } from './dialects.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./migrate-child.ts', import.meta.url));
const BFF_OPTIONS = {
  mode: 'development' as const,
  platformUrl: 'http://127.0.0.1:9',
  clientId: 'migration-test',
  clientSecret: 'migration-test-secret-0123456789',
  redirectUri: 'http://localhost:9/auth/callback',
  logLevel: 'silent',
};

function applied(results: { migrationName: string; status: string }[] | undefined): string[] {
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function tableNames(opened: OpenedDatabase): Promise<string[]> {
  const tables = await opened.db.introspection.getTables();
  return tables.map((t) => t.name).filter((n) => n.startsWith('gd_')).sort();
}

for (const dialect of DIALECTS) {
  describe(`migrations on ${dialect.name}`, { skip: dialect.skip }, () => {
    const opened: OpenedDatabase[] = [];
    const open = (url: string) => {
      const o = openDatabase(url);
      opened.push(o);
      return o;
    };
    before(() => dialect.start());
    after(async () => {
      for (const o of opened) await o.db.destroy();
      await dialect.stop();
    });

    it('creates the tables on the first run and does nothing on the second', async () => {
      const db = open(await dialect.newDatabase());
      const first = await migrateToLatest(db.db, db.dialect);
      assert.deepEqual(applied(first.results), MIGRATION_NAMES);
      assert.deepEqual(await tableNames(db), ['gd_audit_events', 'gd_bindings', 'gd_users']);
      const second = await migrateToLatest(db.db, db.dialect);
      assert.deepEqual(applied(second.results), []);
    });

    it('lets two migrators start at once: one applies each migration, the other waits and finds nothing to do', async () => {
      const url = await dialect.newDatabase();
      const [a, b] = [open(url), open(url)];
      const [ra, rb] = await Promise.all([migrateToLatest(a.db, a.dialect), migrateToLatest(b.db, b.dialect)]);
      assert.deepEqual([...applied(ra.results), ...applied(rb.results)].sort(), [...MIGRATION_NAMES].sort());
      const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(a.db);
      assert.deepEqual(recorded.rows.map((r) => r.name), MIGRATION_NAMES);
    });

    it('lets two processes migrate the same database at the same moment', async () => {
      const url = await dialect.newDatabase();
      const startAt = String(Date.now() + 2000);
      const children = await Promise.all(
        [0, 1].map(() => run(process.execPath, ['--import', 'tsx', CHILD, url, startAt], { timeout: 60_000 })),
      );
      const names = children.flatMap(({ stdout }) => JSON.parse(stdout) as string[]);
      assert.deepEqual(names.sort(), [...MIGRATION_NAMES].sort(), 'each migration applied by exactly one process');
      assert.deepEqual(await tableNames(open(url)), ['gd_audit_events', 'gd_bindings', 'gd_users']);
    });

    it('runs the migrations at start-up: two BFFs on one new database are both ready', async () => {
      const url = await dialect.newDatabase();
      const bffs = [createBff({ ...BFF_OPTIONS, databaseUrl: url }, {}), createBff({ ...BFF_OPTIONS, databaseUrl: url }, {})];
      try {
        await Promise.all(bffs.map((b) => b.ready));
        assert.equal(await bffs[0]!.users.getUser('nobody'), undefined);
        assert.deepEqual(await tableNames(open(url)), ['gd_audit_events', 'gd_bindings', 'gd_users']);
      } finally {
        await Promise.all(bffs.map((b) => b.close()));
      }
    });
  });
}

describe('database URLs', () => {
  it('refuses a DATABASE_URL that is neither postgres:// nor sqlite:', () => {
    assert.throws(() => openDatabase('mysql://localhost/x'), /DATABASE_URL: must be postgres:\/\/… or sqlite:FILE/);
  });

  it('refuses sqlite: without a file name', () => {
    assert.throws(() => openDatabase('sqlite:'), /DATABASE_URL: sqlite: needs a file name/);
  });

  it('names the variable when createBff is given a bad DATABASE_URL', () => {
    assert.throws(() => createBff(BFF_OPTIONS, { DATABASE_URL: 'mysql://x' }), /DATABASE_URL \(databaseUrl\): must be postgres/);
  });
});
