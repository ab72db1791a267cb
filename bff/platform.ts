/**
 * Calls to the provincial platform, one small step per function, in the protocol's words
 * (clause 7.1.2; RFC 6749 section 4.1). Every failure becomes a `BffError` with a stable code;
 * no platform response body ever travels further than the log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import type { BffConfig } from './config.ts';
import { BffError } from './errors.ts';
import { TABLE2_CODES, type ErrorCode } from './error-codes.ts';

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** Epoch ms when the access token expires (from `expires_in`; undefined when not given). */
  accessTokenExpiresAt: number | undefined;
}

/** 128+ bits from the CSPRNG, base64url (RFC 9700 section 2.1, RFC 7636 section 4.1). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** RFC 7636 section 4.2, S256. */
export function codeChallengeS256(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier).digest('base64url');
}

function endpoint(config: BffConfig, path: string): URL {
  // Keep any base path of the platform URL (e.g. https://host/pscp) in front of the endpoint path.
  const base = config.platformUrl.href.replace(/\/+$/, '');
  return new URL(base + path);
}

/** Step a of 7.1.2: the platform `authorize` URL; `redirect_uri` is URL-encoded by the URL API (7.2.1 b). */
export function buildAuthorizeUrl(config: BffConfig, params: { state: string; codeChallenge?: string }): URL {
  const url = endpoint(config, config.paths.authorize);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', config.redirectUri.href);
  url.searchParams.set('state', params.state);
  if (config.scope) url.searchParams.set('scope', config.scope);
  if (params.codeChallenge) {
    url.searchParams.set('code_challenge', params.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url;
}

/** Table 1 `logout`: the browser itself must visit it to clear its platform cookie (7.1.1 d). */
export function buildLogoutUrl(config: BffConfig): URL {
  const url = endpoint(config, config.paths.logout);
  url.searchParams.set('redirect_uri', config.postLogoutRedirectUri.href);
  return url;
}

/** Table 1 `manage/userinfo`: the platform's account-management page. */
export function buildManageUrl(config: BffConfig): URL {
  const url = endpoint(config, config.paths.manage);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', config.postLogoutRedirectUri.href);
  return url;
}

/** Maps the platform's `error_description` (Table 2 text at its start) to our code. */
export function codeForPlatformError(body: unknown): ErrorCode {
  const description =
    body && typeof body === 'object' && typeof (body as Record<string, unknown>).error_description === 'string'
      ? ((body as Record<string, unknown>).error_description as string)
      : '';
  for (const [message, code] of TABLE2_CODES) if (description.startsWith(message)) return code;
  return 'platform_error';
}

/** The platform's answers are small JSON objects; a larger body is refused rather than buffered. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * Connection pools for platform calls: one trusting the system roots, and one per configuration
 * that names a private CA (GD_PLATFORM_CA_FILE). Always our own undici Agent, never the global
 * dispatcher, which Node's bundled fetch may have installed from its own copy of undici.
 */
const systemRootsAgent = new Agent();
const caAgents = new WeakMap<BffConfig, Agent>();

/** With a configured CA, trust it in addition to the system roots (`ca` replaces the defaults). */
function dispatcherFor(config: BffConfig): Dispatcher {
  if (!config.platformCa) return systemRootsAgent;
  let agent = caAgents.get(config);
  if (!agent) {
    agent = new Agent({ connect: { ca: [...rootCertificates, config.platformCa.pem] } });
    caAgents.set(config, agent);
  }
  return agent;
}

/** Reads at most MAX_BODY_BYTES of a response body as text. */
async function readBody(path: string, headers: Dispatcher.ResponseData['headers'], body: Dispatcher.ResponseData['body']): Promise<string> {
  const tooLarge = () => new BffError('platform_bad_response', { detail: `${path}: body larger than ${MAX_BODY_BYTES} bytes` });
  if (Number(headers['content-length']) > MAX_BODY_BYTES) {
    body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Every platform call: undici's `request` (not `fetch`: the same pools without the WHATWG
 * streams and objects, about half the client's CPU per login), redirects not followed, one
 * deadline of `platformTimeoutMs` for connecting, headers and body together.
 */
async function callPlatform(config: BffConfig, url: URL, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(new PlatformTimeout()), config.platformTimeoutMs);
  let text: string;
  let status: number;
  try {
    const response = await request(url, { ...options, signal: controller.signal, dispatcher: dispatcherFor(config) });
    status = response.statusCode;
    text = await readBody(url.pathname, response.headers, response.body);
  } catch (error) {
    if (error instanceof BffError) throw error;
    const timedOut = error instanceof PlatformTimeout;
    throw new BffError(timedOut ? 'platform_timeout' : 'platform_unreachable', {
      cause: error,
      detail: `${url.pathname}: ${timedOut ? `no answer within ${config.platformTimeoutMs} ms` : (error as Error).message}`,
    });
  } finally {
    clearTimeout(deadline);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status >= 500) {
    throw new BffError('platform_unavailable', { detail: `${url.pathname}: HTTP ${status}` });
  }
  if (status < 200 || status > 299) {
    const code = body === undefined ? 'platform_bad_response' : codeForPlatformError(body);
    // Only the platform's error code and Table 2 text go to the log, never the whole body.
    const error = body && typeof body === 'object' ? String((body as Record<string, unknown>).error ?? '') : '';
    throw new BffError(code, { detail: `${url.pathname}: HTTP ${status} ${error}`.trim() });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new BffError('platform_bad_response', { detail: `${url.pathname}: HTTP ${status} without a JSON object` });
  }
  return body as Record<string, unknown>;
}

/** The abort reason of a platform call that ran out of time. */
class PlatformTimeout extends Error {
  override name = 'PlatformTimeout';
}

function tokenRequest(config: BffConfig, params: Record<string, string>): Promise<Record<string, unknown>> {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (config.tokenAuthMethod === 'client_secret_basic') {
    // RFC 6749 section 2.3.1: each part form-urlencoded before base64.
    const user = encodeURIComponent(config.clientId);
    const pass = encodeURIComponent(config.clientSecret);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  } else {
    form.set('client_id', config.clientId);
    form.set('client_secret', config.clientSecret);
  }
  return callPlatform(config, endpoint(config, config.paths.token), { method: 'POST', headers, body: form.toString() });
}

function processTokenResponse(body: Record<string, unknown>, now: number): TokenSet {
  const accessToken = body.access_token;
  if (typeof accessToken !== 'string' || accessToken.length === 0) {
    throw new BffError('platform_bad_response', { detail: 'token response without access_token' });
  }
  const expiresIn = Number(body.expires_in);
  return {
    accessToken,
    refreshToken: typeof body.refresh_token === 'string' && body.refresh_token ? body.refresh_token : undefined,
    accessTokenExpiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : undefined,
  };
}

/** Steps c-d of 7.1.2: exchange the code, server-side, with client_id + client_secret. */
export async function exchangeCode(config: BffConfig, code: string, codeVerifier: string | undefined, now = Date.now()): Promise<TokenSet> {
  const params: Record<string, string> = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: config.redirectUri.href,
  };
  if (codeVerifier) params.code_verifier = codeVerifier;
  return processTokenResponse(await tokenRequest(config, params), now);
}

/** RFC 6749 section 6: a new access token from the refresh token (Table 2 `Invalid refresh token`). */
export async function refreshTokens(config: BffConfig, refreshToken: string, now = Date.now()): Promise<TokenSet> {
  const tokens = processTokenResponse(await tokenRequest(config, { grant_type: 'refresh_token', refresh_token: refreshToken }), now);
  // A platform that does not rotate refresh tokens keeps the old one valid.
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

/** Step e of 7.1.2: the account detail for an access token. */
export async function fetchUserDetail(config: BffConfig, accessToken: string): Promise<Record<string, unknown>> {
  return callPlatform(config, endpoint(config, config.paths.userinfo), {
    method: 'GET',
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  });
}
