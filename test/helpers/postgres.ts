/**
 * A throw-away PostgreSQL cluster for one test file: `initdb` into a temp dir, `pg_ctl start` on
 * a free port (socket in the temp dir too), stopped and removed at the end. Uses the Debian
 * `postgresql` package (`.ci/run` installs it); as root, the server runs as the `postgres` OS
 * user, because initdb refuses to run as root.
 *
 * When PostgreSQL is not installed, `POSTGRES_SKIP` says why, and the tests skip with it.
 */
import { spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './child.ts';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

const BIN_DIR = findBinDir();
const AS_ROOT = userInfo().uid === 0;

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
  } catch {
    return undefined;
  }
}
const PG_USER = AS_ROOT ? postgresUser() : undefined;

/** Why PostgreSQL tests are skipped on this machine, or false when they can run. */
export const POSTGRES_SKIP: string | false = !BIN_DIR
  ? 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `apt-get install postgresql` or `bash .ci/run` to include these tests'
  : AS_ROOT && !PG_USER
    ? 'running as root but there is no `postgres` OS user to run the server as'
    : false;

function run(command: string, args: string[]): void {
  const argv = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', join(BIN_DIR!, command), ...args]] as const : [join(BIN_DIR!, command), args] as const;
  const result = spawnSync(argv[0], [...argv[1]], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${command} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
}


export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, loopback only). */
  readonly adminUrl: string;
  /** Creates an empty database and returns its `DATABASE_URL`. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresCluster> {
  if (POSTGRES_SKIP) throw new Error(POSTGRES_SKIP);
  const dir = mkdtempSync(join(tmpdir(), 'gdsl-pg-'));
  if (PG_USER) chownSync(dir, PG_USER.uid, PG_USER.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);

  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      run('pg_ctl', [
        '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30',
        '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        'start',
      ]);
      break;
    } catch (error) {
      if (attempt >= 2) throw error; // the port was taken between freePort() and start
    }
  }

  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed test run must not leave a server behind.
  process.once('exit', stopNow);

  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`create database ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      process.removeListener('exit', stopNow);
      stopNow();
    },
  };
}
