/**
 * Structured logging (pino) with the secrets redacted: the client secret, tokens, codes and
 * cookies never reach a log line (Appendix B; MLPS level 3 audit without leaks).
 *
 * `code` is redacted because it is the name of the authorization code; log our error codes
 * under `error`.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'client_secret',
  'clientSecret',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'code',
  'code_verifier',
  'codeVerifier',
  'password',
  'cookie',
  'authorization',
  '*.client_secret',
  '*.clientSecret',
  '*.access_token',
  '*.accessToken',
  '*.refresh_token',
  '*.refreshToken',
  '*.code',
  '*.code_verifier',
  '*.password',
  '*.cookie',
  '*.authorization',
  'tokens',
  '*.tokens',
  '*["set-cookie"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'gd-staff-login',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
