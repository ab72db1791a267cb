/**
 * The BFF's one error type. Handlers throw it; the HTTP edge (`http-edge.ts`) turns the code
 * into a status and `{ error, error_description }`. `cause` keeps the detail for the log only.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

export class BffError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, options?: { cause?: unknown; detail?: string }) {
    super(options?.detail ?? ERROR_CODES[code].message.en, { cause: options?.cause });
    this.name = 'BffError';
    this.code = code;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}
