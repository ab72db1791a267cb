/**
 * Where the browser goes after login: only a same-origin relative path (RFC 9700 section 4.11,
 * open redirectors). Anything else falls back to `/`.
 */
const MAX_LENGTH = 2048;

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return '/';
  // Control characters (tab, newline…) are stripped by URL parsers and turn "/\t/evil" into "//evil".
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  if (!value.startsWith('/') || value.startsWith('//')) return '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return '/';
  }
  // An encoded "//", "\" or control character may be decoded once more by a proxy or framework.
  if (decoded.startsWith('//') || /[\u0000-\u001f\u007f\\]/.test(decoded)) return '/';
  // Resolve against a placeholder origin: whatever survives must stay on that origin.
  const base = 'http://gd-staff-login.invalid';
  const url = new URL(value, base);
  if (url.origin !== base) return '/';
  return url.pathname + url.search + url.hash;
}
