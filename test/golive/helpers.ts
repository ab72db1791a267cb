/**
 * Shared by the go-live tests: demo settings, the report row lookup, and a captured output stream.
 */
import { Writable } from 'node:stream';
import type { GoLiveReport, ReportRow, RowId } from '../../bff/golive/report.ts';

/** The demo on ephemeral ports with an in-memory user center (no binding survives between runs). */
export const SETTINGS = { port: 0, sandboxPort: 0, logLevel: 'silent', env: { DATABASE_URL: 'sqlite::memory:' } };

export function row(report: GoLiveReport, id: RowId): ReportRow {
  return report.rows.find((r) => r.id === id)!;
}

/** A stream that keeps what the command prints (its progress lines). */
export function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}
