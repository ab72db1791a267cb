/**
 * Registered clients and platform accounts of the sandbox, as JSON files validated at start-up.
 *
 * A client entry mirrors the Appendix A access-application form (Table A.1) plus the
 * `client_id` / `client_secret` the operator issues after approval (clause 6.6). Every problem
 * is reported with the path of the bad entry, e.g.
 * `clients.json[1].redirect_uris.test[0]: must be an absolute http(s) URL`.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Thrown for any invalid clients/accounts input; `issues` holds one line per problem. */
export class SandboxDataError extends Error {
  override name = 'SandboxDataError';
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(issues.join('; '));
    this.issues = issues;
  }
}

const requiredOr = (message: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : message;

const text = (max = 200) =>
  z
    .string({ error: requiredOr('must be a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

/**
 * Home pages and callback URLs: absolute http(s), no credentials in the URL, and for callbacks
 * no fragment (RFC 6749 §3.1.2: "The endpoint URI MUST NOT include a fragment component").
 */
const httpUrl = (opts: { allowFragment: boolean }) =>
  z.string({ error: requiredOr('must be an absolute http(s) URL') }).superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
    } else if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' });
    } else if (!opts.allowFragment && (url.hash !== '' || value.includes('#'))) {
      ctx.addIssue({ code: 'custom', message: 'must not contain a fragment (#…), RFC 6749 §3.1.2' });
    }
  });

const mobile = z
  .string({ error: requiredOr('must be a string') })
  .regex(/^1[3-9]\d{9}$/, { error: 'must be an 11-digit mainland mobile number such as 13800138000' });

const email = z
  .string({ error: requiredOr('must be a string') })
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: 'must be an e-mail address' })
  .max(120, { error: 'must be at most 120 characters' });

/** RFC 6749 Appendix A.1: client_id = *VSCHAR; we keep to URL-safe characters for sanity. */
const clientId = z
  .string({ error: requiredOr('must be a string') })
  .regex(/^[A-Za-z0-9._~-]{1,128}$/, { error: 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ -' });

export const clientSchema = z.strictObject({
  client_id: clientId,
  client_secret: z
    .string({ error: requiredOr('must be a string') })
    .min(8, { error: 'must be at least 8 characters' })
    .max(256, { error: 'must be at most 256 characters' })
    .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' }),
  /** 业务系统名称 */
  system_name: text(),
  /** 业务单位名称 */
  unit: text().optional(),
  /** 单位联系人 / 电话 / 邮箱 */
  contact: z
    .strictObject({ name: text(50), phone: text(30), email })
    .optional(),
  /** 系统开发商 / 开发商联系人 / 联系电话 */
  developer: z
    .strictObject({ name: text(), contact: text(50), phone: text(30) })
    .optional(),
  /** 系统概述及业务应用场景描述 */
  description: text(2000).optional(),
  /** 业务系统首页地址 (test / production) */
  homepage: z
    .strictObject({
      test: httpUrl({ allowFragment: true }).optional(),
      production: httpUrl({ allowFragment: true }).optional(),
    })
    .optional(),
  /** 业务系统回调地址 (test / production): the registered `redirect_uri` values, compared exactly. */
  redirect_uris: z
    .strictObject({
      test: z.array(httpUrl({ allowFragment: false }), { error: requiredOr('must be an array of URLs') }).default([]),
      production: z
        .array(httpUrl({ allowFragment: false }), { error: requiredOr('must be an array of URLs') })
        .default([]),
    }, { error: requiredOr('must be an object { test: [...], production: [...] }') })
    .refine((uris) => uris.test.length + uris.production.length > 0, {
      error: 'must register at least one callback URL (test or production)',
    }),
  /** 申请时间 */
  applied_at: text(40).optional(),
  /** 备注 */
  remarks: text(2000).optional(),
  /** Sandbox policy: "required" refuses an authorize request without an S256 code_challenge (RFC 7636). */
  pkce: z.enum(['optional', 'required'], { error: 'must be "optional" or "required"' }).default('optional'),
});

export const certificateSchema = z.strictObject({
  /** Certificate serial number (hex), unique across all accounts. */
  serial: z
    .string({ error: requiredOr('must be a string') })
    .regex(/^[0-9A-Fa-f]{4,64}$/, { error: 'must be 4-64 hexadecimal digits' }),
  /** Subject DN as the certificate shows it, e.g. "CN=张伟, OU=数据资源处, O=广东省政务服务和数据管理局, C=CN". */
  subject: text(300),
  /** Issuer DN (the CA), shown on the certificate-login page. */
  issuer: text(300).optional(),
  /** Expiry date shown on the certificate-login page (informational). */
  validTo: text(40).optional(),
});

export const accountSchema = z.strictObject({
  userId: z
    .string({ error: requiredOr('must be a string') })
    .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be 1-64 characters of A-Z a-z 0-9 . _ -' }),
  account: z
    .string({ error: requiredOr('must be a string') })
    .regex(/^[A-Za-z0-9._@-]{1,64}$/, { error: 'must be 1-64 characters of A-Z a-z 0-9 . _ @ -' }),
  /** Plain text on purpose: these are published test accounts, never real ones. */
  password: z
    .string({ error: requiredOr('must be a string') })
    .min(6, { error: 'must be at least 6 characters' })
    .max(128, { error: 'must be at most 128 characters' }),
  name: text(50),
  orgName: text(),
  orgCode: text(40),
  deptName: text(100),
  title: text(50),
  mobile,
  email,
  certificates: z.array(certificateSchema, { error: 'must be an array' }).optional(),
});

export type SandboxClient = z.output<typeof clientSchema>;
export type SandboxClientInput = z.input<typeof clientSchema>;
export type SandboxAccount = z.output<typeof accountSchema>;
export type SandboxAccountInput = z.input<typeof accountSchema>;
export type SandboxCertificate = z.output<typeof certificateSchema>;

/** The editable part of an account on `manage/userinfo` (8.5 j). */
export const profileEditSchema = z.strictObject({
  name: text(50),
  mobile,
  email,
  deptName: text(100),
  title: text(50),
});
export type ProfileEdit = z.output<typeof profileEditSchema>;

function formatPath(sourceName: string, path: ReadonlyArray<PropertyKey>): string {
  let out = sourceName;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

function zodIssues(sourceName: string, error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): string[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return `${formatPath(sourceName, path)}: ${message}`;
  });
}

function parseList<T>(
  json: unknown,
  sourceName: string,
  schema: z.ZodType<T>,
  what: string,
  uniqueKeys: ReadonlyArray<{ label: string; keysOf: (entry: T) => string[] }>,
): T[] {
  if (!Array.isArray(json)) throw new SandboxDataError([`${sourceName}: must be a JSON array of ${what}`]);
  if (json.length === 0) throw new SandboxDataError([`${sourceName}: must list at least one ${what.replace(/s$/, '')}`]);
  const issues: string[] = [];
  const parsed: T[] = [];
  json.forEach((entry, index) => {
    const result = schema.safeParse(entry);
    if (result.success) parsed[index] = result.data;
    else issues.push(...zodIssues(sourceName, result.error, [index]));
  });
  for (const { label, keysOf } of uniqueKeys) {
    const firstSeen = new Map<string, number>();
    parsed.forEach((entry, index) => {
      if (entry === undefined) return;
      for (const key of keysOf(entry)) {
        const first = firstSeen.get(key);
        if (first === undefined) firstSeen.set(key, index);
        else if (first !== index) issues.push(`${sourceName}[${index}].${label}: "${key}" is already used by ${sourceName}[${first}]`);
      }
    });
  }
  if (issues.length > 0) throw new SandboxDataError(issues);
  return parsed;
}

/** Validate parsed JSON as the clients list. `sourceName` prefixes every message. */
export function parseClients(json: unknown, sourceName = 'clients.json'): SandboxClient[] {
  return parseList(json, sourceName, clientSchema, 'clients', [{ label: 'client_id', keysOf: (c) => [c.client_id] }]);
}

/** Validate parsed JSON as the accounts list. `sourceName` prefixes every message. */
export function parseAccounts(json: unknown, sourceName = 'accounts.json'): SandboxAccount[] {
  return parseList(json, sourceName, accountSchema, 'accounts', [
    { label: 'userId', keysOf: (a) => [a.userId] },
    { label: 'account', keysOf: (a) => [a.account.toLowerCase()] },
    { label: 'certificates', keysOf: (a) => (a.certificates ?? []).map((c) => c.serial.toUpperCase()) },
  ]);
}

/** Validate one client (for `upsertClient`), messages prefixed with `sourceName`. */
export function parseClient(json: unknown, sourceName = 'client'): SandboxClient {
  const result = clientSchema.safeParse(json);
  if (!result.success) throw new SandboxDataError(zodIssues(sourceName, result.error));
  return result.data;
}

async function readJson(file: string, what: string): Promise<unknown> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SandboxDataError([
      code === 'ENOENT' ? `${what} file not found: ${file}` : `cannot read ${what} file ${file} (${code ?? 'error'})`,
    ]);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new SandboxDataError([`${basename(file)}: not valid JSON (${(error as Error).message})`]);
  }
}

export async function loadClients(file: string): Promise<SandboxClient[]> {
  return parseClients(await readJson(file, 'clients'), basename(file));
}

export async function loadAccounts(file: string): Promise<SandboxAccount[]> {
  return parseAccounts(await readJson(file, 'accounts'), basename(file));
}

/** The default data files shipped beside this module. */
export const DEFAULT_CLIENTS_FILE = fileURLToPath(new URL('./data/clients.json', import.meta.url));
export const DEFAULT_ACCOUNTS_FILE = fileURLToPath(new URL('./data/accounts.json', import.meta.url));
