/**
 * The demo business system's own accounts: what a platform user binds to (Appendix B,
 * check 2). A real system verifies against its existing user table; the shape is the same:
 * `verifyLocalAccount(username, password)` → `{ username, displayName }` or null.
 *
 * Passwords are kept only as scrypt hashes (RFC 7914; N=2^14, r=8, p=1, 32 bytes) and compared
 * in constant time. An unknown username costs the same scrypt as a known one, so the answer
 * time does not tell which accounts exist. All three passwords are `Local@2026`.
 */
import { scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { LocalAccount } from '../../bff/index.ts';

interface StoredLocalAccount extends LocalAccount {
  /** base64url */
  salt: string;
  /** base64url scrypt(password, salt) */
  hash: string;
}

const SCRYPT: ScryptOptions = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

export const DEMO_LOCAL_ACCOUNTS: readonly StoredLocalAccount[] = [
  { username: 'lisi.local', displayName: '李四（业务系统账号）', salt: '-ku-Mo41yVyEBUcBQcaIwA', hash: 'yPXOLDUUUXHKCh3PDJPLRVQXAcA1I3-_969I7IFqB2w' },
  { username: 'wangfang.local', displayName: '王芳（业务系统账号）', salt: '6Zgy5neFl1tIB-IovSD-Sw', hash: '5VqW8RXG0_xGAuJ3p6ounaeCYpV_QE3uHhiEFytni3k' },
  { username: 'chenjie.local', displayName: '陈杰（业务系统账号）', salt: '4e7jRgwwSc165wvArMSNyQ', hash: 'TrBsp6tOJlGUnOC2AxwyK8aN9YjRvEOBl18Bh7z5TG4' },
];

/** Stands in for an unknown username, so that it is hashed like a real one. */
const NOBODY: StoredLocalAccount = { username: '', displayName: '', salt: 'bm8tc3VjaC1hY2NvdW50', hash: 'A'.repeat(43) };

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The demo's `verifyLocalAccount` hook. Usernames are matched without regard to case. */
export async function verifyDemoLocalAccount(username: string, password: string): Promise<LocalAccount | null> {
  const wanted = username.trim().toLowerCase();
  const found = DEMO_LOCAL_ACCOUNTS.find((a) => a.username === wanted);
  const entry = found ?? NOBODY;
  const key = await scryptAsync(password, Buffer.from(entry.salt, 'base64url'));
  const same = timingSafeEqual(key, Buffer.from(entry.hash, 'base64url'));
  return found && same ? { username: found.username, displayName: found.displayName } : null;
}
