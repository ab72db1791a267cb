/**
 * The security audit trail (MLPS level 3, clause 8.5 g): who logged in or out, bound an
 * account, or let a session expire; when, from where, and with what outcome. Every record goes
 * to the structured log; further sinks (the database) are added by whoever owns them.
 */
import type { Request } from 'express';
import type { Logger } from './logger.ts';

/** `token_refresh` is recorded when the platform refuses a refresh and the session ends (rule 12). */
export type AuditEventType = 'login' | 'logout' | 'bind' | 'unbind' | 'session_expired' | 'token_refresh';

export interface AuditRecord {
  type: AuditEventType;
  outcome: 'success' | 'failure';
  at: Date;
  accountId: string | undefined;
  ip: string | undefined;
  /** Error code on failure; the local username on bind. */
  detail: string | undefined;
}

export interface AuditSink {
  record(event: AuditRecord): Promise<void>;
}

export class Audit {
  readonly #logger: Logger;
  readonly #sinks: AuditSink[] = [];

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  addSink(sink: AuditSink): void {
    this.#sinks.push(sink);
  }

  /** Records an event; a failing sink is logged, never allowed to fail the user's request. */
  async record(req: Request, type: AuditEventType, outcome: AuditRecord['outcome'], accountId?: string, detail?: string): Promise<void> {
    const event: AuditRecord = { type, outcome, at: new Date(), accountId, ip: req.ip, detail };
    this.#logger.info({ audit: type, outcome, accountId, ip: event.ip, detail }, `audit ${type} ${outcome}`);
    for (const sink of this.#sinks) {
      try {
        await sink.record(event);
      } catch (error) {
        this.#logger.error({ err: error, audit: type }, 'audit sink failed');
      }
    }
  }
}
