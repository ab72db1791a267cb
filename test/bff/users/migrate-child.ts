/**
 * Run by migrations.test.ts as a separate process: migrates DATABASE_URL (argv[2]) at the
 * moment argv[3] (epoch ms, so that two processes start together) and prints the names of the
 * migrations this process applied, as JSON.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { openDatabase } from '../../../bff/users/database.ts';
import { migrateToLatest } from '../../../bff/users/migrations.ts';

const { db, dialect } = openDatabase(process.argv[2]);
await delay(Math.max(0, Number(process.argv[3] ?? 0) - Date.now()));
try {
  const { results = [] } = await migrateToLatest(db, dialect);
  process.stdout.write(JSON.stringify(results.filter((r) => r.status === 'Success').map((r) => r.migrationName)));
} finally {
  await db.destroy();
}
