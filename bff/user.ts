/**
 * From the platform's account detail to our user: rename through the configured field map and
 * keep only the allow-listed fields (data minimisation, clause 8.5 e).
 */
import type { BffConfig } from './config.ts';
import { BffError } from './errors.ts';
import type { SessionUser } from './session/sessions.ts';

const MAX_FIELD_LENGTH = 256;

export function mapUser(config: BffConfig, detail: Record<string, unknown>): SessionUser {
  const user: Record<string, string> = {};
  for (const field of config.userFields) {
    const value = detail[config.userFieldMap[field]];
    if (typeof value === 'string' || typeof value === 'number') {
      const text = String(value).trim().slice(0, MAX_FIELD_LENGTH);
      if (text) user[field] = text;
    }
  }
  if (!user.id) {
    throw new BffError('platform_bad_response', { detail: `user detail without "${config.userFieldMap.id}" (the account id)` });
  }
  return user as SessionUser;
}
