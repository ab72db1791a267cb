/**
 * Versioned schema migrations, defined in code and run at start-up by `createBff`.
 *
 * Kysely's `Migrator` records what ran in `kysely_migration` and takes a lock while it works
 * (a PostgreSQL advisory lock; for SQLite the write lock of `BEGIN IMMEDIATE`, see
 * database.ts), so running them twice, or from two processes at once, is safe. Never edit a
 * published migration: add the next one.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { DialectName } from './database.ts';

function migrations(dialect: DialectName): Record<string, Migration> {
  // Times: `timestamptz` in PostgreSQL; ISO-8601 text in SQLite, which has no time type.
  const time = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    '0001-users-bindings-audit': {
      async up(db: Kysely<any>) {
        // The local user center (clause 5.2, 8.5 j). Only the allow-listed fields have
        // columns (8.5 e); a field left off the allow-list is written as NULL at the next login.
        await db.schema
          .createTable('gd_users')
          .addColumn('platform_user_id', 'varchar(256)', (c) => c.primaryKey())
          .addColumn('account', 'varchar(256)')
          .addColumn('name', 'varchar(256)')
          .addColumn('org', 'varchar(256)')
          .addColumn('org_code', 'varchar(256)')
          .addColumn('dept', 'varchar(256)')
          .addColumn('title', 'varchar(256)')
          .addColumn('mobile', 'varchar(256)')
          .addColumn('email', 'varchar(256)')
          .addColumn('first_login_at', sql.raw(time), (c) => c.notNull())
          .addColumn('last_login_at', sql.raw(time), (c) => c.notNull())
          .addColumn('login_count', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();

        // Account binding (Appendix B check 2). Both columns are unique: a platform account has
        // at most one local account and a local account at most one platform account. No foreign
        // key to gd_users: a session that predates the database (e.g. kept in Redis) can still bind.
        await db.schema
          .createTable('gd_bindings')
          .addColumn('platform_user_id', 'varchar(256)', (c) => c.primaryKey())
          .addColumn('local_username', 'varchar(256)', (c) => c.notNull())
          .addColumn('local_display_name', 'varchar(256)', (c) => c.notNull())
          .addColumn('bound_at', sql.raw(time), (c) => c.notNull())
          .addUniqueConstraint('gd_bindings_local_username_key', ['local_username'])
          .execute();

        // The audit trail (MLPS level 3, clause 8.5 g), pruned by the retention setting.
        await db.schema
          .createTable('gd_audit_events')
          .$call((t) =>
            dialect === 'postgres'
              ? t.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
              : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()),
          )
          .addColumn('type', 'varchar(32)', (c) => c.notNull())
          .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
          .addColumn('at', sql.raw(time), (c) => c.notNull())
          .addColumn('account_id', 'varchar(256)')
          .addColumn('ip', 'varchar(64)')
          .addColumn('detail', 'varchar(256)')
          .execute();
        await db.schema.createIndex('gd_audit_events_at_idx').on('gd_audit_events').column('at').execute();
        await db.schema.createIndex('gd_audit_events_account_idx').on('gd_audit_events').columns(['account_id', 'at']).execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable('gd_audit_events').execute();
        await db.schema.dropTable('gd_bindings').execute();
        await db.schema.dropTable('gd_users').execute();
      },
    },
  };
}

/** The names of all migrations, in order (for tests and diagnostics). */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations('sqlite'));

/**
 * Brings the schema up to date. Safe to call any number of times, from any number of processes.
 * @throws the migration's error (the failed migration is rolled back).
 */
export async function migrateToLatest(db: Kysely<any>, dialect: DialectName): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}
