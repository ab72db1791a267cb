/**
 * Appendix B, check 1, second half: "前端页面禁止传输或显示 client_secret/paastoken 等密钥信息".
 *
 * Everything the browser received during the run (bodies, headers, cookies, web storage, the
 * rendered DOM) is searched for:
 * - the client secret itself (raw and URL-encoded), when the check was given it;
 * - the words `client_secret` / `paastoken` followed by a value (`client_secret=…`, `"paastoken":"…"`);
 * - token-shaped strings: JWT-like `eyJ….….…`, and long base64url/hex runs next to
 *   `access_token` / `refresh_token` / `id_token` or after `Bearer`.
 *
 * Findings never repeat a secret: the value is replaced by `[client_secret]` or shortened.
 */

export type FindingRule = 'client_secret_value' | 'secret_keyword' | 'jwt' | 'token_value';

export interface Finding {
  rule: FindingRule;
  /** What was scanned, e.g. `应答正文 GET http://localhost:3000/ (html)` or `Cookie gdsl (localhost)`. */
  where: string;
  /** A short excerpt around the match, with the secret value redacted. */
  excerpt: string;
}

export const RULE_ZH: Record<FindingRule, string> = {
  client_secret_value: 'client_secret 的值',
  secret_keyword: 'client_secret/paastoken 带值',
  jwt: 'JWT 形令牌',
  token_value: 'access_token/refresh_token 带值',
};

const SECRET_KEYWORD = /(client[_-]?secret|clientSecret|paas[_-]?token|paasToken)["']?\s*(?:[:=]|%3[Dd])\s*["']?([^\s"'&<>,;{}()[\]\\]{4,})/gi;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g;
const TOKEN_VALUE =
  /(?:(access[_-]?token|refresh[_-]?token|id[_-]?token|accessToken|refreshToken|idToken)["']?\s*(?:[:=]|%3[Dd])\s*["']?|Bearer\s+)([A-Za-z0-9._~+/-]{16,}=*)/gi;

function shorten(value: string): string {
  return value.length <= 8 ? '…' : `${value.slice(0, 4)}…（${value.length} 字符）`;
}

function excerptAround(text: string, start: number, end: number, replacement: string): string {
  const before = text.slice(Math.max(0, start - 40), start);
  const after = text.slice(end, end + 40);
  return `${start > 40 ? '…' : ''}${before}${replacement}${after}${end + 40 < text.length ? '…' : ''}`.replace(/\s+/g, ' ');
}

export class LeakScanner {
  readonly #secrets: string[];
  readonly findings: Finding[] = [];

  /** `secret`: the client secret value, when known (`GD_CLIENT_SECRET` or `--client-secret-env`). */
  constructor(secret: string | undefined) {
    this.#secrets = secret ? [...new Set([secret, encodeURIComponent(secret)])] : [];
  }

  get knowsSecret(): boolean {
    return this.#secrets.length > 0;
  }

  #redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('[client_secret]');
    return out;
  }

  /** Scans one piece of received text; adds and returns its findings. */
  scan(where: string, text: string): Finding[] {
    const found: Finding[] = [];
    for (const secret of this.#secrets) {
      let at = text.indexOf(secret);
      while (at !== -1) {
        found.push({ rule: 'client_secret_value', where, excerpt: this.#redact(excerptAround(text, at, at + secret.length, '[client_secret]')) });
        at = text.indexOf(secret, at + secret.length);
      }
    }
    const patterns: Array<[FindingRule, RegExp, number]> = [
      ['secret_keyword', SECRET_KEYWORD, 2],
      ['jwt', JWT, 0],
      ['token_value', TOKEN_VALUE, 2],
    ];
    for (const [rule, pattern, group] of patterns) {
      for (const m of text.matchAll(pattern)) {
        const value = m[group]!;
        // Skip what is already reported as the secret value itself.
        if (rule === 'secret_keyword' && this.#secrets.some((s) => value.includes(s))) continue;
        const start = m.index! + m[0].length - value.length;
        found.push({ rule, where, excerpt: this.#redact(excerptAround(text, m.index!, start + value.length, m[0].slice(0, m[0].length - value.length) + shorten(value))) });
      }
    }
    this.findings.push(...found);
    return found;
  }
}
