/**
 * The two databases every user-center test runs against: an SQLite file in a temp dir, and a
 * throw-away PostgreSQL cluster (skipped, with the reason, when PostgreSQL is not installed).
 * One suite, run once per dialect: `for (const dialect of DIALECTS) describe(..., { skip: dialect.skip }, ...)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POSTGRES_SKIP, startPostgres, type PostgresCluster } from '../../helpers/postgres.ts';

export interface DialectUnderTest {
  readonly name: 'sqlite' | 'postgres';
  /** Why this dialect is skipped here, or false. */
  readonly skip: string | false;
  start(): Promise<void>;
  /** A fresh, empty database's `DATABASE_URL`. */
  newDatabase(): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;

function sqlite(): DialectUnderTest {
  let dir: string | undefined;
  return {
    name: 'sqlite',
    skip: false,
    async start() {
      dir = mkdtempSync(join(tmpdir(), 'gdsl-sqlite-'));
    },
    async newDatabase() {
      return `sqlite:${join(dir!, `db-${++counter}.db`)}`;
    },
    async stop() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgres(): DialectUnderTest {
  let cluster: PostgresCluster | undefined;
  return {
    name: 'postgres',
    skip: POSTGRES_SKIP,
    async start() {
      cluster = await startPostgres();
    },
    async newDatabase() {
      return cluster!.createDatabase(`gdsl_${process.pid}_${++counter}`);
    },
    async stop() {
      await cluster?.stop();
    },
  };
}

export const DIALECTS: readonly DialectUnderTest[] = [sqlite(), postgres()];
