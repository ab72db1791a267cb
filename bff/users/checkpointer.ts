/**
 * WAL checkpoints for the SQLite user center, in a worker thread.
 *
 * SQLite checkpoints by itself inside whichever commit takes the write-ahead log past 1,000
 * pages: it copies the pages into the database file and fsyncs it, on the connection's thread.
 * better-sqlite3 is synchronous, so that thread is the event loop, and the login whose audit
 * insert happened to cross the line waited 2-10 ms (docs/benchmarks.md). Here the main connection
 * never checkpoints; a worker with its own connection runs a PASSIVE checkpoint (it never waits
 * for, nor blocks, readers and writers) every second. Should the worker fail, SQLite's own
 * checkpoints are switched back on, so the log never grows without bound.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

export const CHECKPOINT_INTERVAL_MS = 1000;
/** SQLite's default, restored if the worker fails. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/** Plain JavaScript, so that the worker runs wherever the BFF runs (no TypeScript loader needed). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // Another connection is checkpointing (a second BFF process on the same file): next round.
    if (!String(error.code).startsWith('SQLITE_BUSY')) throw error;
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class Checkpointer {
  readonly #worker: Worker;
  #stopped = false;

  /** `warn` hears of a failed worker (once); the database then checkpoints by itself again. */
  constructor(database: SqliteDatabase.Database, file: string, warn: (message: string) => void) {
    database.pragma('wal_autocheckpoint = 0');
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file, intervalMs: CHECKPOINT_INTERVAL_MS },
    });
    // Never the reason a process stays alive; a checkpoint cut short by exit is safe in SQLite.
    this.#worker.unref();
    const fail = (reason: string) => {
      if (this.#stopped) return;
      this.#stopped = true;
      database.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
      warn(`SQLite checkpoint worker stopped (${reason}); SQLite checkpoints on its own again`);
    };
    this.#worker.on('error', (error) => fail(error.message));
    this.#worker.on('exit', (code) => fail(`exit code ${code}`));
  }

  /** Stops the worker; call before closing the main connection. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const exited = once(this.#worker, 'exit');
    this.#worker.ref(); // the wait for its exit must keep the process alive
    this.#worker.postMessage('stop');
    await exited;
  }
}
