/**
 * Configuration: the one module that reads options and environment.
 *
 * Every setting has an environment variable (for `npm run bff` and non-Node sites) and an
 * option of the same meaning for `createBff(options)`. Values are validated once, at start-up;
 * a mistake stops the process with a message that names the variable and says how to fix it.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';

export type Mode = 'production' | 'development';
export type TokenAuthMethod = 'client_secret_post' | 'client_secret_basic';

/** Fields of the local user that may be kept in the session and sent to the page (8.5 e). */
export const USER_FIELDS = ['id', 'account', 'name', 'org', 'orgCode', 'dept', 'title', 'mobile', 'email'] as const;
export type UserField = (typeof USER_FIELDS)[number];

/** Platform user-detail field → our field. The real names are published only to approved accessors. */
export const DEFAULT_USER_FIELD_MAP: Record<UserField, string> = {
  id: 'userId',
  account: 'account',
  name: 'name',
  org: 'orgName',
  orgCode: 'orgCode',
  dept: 'deptName',
  title: 'title',
  mobile: 'mobile',
  email: 'email',
};

export interface LocalAccount {
  username: string;
  displayName: string;
}

/** Host hook for account binding (Appendix B check 2): prove a business-system account. */
export type VerifyLocalAccount = (username: string, password: string) => Promise<LocalAccount | null>;

export interface BffConfig {
  mode: Mode;
  platformUrl: URL;
  paths: { authorize: string; token: string; userinfo: string; manage: string; logout: string };
  clientId: string;
  clientSecret: string;
  redirectUri: URL;
  postLogoutRedirectUri: URL;
  /** Origin of the business system (from `redirectUri`); the only origin state-changing calls may come from. */
  siteOrigin: string;
  tokenAuthMethod: TokenAuthMethod;
  pkce: boolean;
  scope: string | undefined;
  userFields: UserField[];
  userFieldMap: Record<UserField, string>;
  platformTimeoutMs: number;
  /** A private CA the platform's https certificate chains to, trusted in addition to the system roots. */
  platformCa: { file: string; pem: string } | undefined;
  session: {
    idleMs: number;
    absoluteMs: number;
    /** The idle timer is written back at most this often, so most requests cost no store write. */
    touchIntervalMs: number;
    maxEntries: number;
    cookieName: string;
    cookieSecure: boolean;
  };
  transactionTtlMs: number;
  rateLimits: { login: number; callback: number; bind: number; windowMs: number };
  redisUrl: string | undefined;
  /** Prepended to every Redis key, so that several systems can share one Redis. */
  redisKeyPrefix: string;
  databaseUrl: string | undefined;
  /** Stored audit events older than this many days are deleted. */
  auditRetentionDays: number;
  logLevel: string;
  /** Express `trust proxy`: false, a hop count, or addresses/subnets/`loopback`-style names. */
  trustProxy: TrustProxy;
  verifyLocalAccount: VerifyLocalAccount | undefined;
}

/** Options for `createBff`; every field may instead come from the environment. */
export interface BffOptions {
  mode?: Mode;
  platformUrl?: string;
  authorizePath?: string;
  tokenPath?: string;
  userinfoPath?: string;
  managePath?: string;
  logoutPath?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
  postLogoutRedirectUri?: string;
  tokenAuthMethod?: TokenAuthMethod;
  pkce?: boolean;
  scope?: string;
  userFields?: UserField[] | string;
  userFieldMap?: Partial<Record<UserField, string>> | string;
  platformTimeoutMs?: number;
  platformCaFile?: string;
  sessionIdleMinutes?: number;
  sessionMaxHours?: number;
  sessionTouchSeconds?: number;
  maxSessions?: number;
  cookieName?: string;
  cookieSecure?: boolean;
  transactionTtlMinutes?: number;
  rateLimitLogin?: number;
  rateLimitCallback?: number;
  rateLimitBind?: number;
  rateLimitWindowSeconds?: number;
  redisUrl?: string;
  redisKeyPrefix?: string;
  databaseUrl?: string;
  auditRetentionDays?: number;
  logLevel?: string;
  trustProxy?: string | boolean | number;
  verifyLocalAccount?: VerifyLocalAccount;
}

/** Environment variable for each option: the names users see in messages and the README. */
export const ENV_NAMES = {
  mode: 'GD_MODE',
  platformUrl: 'GD_PLATFORM_URL',
  authorizePath: 'GD_AUTHORIZE_PATH',
  tokenPath: 'GD_TOKEN_PATH',
  userinfoPath: 'GD_USERINFO_PATH',
  managePath: 'GD_MANAGE_PATH',
  logoutPath: 'GD_LOGOUT_PATH',
  clientId: 'GD_CLIENT_ID',
  clientSecret: 'GD_CLIENT_SECRET',
  redirectUri: 'GD_REDIRECT_URI',
  postLogoutRedirectUri: 'GD_POST_LOGOUT_REDIRECT_URI',
  tokenAuthMethod: 'GD_TOKEN_AUTH_METHOD',
  pkce: 'GD_PKCE',
  scope: 'GD_SCOPE',
  userFields: 'GD_USER_FIELDS',
  userFieldMap: 'GD_USER_FIELD_MAP',
  platformTimeoutMs: 'GD_PLATFORM_TIMEOUT_MS',
  platformCaFile: 'GD_PLATFORM_CA_FILE',
  sessionIdleMinutes: 'GD_SESSION_IDLE_MINUTES',
  sessionMaxHours: 'GD_SESSION_MAX_HOURS',
  sessionTouchSeconds: 'GD_SESSION_TOUCH_SECONDS',
  maxSessions: 'GD_MAX_SESSIONS',
  cookieName: 'GD_COOKIE_NAME',
  cookieSecure: 'GD_COOKIE_SECURE',
  transactionTtlMinutes: 'GD_LOGIN_TTL_MINUTES',
  rateLimitLogin: 'GD_RATE_LIMIT_LOGIN',
  rateLimitCallback: 'GD_RATE_LIMIT_CALLBACK',
  rateLimitBind: 'GD_RATE_LIMIT_BIND',
  rateLimitWindowSeconds: 'GD_RATE_LIMIT_WINDOW_SECONDS',
  redisUrl: 'REDIS_URL',
  redisKeyPrefix: 'GD_REDIS_PREFIX',
  databaseUrl: 'DATABASE_URL',
  auditRetentionDays: 'GD_AUDIT_RETENTION_DAYS',
  logLevel: 'GD_LOG_LEVEL',
  trustProxy: 'GD_TRUST_PROXY',
} as const satisfies Record<Exclude<keyof BffOptions, 'verifyLocalAccount'>, string>;

type OptionName = keyof typeof ENV_NAMES;

/** A configuration mistake. `variable` is the environment variable (and option) at fault. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

const WEAK_SECRETS = /^(changeme|change-me|secret|password|client_secret|test|demo|123456.*|x+)$/i;
const ON = /^(1|true|on|yes)$/i;
const OFF = /^(0|false|off|no)$/i;

const bool = z.union([
  z.boolean(),
  z
    .string()
    .refine((v) => ON.test(v) || OFF.test(v), 'use on or off')
    .transform((v) => ON.test(v)),
]);
const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const url = z.string().trim().min(1, 'is required').pipe(z.url({ error: 'must be an absolute URL such as https://example.gov.cn/path' }));
const path = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/]*$/, 'must be a path starting with / (letters, digits, - . _ ~ /)');

const schema = z.object({
  mode: z.enum(['production', 'development'], { error: 'use production or development' }).default('production'),
  platformUrl: url,
  authorizePath: path.default('/oauth/authorize'),
  tokenPath: path.default('/oauth/token'),
  userinfoPath: path.default('/oauth/getuserinfodetail'),
  managePath: path.default('/manage/userinfo'),
  logoutPath: path.default('/oauth/logout'),
  clientId: z.string().trim().min(1, 'is required: the client_id issued by the platform operator (clause 6.6)').max(200),
  clientSecret: z.string().min(1, 'is required: the client_secret issued by the platform operator (clause 6.6)').max(500),
  redirectUri: url,
  postLogoutRedirectUri: url.optional(),
  tokenAuthMethod: z
    .enum(['client_secret_post', 'client_secret_basic'], { error: 'use client_secret_post or client_secret_basic' })
    .default('client_secret_post'),
  pkce: bool.default(true),
  scope: z.string().trim().max(200).optional(),
  userFields: z
    .union([z.array(z.string()), z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(USER_FIELDS, { error: `each field must be one of ${USER_FIELDS.join(', ')}` })))
    .default(['id', 'account', 'name', 'org', 'dept', 'title']),
  userFieldMap: z
    .union([
      z.record(z.string(), z.string()),
      z.string().transform((v, ctx) => {
        try {
          return JSON.parse(v) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON such as {"id":"userId","name":"name"}' });
          return z.NEVER;
        }
      }),
    ])
    // partialRecord: any subset of our fields, each named correctly (an exhaustive record, or a
    // plain object that strips unknown keys, would silently ignore a partial or misspelt map).
    .pipe(
      z.partialRecord(
        z.enum(USER_FIELDS, { error: `keys must be among ${USER_FIELDS.join(', ')}` }),
        z.string().min(1, 'each value must be the platform field name'),
      ),
    )
    .optional(),
  platformTimeoutMs: int(200, 60_000).default(5000),
  platformCaFile: z.string().trim().min(1, 'must be the path of a PEM file').optional(),
  sessionIdleMinutes: int(1, 24 * 60).default(30),
  sessionMaxHours: int(1, 7 * 24).default(8),
  sessionTouchSeconds: int(0, 3600).default(60),
  maxSessions: int(10, 10_000_000).default(100_000),
  cookieName: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, - and _ only')
    .max(64)
    .optional(),
  cookieSecure: bool.default(true),
  transactionTtlMinutes: int(1, 60).default(10),
  rateLimitLogin: int(1, 100_000).default(120),
  rateLimitCallback: int(1, 100_000).default(120),
  rateLimitBind: int(1, 10_000).default(10),
  rateLimitWindowSeconds: int(1, 86_400).default(60),
  redisUrl: z.string().trim().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  redisKeyPrefix: z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'use 1-64 letters, digits and : _ . - (for example gdsl:)').default('gdsl:'),
  databaseUrl: z
    .string()
    .trim()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'must be postgres://… or sqlite:FILE')
    .optional(),
  auditRetentionDays: int(1, 36_500).default(180),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  trustProxy: z
    .union([z.boolean(), z.number(), z.string()])
    .transform((v, ctx) => {
      const parsed = parseTrustProxy(v);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    })
    .default(false),
});

/** Express `trust proxy`, validated: false/true, a hop count, or a list of addresses and subnets. */
export type TrustProxy = boolean | number | string[];

const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses GD_TRUST_PROXY; returns the problem as a string when the value is not valid. */
function parseTrustProxy(value: boolean | number | string): TrustProxy | string {
  const help = 'use a hop count (1), loopback, linklocal, uniquelocal, or addresses/subnets such as 10.0.0.0/8,192.168.1.10 (comma-separated)';
  if (typeof value === 'boolean') return value;
  const text = String(value).trim();
  if (text === '' || /^(false|off|no)$/i.test(text)) return false;
  if (/^(true|on|yes)$/i.test(text)) return true;
  if (/^\d+$/.test(text)) return Number(text) <= 32 ? Number(text) : `a hop count must be at most 32 (got ${text}); ${help}`;
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    if (TRUST_PROXY_NAMES.has(entry)) continue;
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) return `"${entry}" is not an address, subnet or known name; ${help}`;
  }
  return entries;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Reads GD_PLATFORM_CA_FILE: a PEM file holding one or more CA certificates (a department's
 * private CA on a government network). Each certificate must be readable; the file is read once.
 */
function readPlatformCa(file: string, fail: (message: string) => never): { file: string; pem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      code === 'ENOENT'
        ? `file not found: ${file} (give the PEM file of the CA that signed the platform's https certificate)`
        : `cannot read ${file} (${code ?? (error as Error).message})`,
    );
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (!text.includes('-----BEGIN CERTIFICATE-----') || blocks.length === 0) {
    fail(`${file} contains no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate in PEM form, not a key or DER file`);
  }
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      fail(`certificate ${i + 1} in ${file} cannot be read (${(error as Error).message})`);
    }
  });
  return { file, pem: blocks.join('\n') };
}

/** A union's own message is "Invalid input"; the message of the branch that was meant says how to fix it. */
function explain(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union') return issue.message;
  const custom = issue.errors.flat().find((i) => i.code === 'custom' || i.code === 'invalid_value' || i.code === 'invalid_format');
  return custom?.message ?? issue.message;
}

/** Reads the options that are not given from the environment (only here is the environment read). */
export function optionsFromEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [option, variable] of Object.entries(ENV_NAMES)) {
    const value = env[variable];
    if (value !== undefined && value !== '') out[option] = value;
  }
  if (out.mode === undefined && env.NODE_ENV === 'development') out.mode = 'development';
  return out;
}

/**
 * Validates options (falling back to `env` for those not given) and applies secure defaults.
 * @throws ConfigError naming the variable at fault.
 */
export function resolveConfig(options: BffOptions = {}, env: Record<string, string | undefined> = process.env): BffConfig {
  const { verifyLocalAccount, ...rest } = options;
  const merged: Record<string, unknown> = { ...optionsFromEnv(env) };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) merged[key] = value;

  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const option = String(issue.path[0] ?? '') as OptionName;
    const variable = ENV_NAMES[option] ?? option;
    const message = issue.code === 'invalid_type' && merged[option] === undefined ? 'is required' : explain(issue);
    throw new ConfigError(`${variable} (${option})`, message);
  }
  const o = parsed.data;
  const fail = (option: OptionName, message: string): never => {
    throw new ConfigError(`${ENV_NAMES[option]} (${option})`, message);
  };

  const platformUrl = new URL(o.platformUrl);
  // Appendix B, check 1: the business system reaches the platform over https. Plain http is
  // accepted only for the sandbox on this machine, and never in production mode (RFC 6749 sections 3.2, 10.9).
  if (platformUrl.protocol !== 'https:' && !(platformUrl.protocol === 'http:' && isLoopbackHost(platformUrl.hostname))) {
    fail('platformUrl', `must use https:// (got ${platformUrl.protocol}//${platformUrl.host}); plain http is allowed only for the local sandbox on 127.0.0.1/localhost`);
  }
  if (o.mode === 'production' && platformUrl.protocol !== 'https:') {
    fail('platformUrl', `must use https:// in production (got ${platformUrl.origin}); the local sandbox over http needs GD_MODE=development`);
  }
  if (platformUrl.search || platformUrl.hash) fail('platformUrl', 'must not have a query string or fragment');
  const platformCa = o.platformCaFile === undefined ? undefined : readPlatformCa(o.platformCaFile, (message) => fail('platformCaFile', message));

  const redirectUri = new URL(o.redirectUri);
  if (redirectUri.hash) fail('redirectUri', 'must not have a fragment (RFC 6749 section 3.1.2)');
  if (!['https:', 'http:'].includes(redirectUri.protocol)) fail('redirectUri', 'must be an http(s) URL');
  if (!redirectUri.pathname.endsWith('/callback')) {
    fail('redirectUri', `must point at the BFF's /callback route, for example ${redirectUri.origin}/auth/callback (got ${redirectUri.pathname})`);
  }
  if (o.mode === 'production' && redirectUri.protocol !== 'https:' && !isLoopbackHost(redirectUri.hostname)) {
    fail('redirectUri', `must use https:// in production (got ${redirectUri.origin}); set GD_MODE=development only on a test machine`);
  }

  const postLogoutRedirectUri = new URL(o.postLogoutRedirectUri ?? new URL('/', redirectUri).href);
  if (postLogoutRedirectUri.origin !== redirectUri.origin) {
    fail('postLogoutRedirectUri', `must be on the same site as ${ENV_NAMES.redirectUri} (${redirectUri.origin})`);
  }

  if (o.mode === 'production' && (o.clientSecret.length < 16 || WEAK_SECRETS.test(o.clientSecret))) {
    fail('clientSecret', 'looks like a placeholder or is shorter than 16 characters; use the client_secret issued by the platform operator');
  }
  if (!o.userFields.includes('id')) fail('userFields', 'must include id (the platform account id that keeps sessions apart)');

  const secureCookie = o.cookieSecure;
  // ASVS 5.0 V3.3.1: session cookies carry Secure; only a test machine on plain http may drop it.
  if (o.mode === 'production' && !secureCookie) fail('cookieSecure', 'must stay on in production (the session cookie must be Secure); set GD_MODE=development only on a test machine');
  // __Host- needs Secure, Path=/ and no Domain (RFC 6265bis 4.1.3.2); Chromium also honours it on http://localhost.
  const cookieName = o.cookieName ?? (secureCookie ? '__Host-gdsl' : 'gdsl');
  if (cookieName.startsWith('__Host-') && !secureCookie) fail('cookieName', 'a __Host- cookie must be Secure; remove the prefix or set GD_COOKIE_SECURE=on');

  return {
    mode: o.mode,
    platformUrl,
    paths: { authorize: o.authorizePath, token: o.tokenPath, userinfo: o.userinfoPath, manage: o.managePath, logout: o.logoutPath },
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUri,
    postLogoutRedirectUri,
    siteOrigin: redirectUri.origin,
    tokenAuthMethod: o.tokenAuthMethod,
    pkce: o.pkce,
    scope: o.scope || undefined,
    userFields: [...new Set(o.userFields)],
    userFieldMap: { ...DEFAULT_USER_FIELD_MAP, ...(o.userFieldMap as Partial<Record<UserField, string>> | undefined) },
    platformTimeoutMs: o.platformTimeoutMs,
    platformCa,
    session: {
      idleMs: o.sessionIdleMinutes * 60_000,
      absoluteMs: o.sessionMaxHours * 3_600_000,
      touchIntervalMs: Math.min(o.sessionTouchSeconds * 1000, (o.sessionIdleMinutes * 60_000) / 4),
      maxEntries: o.maxSessions,
      cookieName,
      cookieSecure: secureCookie,
    },
    transactionTtlMs: o.transactionTtlMinutes * 60_000,
    rateLimits: {
      login: o.rateLimitLogin,
      callback: o.rateLimitCallback,
      bind: o.rateLimitBind,
      windowMs: o.rateLimitWindowSeconds * 1000,
    },
    redisUrl: o.redisUrl,
    redisKeyPrefix: o.redisKeyPrefix,
    databaseUrl: o.databaseUrl,
    auditRetentionDays: o.auditRetentionDays,
    logLevel: o.logLevel,
    trustProxy: o.trustProxy,
    verifyLocalAccount,
  };
}

/** Where the standalone BFF (`npm run bff`, `gd-staff-login serve`) listens. */
export interface ServerOptions {
  port: number;
  host: string;
}

/**
 * Reads `GD_PORT` (default 3001) and `GD_HOST` (default 127.0.0.1: only the reverse proxy on this
 * machine should reach the BFF).
 * @throws ConfigError naming the variable at fault.
 */
export function resolveServerOptions(env: Record<string, string | undefined> = process.env): ServerOptions {
  const rawPort = env.GD_PORT?.trim() || '3001';
  if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) > 65_535) throw new ConfigError('GD_PORT', `must be a port number 0-65535 (got "${rawPort}")`);
  const host = env.GD_HOST?.trim() || '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) throw new ConfigError('GD_HOST', `must be an address or host name such as 127.0.0.1 or 0.0.0.0 (got "${host}")`);
  return { port: Number(rawPort), host };
}
