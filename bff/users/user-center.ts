/**
 * The local user center (clause 5.2): the latest allow-listed details of every platform account
 * that has logged in, its binding to a business-system account, and the stored audit trail.
 *
 * The platform offers no bulk user query (clause 8.5 j), so the record is refreshed at every
 * login. The host application reads it by platform account id for its own authorization:
 * `await bff.users.getUser(req.gdStaff.user.id)`.
 */
import { sql } from 'kysely';
import type { LocalAccount, UserField } from '../config.ts';
import type { AuditRecord, AuditSink } from '../audit.ts';
import type { LoginRecorder } from '../login-flow.ts';
import type { SessionUser } from '../session/sessions.ts';
import type { Logger } from '../logger.ts';
import { BffError } from '../errors.ts';
import { fromDbTime, isUniqueViolation, openDatabase, toDbTime, type DialectName, type GdUsersTable, type OpenedDatabase } from './database.ts';
import { migrateToLatest } from './migrations.ts';

/** Our user field → its column in `gd_users`. */
const COLUMNS = {
  account: 'account',
  name: 'name',
  org: 'org',
  orgCode: 'org_code',
  dept: 'dept',
  title: 'title',
  mobile: 'mobile',
  email: 'email',
} as const satisfies Record<Exclude<UserField, 'id'>, keyof GdUsersTable>;
type DetailColumn = (typeof COLUMNS)[keyof typeof COLUMNS];

const DAY_MS = 86_400_000;
const RETENTION_INTERVAL_MS = 3_600_000;
/** Audit columns are bounded; a longer value (e.g. an IPv6 with zone) is cut, never rejected. */
const cut = (value: string | undefined, max: number): string | null => (value === undefined ? null : value.slice(0, max));

/** A platform account as the local user center knows it. */
export interface StoredUser {
  /** The allow-listed fields from the latest login (the same shape as the session's user). */
  user: SessionUser;
  firstLoginAt: Date;
  lastLoginAt: Date;
  loginCount: number;
  localAccount: LocalAccount | null;
}

export interface Binding {
  localAccount: LocalAccount;
  boundAt: Date;
}

export interface StoredAuditEvent extends AuditRecord {
  id: string;
}

export interface UserCenterOptions {
  /** `sqlite:FILE` or `postgres://…`; default `sqlite:.data/gd-staff-login.db`. */
  databaseUrl?: string | undefined;
  /** The allow-list (8.5 e): only these fields are stored. */
  userFields: readonly UserField[];
  /** Audit events older than this are deleted at start-up and every hour. */
  auditRetentionDays: number;
  logger: Logger;
}

export class UserCenter implements LoginRecorder {
  readonly dialect: DialectName;
  /** Resolves when the schema is migrated; every method waits for it. */
  readonly ready: Promise<void>;
  /** Stores audit events: `bff.audit.addSink(users.auditSink)`. */
  readonly auditSink: AuditSink;
  readonly #opened: OpenedDatabase;
  readonly #fields: ReadonlySet<UserField>;
  readonly #retentionMs: number;
  readonly #logger: Logger;
  #retentionTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: UserCenterOptions) {
    this.#opened = openDatabase(options.databaseUrl, (message) => options.logger.warn(message));
    this.dialect = this.#opened.dialect;
    this.#fields = new Set(options.userFields);
    this.#retentionMs = options.auditRetentionDays * DAY_MS;
    this.#logger = options.logger;
    this.auditSink = { record: (event) => this.#storeAuditEvent(event) };
    this.ready = this.#start();
    // Start-up failures surface through `ready` (and every later call); never as an unhandled rejection.
    this.ready.catch(() => {});
  }

  get #db() {
    return this.#opened.db;
  }

  /**
   * Runs a database operation. Our own errors (`already_bound`, …) pass through; anything else
   * means the database could not answer, reported as 503 `database_unavailable`, never a 500.
   */
  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof BffError) throw error;
      throw new BffError('database_unavailable', { cause: error, detail: `${this.dialect}: ${(error as Error).message}` });
    }
  }

  async #start(): Promise<void> {
    const { results } = await migrateToLatest(this.#db, this.dialect);
    const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    this.#logger.info({ database: this.#opened.location, applied }, applied.length ? 'database migrated' : 'database up to date');
    await this.deleteExpiredAuditEvents();
    if (this.#closed) return;
    this.#retentionTimer = setInterval(() => {
      this.deleteExpiredAuditEvents().catch((error: unknown) => this.#logger.warn({ err: error }, 'audit retention failed'));
    }, RETENTION_INTERVAL_MS);
    this.#retentionTimer.unref();
  }

  /**
   * Upserts the account's latest details (clause 8.5 j) and returns its bound local account.
   * Every allow-listed column is rewritten, so a value removed on the platform (or a field
   * removed from the allow-list) does not linger here.
   */
  async recordLogin(user: SessionUser): Promise<LocalAccount | null> {
    return this.#guard(async () => {
      await this.ready;
      const now = toDbTime(new Date());
      const details = {} as Record<DetailColumn, string | null>;
      for (const [field, column] of Object.entries(COLUMNS) as Array<[UserField, DetailColumn]>) {
        details[column] = this.#fields.has(field) ? (user[field] ?? null) : null;
      }
      await this.#db
        .insertInto('gd_users')
        .values({ platform_user_id: user.id, ...details, first_login_at: now, last_login_at: now, login_count: 1 })
        .onConflict((oc) => oc.column('platform_user_id').doUpdateSet({ ...details, last_login_at: now, login_count: sql<number>`gd_users.login_count + 1` }))
        .execute();
      return (await this.getBinding(user.id))?.localAccount ?? null;
    });
  }

  /** The stored user with its binding, or undefined if that account never logged in here. */
  async getUser(platformUserId: string): Promise<StoredUser | undefined> {
    return this.#guard(async () => {
      await this.ready;
      const row = await this.#db
        .selectFrom('gd_users')
        .leftJoin('gd_bindings', 'gd_bindings.platform_user_id', 'gd_users.platform_user_id')
        .selectAll('gd_users')
        .select(['gd_bindings.local_username', 'gd_bindings.local_display_name'])
        .where('gd_users.platform_user_id', '=', platformUserId)
        .executeTakeFirst();
      if (!row) return undefined;
      const user: Record<string, string> = { id: row.platform_user_id };
      for (const [field, column] of Object.entries(COLUMNS) as Array<[UserField, DetailColumn]>) {
        const value = row[column];
        if (value !== null && this.#fields.has(field)) user[field] = value;
      }
      return {
        user: user as SessionUser,
        firstLoginAt: fromDbTime(row.first_login_at),
        lastLoginAt: fromDbTime(row.last_login_at),
        loginCount: Number(row.login_count),
        localAccount: row.local_username ? { username: row.local_username, displayName: row.local_display_name ?? row.local_username } : null,
      };
    });
  }

  async getBinding(platformUserId: string): Promise<Binding | null> {
    return this.#guard(async () => {
      await this.ready;
      const row = await this.#db.selectFrom('gd_bindings').selectAll().where('platform_user_id', '=', platformUserId).executeTakeFirst();
      return row ? { localAccount: { username: row.local_username, displayName: row.local_display_name }, boundAt: fromDbTime(row.bound_at) } : null;
    });
  }

  /**
   * Binds a platform account (which must have logged in) to a verified local account.
   * Uniqueness is the database's job, so two concurrent binds cannot both win.
   * @throws BffError `already_bound` (this platform account has a binding) or
   *   `local_account_taken` (the local account is bound to another platform account).
   */
  async bind(platformUserId: string, localAccount: LocalAccount): Promise<Binding> {
    return this.#guard(async () => {
      await this.ready;
      const boundAt = new Date();
      try {
        await this.#db
          .insertInto('gd_bindings')
          .values({ platform_user_id: platformUserId, local_username: localAccount.username, local_display_name: localAccount.displayName, bound_at: toDbTime(boundAt) })
          .execute();
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Which constraint was hit: the platform account's own row decides.
        const existing = await this.getBinding(platformUserId);
        throw new BffError(existing ? 'already_bound' : 'local_account_taken', { cause: error });
      }
      return { localAccount: { ...localAccount }, boundAt };
    });
  }

  /** Removes the binding; false when there was none. */
  async unbind(platformUserId: string): Promise<boolean> {
    return this.#guard(async () => {
      await this.ready;
      const result = await this.#db.deleteFrom('gd_bindings').where('platform_user_id', '=', platformUserId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  /** Stored audit events, newest first (for the host's audit pages and for tests). */
  async listAuditEvents(filter: { accountId?: string; type?: AuditRecord['type']; limit?: number } = {}): Promise<StoredAuditEvent[]> {
    await this.ready;
    let query = this.#db.selectFrom('gd_audit_events').selectAll();
    if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
    if (filter.type !== undefined) query = query.where('type', '=', filter.type);
    const rows = await query
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(filter.limit ?? 100, 1), 10_000))
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      type: r.type as AuditRecord['type'],
      outcome: r.outcome as AuditRecord['outcome'],
      at: fromDbTime(r.at),
      accountId: r.account_id ?? undefined,
      ip: r.ip ?? undefined,
      detail: r.detail ?? undefined,
    }));
  }

  /** Deletes audit events older than the retention period; returns how many. */
  async deleteExpiredAuditEvents(now: Date = new Date()): Promise<number> {
    const cutoff = toDbTime(new Date(now.getTime() - this.#retentionMs));
    const result = await this.#db.deleteFrom('gd_audit_events').where('at', '<', cutoff).executeTakeFirst();
    const deleted = Number(result.numDeletedRows);
    if (deleted > 0) this.#logger.info({ deleted, before: cutoff }, 'old audit events deleted');
    return deleted;
  }

  /** For `/readyz`: throws when the database cannot be reached. */
  async ping(): Promise<void> {
    await this.ready;
    await sql`select 1`.execute(this.#db);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    await this.ready.catch(() => {});
    await this.#db.destroy();
  }

  async #storeAuditEvent(event: AuditRecord): Promise<void> {
    await this.ready;
    await this.#db
      .insertInto('gd_audit_events')
      .values({
        type: event.type,
        outcome: event.outcome,
        at: toDbTime(event.at),
        account_id: cut(event.accountId, 256),
        ip: cut(event.ip, 64),
        detail: cut(event.detail, 256),
      })
      .execute();
  }
}
