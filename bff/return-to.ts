/**
 * Where the browser goes after login: only a same-origin relative path (RFC 9700 section 4.11,
 * open redirectors; OWASP ASVS 5.0 unvalidated redirects). Anything else falls back to `/`.
 */
const MAX_LENGTH = 2048;
const FALLBACK = '/';
/** Control characters are stripped by URL parsers ("/\t/evil" becomes "//evil"); browsers read "\" as "/". */
const UNSAFE = /[\u0000-\u001f\u007f\\]/;
const PLACEHOLDER_ORIGIN = 'http://gd-staff-login.invalid';

/**
 * A path that stays on this origin, as written and once percent-decoded (a proxy or framework
 * may decode it again): it starts with one "/", never "//" or "/\", and holds no control character.
 */
function isLocalPath(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  return [path, decoded].every((p) => p.startsWith('/') && !p.startsWith('//') && !UNSAFE.test(p));
}

export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH || !isLocalPath(value)) return FALLBACK;
  // Resolve against a placeholder origin and send back the normalised form, never the input:
  // dot segments collapse, so "/.//evil", "/%2e//evil" and "/a/..//evil" all become "//evil",
  // which the second check catches.
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return FALLBACK;
  }
  const path = url.pathname + url.search + url.hash;
  return url.origin === PLACEHOLDER_ORIGIN && isLocalPath(path) ? path : FALLBACK;
}
