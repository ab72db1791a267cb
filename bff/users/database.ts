/**
 * The one SQL layer (Kysely) for the local user center, the bindings and the audit trail:
 * an SQLite file by default (embedded, nothing to install), PostgreSQL when `DATABASE_URL`
 * says `postgres://…`. Everything above this module is the same code for both.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Checkpointer } from './checkpointer.ts';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type ColumnType,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type Generated,
  type SqliteDatabase as KyselySqliteDatabase,
  type SqliteStatement,
} from 'kysely';

/** Where the embedded database lives when `DATABASE_URL` is not set (git-ignored). */
export const DEFAULT_DATABASE_URL = 'sqlite:.data/gd-staff-login.db';

export type DialectName = 'sqlite' | 'postgres';

/**
 * Times are written as ISO-8601 UTC strings (fixed width, so they also compare correctly as
 * text in SQLite) and read back as a Date (PostgreSQL `timestamptz`) or a string (SQLite).
 */
type Timestamp = ColumnType<Date | string, string, string>;

export interface GdUsersTable {
  /** The platform account id (`getuserinfodetail`'s user id): the key of the local user. */
  platform_user_id: string;
  account: string | null;
  name: string | null;
  org: string | null;
  org_code: string | null;
  dept: string | null;
  title: string | null;
  mobile: string | null;
  email: string | null;
  first_login_at: Timestamp;
  last_login_at: Timestamp;
  login_count: number;
}

export interface GdBindingsTable {
  platform_user_id: string;
  /** UNIQUE: one local account binds to at most one platform account (the database enforces it). */
  local_username: string;
  local_display_name: string;
  bound_at: Timestamp;
}

export interface GdAuditEventsTable {
  id: Generated<number | string>;
  type: string;
  outcome: string;
  at: Timestamp;
  account_id: string | null;
  ip: string | null;
  detail: string | null;
}

export interface GdDatabase {
  gd_users: GdUsersTable;
  gd_bindings: GdBindingsTable;
  gd_audit_events: GdAuditEventsTable;
}

export interface OpenedDatabase {
  db: Kysely<GdDatabase>;
  dialect: DialectName;
  /** A human-readable location without credentials (for logs). */
  location: string;
}

/** How long a write waits for another process's lock before giving up. */
const BUSY_TIMEOUT_MS = 5000;
/** How long a migration waits for another migrator (another process) to finish. */
const TRANSACTION_LOCK_TIMEOUT_MS = 60_000;

/**
 * SQLite transactions start with `BEGIN IMMEDIATE`, i.e. they take the write lock at once.
 * Kysely's SQLite migrator takes no lock of its own and runs without a transaction, so two
 * processes migrating one file would both read "not migrated" and then collide on the first
 * `CREATE TABLE`. Here the migrations run in a transaction (SQLite's DDL is transactional; see
 * `TransactionalDdlSqliteAdapter`) whose write lock is taken up front: the second migrator waits,
 * then finds nothing to do.
 *
 * The wait is asynchronous: SQLite's own busy handler sleeps synchronously, which would freeze
 * the event loop (and, with two connections in one process, the very migrator holding the lock).
 */
class ImmediateTransactionSqliteDriver extends SqliteDriver {
  readonly #database: SqliteDatabase.Database;
  readonly #checkpointer: Checkpointer | undefined;

  constructor(database: SqliteDatabase.Database, checkpointer: Checkpointer | undefined) {
    super({ database: withStatementCache(database) });
    this.#database = database;
    this.#checkpointer = checkpointer;
  }

  override async destroy(): Promise<void> {
    await this.#checkpointer?.stop();
    await super.destroy();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const deadline = Date.now() + TRANSACTION_LOCK_TIMEOUT_MS;
    this.#database.pragma('busy_timeout = 0');
    try {
      for (;;) {
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          return;
        } catch (error) {
          if (!isSqliteBusy(error) || Date.now() > deadline) throw error;
          await delay(20 + Math.floor(Math.random() * 30));
        }
      }
    } finally {
      this.#database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }
}

/** More distinct SQL texts than the user center ever runs; a safety bound, not a tuning knob. */
const MAX_CACHED_STATEMENTS = 100;

/**
 * Kysely prepares every query anew; SQLite's `prepare` is then a large part of a login's SQL
 * time (docs/benchmarks.md), for the same few SQL texts each time. A prepared statement is
 * reused for the same text (SQLite re-prepares it by itself after a schema change). Safe because
 * nothing here streams: every query runs to completion synchronously, so no statement is ever in
 * use by two queries at once.
 */
function withStatementCache(database: SqliteDatabase.Database): KyselySqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (statements.size < MAX_CACHED_STATEMENTS) statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/** SQLite's DDL is transactional; telling Kysely so makes the migrator use a transaction. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class GdSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase.Database;
  readonly #checkpointer: Checkpointer | undefined;

  constructor(database: SqliteDatabase.Database, checkpointer: Checkpointer | undefined) {
    super({ database });
    this.#database = database;
    this.#checkpointer = checkpointer;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionSqliteDriver(this.#database, this.#checkpointer);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** `sqlite:FILE`, `sqlite://FILE`, `sqlite:///abs/FILE` or `sqlite::memory:` → the file name. */
function sqliteFile(databaseUrl: string): string {
  let file = databaseUrl.slice('sqlite:'.length);
  if (file.startsWith('//')) file = file.slice(2);
  if (file === '') throw new Error('DATABASE_URL: sqlite: needs a file name, for example sqlite:.data/gd-staff-login.db');
  return file;
}

/**
 * Opens (and for SQLite creates) the database named by `databaseUrl`; nothing is migrated here.
 * `warn` hears of trouble in the background (the SQLite checkpoint worker).
 */
export function openDatabase(databaseUrl: string = DEFAULT_DATABASE_URL, warn: (message: string) => void = () => {}): OpenedDatabase {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, application_name: 'gd-staff-login' });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const url = new URL(databaseUrl);
    return { db: new Kysely<GdDatabase>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres', location: `postgres://${url.host}${url.pathname}` };
  }
  if (!databaseUrl.startsWith('sqlite:')) throw new Error('DATABASE_URL: must be postgres://… or sqlite:FILE');
  const file = sqliteFile(databaseUrl);
  const memory = file === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(file)), { recursive: true });
  const database = new SqliteDatabase(memory ? ':memory:' : file);
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // WAL: readers never wait for the writer, and a second process can share the file.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  const checkpointer = memory ? undefined : new Checkpointer(database, resolve(file), warn);
  return { db: new Kysely<GdDatabase>({ dialect: new GdSqliteDialect(database, checkpointer) }), dialect: 'sqlite', location: memory ? 'sqlite::memory:' : `sqlite:${resolve(file)}` };
}

/** A time as stored: ISO-8601 UTC. */
export function toDbTime(date: Date): string {
  return date.toISOString();
}

/** A stored time, whichever driver read it. */
export function fromDbTime(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** True for a UNIQUE / PRIMARY KEY violation, in either database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  // 23505: PostgreSQL unique_violation; better-sqlite3 reports SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY.
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
