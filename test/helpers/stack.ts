/**
 * Starts the real stack for a test: the platform sandbox, the demo site and the BFF, on
 * ephemeral ports, and logs a test browser in through the sandbox's own login form.
 */
import { startDemo, type DemoSettings } from '../../demo/start.ts';
import { TestBrowser, parseForm, type Hop } from './browser.ts';

export const DEMO_ACCOUNT = { account: 'zhangwei', password: 'Demo@2026' };

export type Stack = Awaited<ReturnType<typeof startDemo>>;

export function startStack(settings: Partial<DemoSettings> = {}): Promise<Stack> {
  const env = settings.env ?? {};
  // Each stack gets its own empty user center (in memory) unless the test names a database:
  // the default file under .data/ belongs to `npm start`, and bindings must not leak between tests.
  const bffOptions = { ...(env.DATABASE_URL ? {} : { databaseUrl: 'sqlite::memory:' }), ...settings.bffOptions };
  return startDemo({ port: 0, sandboxPort: 0, logLevel: 'silent', ...settings, env, bffOptions });
}

/** GET /auth/login, fill the sandbox's password form, follow back to the site. */
export async function login(
  browser: TestBrowser,
  stack: Stack,
  { account, password, returnTo }: { account?: string; password?: string; returnTo?: string } = {},
): Promise<{ response: Response; hops: Hop[]; url: string }> {
  const start = new URL('auth/login', stack.url);
  if (returnTo !== undefined) start.searchParams.set('returnTo', returnTo);
  const toForm = await browser.follow(start.href);
  if (!toForm.url.startsWith(stack.sandboxUrl)) return toForm; // SSO: already back on the site
  const html = await toForm.response.text();
  const form = parseForm(html, toForm.url);
  form.fields.account = account ?? DEMO_ACCOUNT.account;
  form.fields.password = password ?? DEMO_ACCOUNT.password;
  const posted = await browser.request(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(stack.sandboxUrl).origin },
    body: new URLSearchParams(form.fields),
  });
  const location = posted.headers.get('location');
  if (!location) return { response: posted, hops: toForm.hops, url: form.action };
  const back = await browser.follow(new URL(location, form.action).href);
  return { ...back, hops: [...toForm.hops, ...back.hops] };
}

export async function me(browser: TestBrowser, stack: Stack, query = ''): Promise<{ status: number; body: any }> {
  const response = await browser.request(new URL(`auth/me${query}`, stack.url).href);
  return { status: response.status, body: await response.json() };
}

export async function logout(browser: TestBrowser, stack: Stack): Promise<{ status: number; body: any }> {
  const response = await browser.request(new URL('auth/logout', stack.url).href, {
    method: 'POST',
    headers: { 'x-gd-login': '1', origin: new URL(stack.url).origin },
  });
  return { status: response.status, body: await response.json() };
}
