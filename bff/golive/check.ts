/**
 * `gd-staff-login check --site URL --account A --password P [--local-user U --local-password P] …`
 *
 * Runs the Appendix B go-live checks in headless Chromium against a running business system and
 * its platform, and writes 表B.1 with 验证结果 from what actually happened and 备注 with the
 * evidence (Markdown, printable HTML, JSON). Exit status 0 only when every check passed.
 *
 * 1. 登录功能: log in through `<gd-staff-login>` and the platform's form; `/auth/me` answers the
 *    user and the page shows the name; the authorize redirect the browser followed is https;
 *    nothing the browser received holds the client secret or a token (see scan.ts). A platform
 *    behind a private CA is checked with `--platform-ca FILE` (see platform-trust.ts).
 * 2. 账号绑定: the widget's bind dialog links the local test account; `/auth/me` says `bound`.
 * 3. 退出功能: log out through the widget; the browser passes through the platform's logout,
 *    the old session cookie is refused, and the next login asks for credentials again (5.3, 7.1.3).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { GoLiveError, defaultIo, usageError, writeOutputs, type CommandIo } from './cli-support.ts';
import { chromiumPath, launchChromium } from './chromium.ts';
import { readDescription } from './describe.ts';
import { chromiumArgsFor, readPlatformCa, trustRemark, verifyPlatformCertificate, type PlatformTrust } from './platform-trust.ts';
import { LeakScanner, RULE_ZH } from './scan.ts';
import {
  ACCESS_SYSTEM,
  REPORT_TITLE,
  ROWS,
  conclusionFor,
  renderReportHtml,
  renderReportJson,
  renderReportMarkdown,
  scanTotals,
  type GoLiveReport,
  type ReportRow,
  type RowId,
  type ScanCategory,
  type ScanSummary,
  type ScannedResponse,
  type Step,
} from './report.ts';

/** How to drive the platform's login page; the defaults fit the sandbox. */
export interface PlatformSelectors {
  account: string;
  password: string;
  submit: string;
}

export const SANDBOX_SELECTORS: PlatformSelectors = {
  account: 'input[name=account]',
  password: 'input[name=password]',
  submit: 'form button[type=submit]',
};

export interface CheckOptions {
  /** The business system's page that carries `<gd-staff-login>`. */
  site: string;
  account: string;
  password: string;
  localUser?: string | undefined;
  localPassword?: string | undefined;
  /** Expected platform base URL; the authorize redirect must go there. */
  platformUrl?: string | undefined;
  /**
   * PEM file of the CA the platform's https certificate chains to (a private CA). The check
   * verifies `platformUrl`'s certificate against it and lets its Chromium accept exactly that
   * certificate. Needs `platformUrl`, and a Chromium the check launches itself (not `browser`).
   */
  platformCaFile?: string | undefined;
  /** The client secret to look for (never written anywhere). */
  clientSecret?: string | undefined;
  /** The variable the secret came from, for the evidence. */
  clientSecretSource?: string | undefined;
  /** Where the BFF is mounted on the site. Default `/auth`. */
  base?: string;
  selectors?: Partial<PlatformSelectors>;
  /** Accessible name of the widget's login button. Default: any name with 登录 / log in. */
  loginButton?: RegExp;
  unit?: string | undefined;
  system?: string | undefined;
  /** Per wait, in milliseconds. Default 15000. */
  timeoutMs?: number;
  /** A browser to reuse (tests); otherwise one is launched from `chromiumPath` and closed. */
  browser?: Browser;
  chromiumPath?: string;
  /** One line per step as the run goes. */
  onStep?: (step: Step) => void;
}

const LOGIN_BUTTON = /登录|log ?in/i;
const MENU_BIND = /^(绑定本地账号|Link local account)$/;
const MENU_UNBIND = /^(解除绑定|Unlink local account)$/;
const MENU_LOGOUT = /^(退出|Log out)$/;
const TOOL = 'gd-staff-login check 0.1.0';

interface RecordedResponse extends ScannedResponse {
  headerText: string;
  body: string;
}

interface MeAnswer {
  status: number;
  body: any;
}

function categoryOf(contentType: string, resourceType: string): ScanCategory {
  if (/html/i.test(contentType) || resourceType === 'document') return 'html';
  if (/javascript|ecmascript/i.test(contentType) || resourceType === 'script') return 'script';
  if (/css/i.test(contentType) || resourceType === 'stylesheet') return 'style';
  if (/json/i.test(contentType)) return 'json';
  return 'other';
}

/** Query parameters whose values help a reviewer; others (state, code, PKCE) are shown by name only. */
const SHOWN_PARAMS = new Set(['client_id', 'redirect_uri', 'response_type', 'returnTo', 'error']);

/** A URL for the evidence: origin and path, and the query without one-time values. */
function showUrl(raw: string): string {
  const url = new URL(raw);
  const params = [...url.searchParams].map(([k, v]) => (SHOWN_PARAMS.has(k) && v.length <= 120 ? `${k}=${v}` : `${k}=…`));
  return `${url.origin}${url.pathname}${params.length ? `?${params.join('&')}` : ''}`;
}

function originOf(raw: string): string | undefined {
  try {
    return new URL(raw).origin;
  } catch {
    return undefined;
  }
}

async function waitUntil<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

async function visible(locator: Locator): Promise<boolean> {
  return locator.isVisible().catch(() => false);
}

/**
 * Serialises the document with its open shadow roots (the widget renders there). Kept as source
 * text: a compiled function could carry helpers that do not exist in the page.
 */
const DOM_WITH_SHADOW_ROOTS = `(() => {
  const walk = (root) => {
    let out = '';
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) out += '\\n<!--shadow:' + el.localName + '-->' + el.shadowRoot.innerHTML + walk(el.shadowRoot);
    return out;
  };
  return document.documentElement.outerHTML + walk(document);
})()`;

const WEB_STORAGE = `(() => {
  const dump = (s) => {
    const o = {};
    for (let i = 0; i < s.length; i++) o[s.key(i)] = s.getItem(s.key(i)) ?? '';
    return o;
  };
  return { localStorage: dump(localStorage), sessionStorage: dump(sessionStorage) };
})()`;

/** The run: one browser context, recording everything the browser receives. */
class Run {
  readonly steps: Step[] = [];
  readonly responses: RecordedResponse[] = [];
  readonly navigations: string[] = [];
  readonly storage: ScanSummary['storage'] = [];
  readonly dom: ScanSummary['dom'] = [];
  readonly extraTexts: Array<{ where: string; text: string }> = [];
  readonly #pending: Promise<void>[] = [];
  readonly siteOrigin: string;
  readonly mePath: string;
  platformOrigin: string | undefined;
  /** The platform certificate verified against --platform-ca, when given. */
  trust: PlatformTrust | undefined;

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly options: CheckOptions,
  ) {
    this.siteOrigin = new URL(options.site).origin;
    this.mePath = `${(options.base ?? '/auth').replace(/\/+$/, '')}/me`;
    context.on('response', (response) => this.#pending.push(this.#record(response)));
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) this.navigations.push(request.url());
    });
  }

  async #record(response: Response): Promise<void> {
    const request = response.request();
    const headers = await response.allHeaders().catch(() => response.headers());
    const headerText = `${request.method()} ${response.url()}\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}`;
    const status = response.status();
    let body = '';
    let bodyRead = false;
    if (status < 300 || status >= 400) {
      try {
        const buffer = await response.body();
        body = buffer.toString('utf8');
        bodyRead = true;
      } catch {
        // The browser dropped it (the page navigated on); counted as not read.
      }
    }
    const contentType = headers['content-type'] ?? '';
    this.responses.push({
      method: request.method(),
      url: response.url(),
      status,
      category: categoryOf(contentType, request.resourceType()),
      contentType,
      bodyBytes: Buffer.byteLength(body),
      headerBytes: Buffer.byteLength(headerText),
      bodyRead,
      headerText,
      body,
    });
  }

  async settle(): Promise<void> {
    while (this.#pending.length) await Promise.all(this.#pending.splice(0));
  }

  step(row: RowId, ok: boolean, text: string, startedAt: number): boolean {
    const step = { row, ok, text, ms: Date.now() - startedAt };
    this.steps.push(step);
    this.options.onStep?.(step);
    return ok;
  }

  get timeout(): number {
    return this.options.timeoutMs ?? 15_000;
  }

  get widget(): Locator {
    return this.page.locator('gd-staff-login');
  }

  loginButton(): Locator {
    return this.widget.getByRole('button', { name: this.options.loginButton ?? LOGIN_BUTTON }).first();
  }

  /** `GET {base}/me` from the page itself, with the browser's cookies. */
  async me(): Promise<MeAnswer> {
    const answer = await this.page.evaluate(async (path) => {
      const r = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      return { status: r.status, text: await r.text() };
    }, this.mePath);
    let body: unknown = null;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = answer.text.slice(0, 200);
    }
    return { status: answer.status, body };
  }

  /** Keeps what the page holds now (storage, rendered DOM) for the scan. */
  async snapshot(): Promise<void> {
    const url = this.page.url();
    const origin = originOf(url);
    if (!origin || origin === 'null') return;
    const taken = await this.page.evaluate<unknown>(DOM_WITH_SHADOW_ROOTS).catch(() => undefined);
    if (typeof taken === 'string') {
      this.dom.push({ url, bytes: Buffer.byteLength(taken) });
      this.extraTexts.push({ where: `页面 DOM ${url}`, text: taken });
    }
    const areas = await this.page
      .evaluate<Record<'localStorage' | 'sessionStorage', Record<string, string>>>(WEB_STORAGE)
      .catch(() => undefined);
    if (!areas) return;
    for (const area of ['localStorage', 'sessionStorage'] as const) {
      const text = JSON.stringify(areas[area]);
      this.storage.push({ origin, area, keys: Object.keys(areas[area]).length, bytes: Buffer.byteLength(text) });
      this.extraTexts.push({ where: `${area}（${origin}）`, text });
    }
  }

  /** Navigations since `mark`, shown for the evidence. */
  chainSince(mark: number): string {
    return this.navigations
      .slice(mark)
      .map((u) => showUrl(u))
      .join(' → ');
  }

  async pageText(): Promise<string> {
    const text = await this.page.locator('body').innerText({ timeout: 2000 }).catch(() => '');
    return text.replace(/\s+/g, ' ').trim().slice(0, 160);
  }
}

interface Outcome {
  passed: boolean;
  remarks: string[];
}

/** 1. 登录功能 (user info): from the widget's button through the platform's form and back. */
async function checkLogin(run: Run, selectors: PlatformSelectors): Promise<Outcome & { me?: MeAnswer; authorizeUrl?: string }> {
  const { page, options } = run;
  const remarks: string[] = [];
  let t = Date.now();
  try {
    const response = await page.goto(options.site, { timeout: run.timeout });
    if (!run.step('login-userinfo', !!response && response.status() < 400, `打开业务系统首页 ${options.site}（${response?.status() ?? '无应答'}）`, t)) {
      return { passed: false, remarks: [`打开业务系统首页 ${options.site} 失败：HTTP ${response?.status() ?? '无应答'}。`] };
    }
  } catch (error) {
    run.step('login-userinfo', false, `打开业务系统首页 ${options.site}`, t);
    return { passed: false, remarks: [`无法打开业务系统首页 ${options.site}：${(error as Error).message.split('\n')[0]}`] };
  }

  t = Date.now();
  const button = run.loginButton();
  try {
    await button.waitFor({ timeout: run.timeout });
  } catch {
    run.step('login-userinfo', false, '页面上找到 <gd-staff-login> 的登录按钮', t);
    return { passed: false, remarks: [`页面 ${options.site} 上没有找到 <gd-staff-login> 的登录按钮（${run.timeout} 毫秒内）。`] };
  }
  const buttonName = ((await button.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  run.step('login-userinfo', true, `找到控件登录按钮“${buttonName}”`, t);

  t = Date.now();
  const mark = run.navigations.length;
  await button.click();
  const onForm = await waitUntil(run.timeout, async () =>
    originOf(page.url()) !== run.siteOrigin && (await visible(page.locator(selectors.account).first())) ? true : undefined,
  );
  const authorizeUrl = run.navigations.slice(mark).find((u) => originOf(u) !== run.siteOrigin);
  if (authorizeUrl) run.platformOrigin = new URL(authorizeUrl).origin;
  if (!onForm) {
    run.step('login-userinfo', false, '跳转到平台登录页', t);
    return {
      passed: false,
      authorizeUrl,
      remarks: [
        `点击登录按钮后没有出现平台登录页（${selectors.account}）。浏览器经过：${run.chainSince(mark) || '（无跳转）'}；当前页面 ${showUrl(page.url())}：“${await run.pageText()}”。`,
      ],
    };
  }
  run.step('login-userinfo', true, `跳转到平台登录页 ${showUrl(authorizeUrl ?? page.url())}`, t);

  t = Date.now();
  await page.locator(selectors.account).first().fill(options.account);
  await page.locator(selectors.password).first().fill(options.password);
  await page.locator(selectors.submit).first().click();
  const returned = await waitUntil(run.timeout, async () => (originOf(page.url()) === run.siteOrigin ? true : undefined));
  if (!returned) {
    run.step('login-userinfo', false, `在平台登录页以 ${options.account} 登录并返回业务系统`, t);
    return {
      passed: false,
      authorizeUrl,
      remarks: [`在平台登录页提交账号 ${options.account} 后没有返回业务系统；当前页面 ${showUrl(page.url())}：“${await run.pageText()}”。`],
    };
  }
  await page.waitForLoadState('load').catch(() => undefined);
  run.step('login-userinfo', true, `在平台登录页以 ${options.account} 登录并返回业务系统`, t);
  const callback = run.navigations.slice(mark).find((u) => originOf(u) === run.siteOrigin && /\/callback$/.test(new URL(u).pathname));

  t = Date.now();
  const me = await run.me();
  const user = me.status === 200 ? (me.body?.user as Record<string, unknown> | undefined) : undefined;
  if (!user || typeof user.id !== 'string' || typeof user.name !== 'string') {
    run.step('login-userinfo', false, `GET ${run.mePath} 返回用户信息`, t);
    return {
      passed: false,
      me,
      authorizeUrl,
      remarks: [
        `登录后 GET ${run.mePath} 返回 ${me.status}：${JSON.stringify(me.body).slice(0, 200)}，业务系统没有得到平台返回的用户信息。`,
        ...(callback ? [`回调地址 ${showUrl(callback)} 已被访问。`] : []),
      ],
    };
  }
  run.step('login-userinfo', true, `GET ${run.mePath} 返回 200：${user.name}（${user.id}）`, t);

  t = Date.now();
  const name = user.name;
  const shown = await waitUntil(run.timeout, async () => ((await visible(run.widget.getByRole('button', { name }).first())) ? true : undefined));
  run.step('login-userinfo', !!shown, `页面控件显示用户姓名“${name}”`, t);
  await run.snapshot();

  remarks.push(
    `通过控件登录按钮“${buttonName}”发起登录，浏览器跳转到平台 ${showUrl(authorizeUrl ?? '')}，以测试账号 ${options.account} 登录后经回调地址 ${callback ? showUrl(callback).replace(/\?.*/, '') : '（未观察到）'} 返回业务系统。`,
  );
  const fields = Object.keys(user).join(', ');
  remarks.push(`GET ${run.mePath} 返回 200，用户信息：id=${user.id}，姓名=${name}${user.org ? `，单位=${String(user.org)}` : ''}（字段：${fields}）。`);
  remarks.push(shown ? `页面上的 <gd-staff-login> 显示用户姓名“${name}”。` : `页面上的 <gd-staff-login> 没有显示用户姓名“${name}”（${run.timeout} 毫秒内）。`);
  return { passed: !!shown, remarks, me, authorizeUrl };
}

/** 1. 登录功能 (https and no keys on the page): judged on what the browser saw during the whole run. */
function judgeHttpsAndSecrets(run: Run, authorizeUrl: string | undefined, scanner: LeakScanner, scan: ScanSummary): Outcome & { https: boolean } {
  const remarks: string[] = [];
  let passed = true;
  if (!authorizeUrl) {
    passed = false;
    remarks.push('没有观察到发往平台的授权跳转，无法确认平台地址是否使用 https。');
  } else {
    const authorize = new URL(authorizeUrl);
    const platform = `${authorize.origin}${authorize.pathname}`;
    if (authorize.protocol === 'https:') {
      remarks.push(`浏览器实际跟随的授权跳转为 ${platform}，使用 https。`);
    } else {
      passed = false;
      const local = /^(localhost|127(\.\d+){3}|\[::1\])$/.test(authorize.hostname);
      remarks.push(
        `浏览器实际跟随的授权跳转为 ${platform}，未使用 https${local ? '（本机平台沙箱）' : ''}：本项据实标为异常。` +
          (local ? '沙箱运行只能证明其余各项；上线报告须在生产环境以 https 平台地址重新验证。' : '请将 GD_PLATFORM_URL 改为平台的 https 地址。'),
      );
    }
    if (run.options.platformUrl) {
      const expected = new URL(run.options.platformUrl);
      if (authorize.origin !== expected.origin || !authorize.pathname.startsWith(expected.pathname.replace(/\/+$/, ''))) {
        passed = false;
        remarks.push(`授权跳转去了 ${authorize.origin}，不是 --platform-url 指定的平台 ${expected.href}。`);
      }
    }
  }
  if (run.trust) {
    if (!run.trust.verified) passed = false;
    remarks.push(trustRemark(run.trust));
  }
  const https = passed;
  const t = scanTotals(scan);
  const what =
    `扫描浏览器在本次验证中收到的全部内容：${t.responses} 个应答（HTML ${t.byCategory.html}、脚本 ${t.byCategory.script}、样式 ${t.byCategory.style}、JSON ${t.byCategory.json}、其他 ${t.byCategory.other}；` +
    `正文 ${t.bodyBytes} 字节，响应头 ${t.headerBytes} 字节），Cookie ${scan.cookies.length} 个，Web 存储 ${scan.storage.length} 份，页面 DOM ${scan.dom.length} 份（清单见附表）`;
  if (scanner.findings.length === 0) {
    remarks.push(`${what}；未发现 client_secret 的值、client_secret/paastoken 带值或令牌形字符串。`);
  } else {
    passed = false;
    remarks.push(`${what}；发现 ${scanner.findings.length} 处密钥信息：`);
    for (const f of scanner.findings.slice(0, 5)) remarks.push(`${RULE_ZH[f.rule]}出现在${f.where}：${f.excerpt}`);
    if (scanner.findings.length > 5) remarks.push(`另有 ${scanner.findings.length - 5} 处，见附表。`);
  }
  if (!scanner.knowsSecret) remarks.push('未提供 client_secret 的值（设置 GD_CLIENT_SECRET 或 --client-secret-env），只按关键字和令牌形状扫描。');
  return { passed, remarks, https };
}

/** Opens the widget's account menu and picks an item. */
async function menuItem(run: Run, userName: string, item: RegExp): Promise<boolean> {
  const trigger = run.widget.getByRole('button', { name: userName }).first();
  await trigger.click({ timeout: run.timeout });
  const entry = run.widget.getByRole('menuitem', { name: item }).first();
  if (!(await waitUntil(2000, async () => ((await visible(entry)) ? true : undefined)))) {
    await run.page.keyboard.press('Escape').catch(() => undefined);
    return false;
  }
  await entry.click();
  return true;
}

/** 2. 账号绑定: through the widget's dialog, as a user would. */
async function checkBinding(run: Run, me: MeAnswer | undefined): Promise<Outcome> {
  const { options } = run;
  let t = Date.now();
  if (!options.localUser || !options.localPassword) {
    run.step('binding', false, '本地测试账号', t);
    return { passed: false, remarks: ['未提供业务系统的本地测试账号（--local-user / --local-password，或 GD_CHECK_LOCAL_USER / GD_CHECK_LOCAL_PASSWORD），未能验证账号绑定。'] };
  }
  if (!me || me.status !== 200) {
    run.step('binding', false, '登录后才能绑定', t);
    return { passed: false, remarks: ['登录未成功，无法验证账号绑定。'] };
  }
  const name = String(me.body.user.name);
  if (me.body.binding !== true) {
    const offered = await menuItem(run, name, MENU_BIND).catch(() => false);
    run.step('binding', false, `业务系统开启账号绑定（GET ${run.mePath} 的 binding）`, t);
    return {
      passed: false,
      remarks: [
        `业务系统没有开启账号绑定：GET ${run.mePath} 返回 binding: ${JSON.stringify(me.body.binding)}，控件菜单中${offered ? '虽有' : '没有'}“绑定本地账号”。` +
          '请在 createBff 中提供 verifyLocalAccount 以核验本地账号。',
      ],
    };
  }
  run.step('binding', true, `业务系统开启账号绑定（GET ${run.mePath} 返回 binding: true）`, t);
  const remarks: string[] = [];

  if (me.body.bound === true) {
    t = Date.now();
    const ok = await menuItem(run, name, MENU_UNBIND).catch(() => false);
    const after = ok ? await waitUntil(run.timeout, async () => ((await run.me()).body?.bound === false ? true : undefined)) : undefined;
    run.step('binding', !!after, '先解除已有的绑定（上次验证留下的）', t);
    if (!after) return { passed: false, remarks: [`平台账号已绑定 ${me.body.localAccount?.username ?? ''}，且无法通过控件的“解除绑定”解除，未能重新验证绑定。`] };
    remarks.push(`平台账号原已绑定 ${me.body.localAccount?.username ?? ''}，验证前先通过控件“解除绑定”解除。`);
  }

  t = Date.now();
  if (!(await menuItem(run, name, MENU_BIND).catch(() => false))) {
    run.step('binding', false, '控件菜单“绑定本地账号”', t);
    return { passed: false, remarks: [...remarks, `GET ${run.mePath} 报告 binding: true，但控件菜单中没有“绑定本地账号”。`] };
  }
  const dialog = run.widget.getByRole('dialog');
  const opened = await waitUntil(run.timeout, async () => ((await visible(dialog)) ? true : undefined));
  run.step('binding', !!opened, '打开控件的“绑定本地账号”对话框', t);
  if (!opened) return { passed: false, remarks: [...remarks, '点击“绑定本地账号”后没有出现绑定对话框。'] };

  t = Date.now();
  await dialog.getByLabel(/用户名|Username/).fill(options.localUser);
  await dialog.getByLabel(/密码|Password/).fill(options.localPassword);
  await dialog.getByRole('button', { name: /^(绑定|Link)$/ }).click();
  const alert = dialog.getByRole('alert');
  let probes = 0;
  const settled = await waitUntil(run.timeout, async () => {
    if (!(await visible(dialog))) return 'closed';
    // The widget may re-render instead of closing the dialog: the BFF's answer decides.
    if (++probes % 10 === 0 && (await run.me()).body?.bound === true) return 'closed';
    if (!(await visible(alert))) return undefined;
    const text = ((await alert.textContent({ timeout: 500 }).catch(() => '')) ?? '').trim();
    return text ? `error:${text}` : undefined;
  });
  if (settled !== 'closed') {
    run.step('binding', false, `以本地账号 ${options.localUser} 提交绑定`, t);
    const why = settled ? `对话框提示“${settled.slice(6)}”` : `${run.timeout} 毫秒内没有结果`;
    return { passed: false, remarks: [...remarks, `在控件的绑定对话框中提交本地账号 ${options.localUser} 后未能绑定：${why}。`] };
  }
  run.step('binding', true, `以本地账号 ${options.localUser} 提交绑定`, t);

  t = Date.now();
  const after = await run.me();
  const bound = after.status === 200 && after.body?.bound === true && after.body?.localAccount?.username === options.localUser;
  run.step('binding', bound, `GET ${run.mePath} 报告 bound: true，localAccount = ${options.localUser}`, t);
  await run.snapshot();
  remarks.push(`通过控件菜单“绑定本地账号”打开对话框，输入本地测试账号 ${options.localUser} 及其密码提交。`);
  remarks.push(
    bound
      ? `GET ${run.mePath} 返回 bound: true，localAccount: ${after.body.localAccount.username}${after.body.localAccount.displayName ? `（${after.body.localAccount.displayName}）` : ''}，平台账号 ${me.body.user.account ?? me.body.user.id} 已与业务系统账号绑定。`
      : `绑定对话框已关闭，但 GET ${run.mePath} 返回 ${after.status}：bound: ${JSON.stringify(after.body?.bound)}，localAccount: ${JSON.stringify(after.body?.localAccount ?? null)}。`,
  );
  return { passed: bound, remarks };
}

/** 3. 退出功能: local session and platform session both gone (5.3, 7.1.1 d, 7.1.3). */
async function checkLogout(run: Run, me: MeAnswer | undefined, selectors: PlatformSelectors): Promise<Outcome> {
  const { page, context } = run;
  let t = Date.now();
  if (!me || me.status !== 200) {
    run.step('logout', false, '登录后才能退出', t);
    return { passed: false, remarks: ['登录未成功，无法验证退出。'] };
  }
  const name = String(me.body.user.name);
  const before = await context.cookies(run.siteOrigin);
  const replayCookie = before.map((c) => `${c.name}=${c.value}`).join('; ');

  const mark = run.navigations.length;
  const clicked = await menuItem(run, name, MENU_LOGOUT).catch(() => false);
  if (!clicked) {
    run.step('logout', false, '控件菜单“退出”', t);
    return { passed: false, remarks: ['控件菜单中没有“退出”。'] };
  }
  const loggedOut = await waitUntil(run.timeout, async () =>
    run.navigations.length > mark && originOf(page.url()) === run.siteOrigin && (await visible(run.loginButton())) ? true : undefined,
  );
  await page.waitForLoadState('load').catch(() => undefined);
  const chain = run.chainSince(mark);
  const viaPlatform = run.platformOrigin !== undefined && run.navigations.slice(mark).some((u) => originOf(u) === run.platformOrigin);
  run.step('logout', !!loggedOut, '通过控件菜单“退出”退出，回到业务系统并显示登录按钮', t);
  run.step('logout', viaPlatform, `退出时浏览器经过平台的退出接口（${chain || '无跳转'}）`, t);

  t = Date.now();
  let replayStatus = 0;
  let replayError = '';
  try {
    const replay = await fetch(new URL(run.mePath, run.siteOrigin), { headers: { cookie: replayCookie, accept: 'application/json' }, redirect: 'manual' });
    replayStatus = replay.status;
    replayError = /"error"\s*:\s*"([^"]+)"/.exec(await replay.text())?.[1] ?? '';
  } catch {
    // No answer: reported as status 0 below.
  }
  const replayRefused = replayStatus === 401;
  run.step('logout', replayRefused, `重放退出前的会话 Cookie：GET ${run.mePath} → ${replayStatus || '无应答'}`, t);
  const browserMe = await run.me().catch(() => ({ status: 0, body: null }));

  t = Date.now();
  const reMark = run.navigations.length;
  const platformKnown = run.platformOrigin;
  let asked: 'credentials' | 'sso' | undefined;
  if (await visible(run.loginButton())) {
    await run.loginButton().click();
    asked = await waitUntil(run.timeout, async () => {
      const here = originOf(page.url());
      if (here !== run.siteOrigin && (await visible(page.locator(selectors.password).first()))) return 'credentials' as const;
      const went = run.navigations.slice(reMark);
      if (here === run.siteOrigin && went.some((u) => originOf(u) === platformKnown) && went.some((u) => /\/callback$/.test(new URL(u).pathname))) return 'sso' as const;
      return undefined;
    });
  }
  const reChain = run.chainSince(reMark);
  const seen = asked === 'credentials' ? '平台显示登录页' : asked === 'sso' ? '平台未要求凭据，直接返回授权码' : '未能确认';
  run.step('logout', asked === 'credentials', `再次登录时平台要求重新输入凭据（${seen}）`, t);
  await page.waitForLoadState('load').catch(() => undefined);
  await run.snapshot();

  const remarks: string[] = [];
  remarks.push(
    viaPlatform
      ? `通过控件菜单“退出”退出：浏览器经过平台退出接口后回到业务系统（${chain}）。`
      : `通过控件菜单“退出”退出${loggedOut ? '后回到业务系统' : ''}，但浏览器没有访问平台的退出接口（${chain || '没有跳转'}）：平台登录态不会被清除（7.1.1 d、5.3）。`,
  );
  remarks.push(
    replayRefused
      ? `本地会话已销毁：用退出前的会话 Cookie（${before.map((c) => c.name).join('、')}）重放 GET ${run.mePath}，返回 401${replayError ? ` ${replayError}` : ''}；浏览器中 GET ${run.mePath} 返回 ${browserMe.status}。`
      : `本地会话没有销毁：用退出前的会话 Cookie 重放 GET ${run.mePath}，返回 ${replayStatus || '无应答'}（应为 401）。`,
  );
  remarks.push(
    asked === 'credentials'
      ? `平台会话已结束：再次点击登录，平台显示登录页、要求重新输入账号密码（${reChain}），没有单点登录直接返回（7.1.3）。`
      : asked === 'sso'
        ? `平台会话仍然有效：再次点击登录，平台没有要求输入凭据，直接带授权码返回业务系统（${reChain}），说明退出没有同步退出省政务认证平台。`
        : `再次点击登录后未能确认平台是否要求重新输入凭据（${reChain || '没有跳转'}；当前页面 ${showUrl(page.url())}）。`,
  );
  const passed = !!loggedOut && viaPlatform && replayRefused && browserMe.status === 401 && asked === 'credentials';
  return { passed, remarks };
}

/**
 * Runs the three checks and returns the report (it does not write files).
 * Never throws for a failed check: what went wrong is the evidence.
 */
export async function runCheck(options: CheckOptions): Promise<GoLiveReport> {
  const startedAt = new Date().toISOString();
  const selectors = { ...SANDBOX_SELECTORS, ...options.selectors };
  let trust: PlatformTrust | undefined;
  const trustStarted = Date.now();
  if (options.platformCaFile) {
    if (!options.platformUrl) throw new GoLiveError('usage', '--platform-ca needs --platform-url: the platform whose certificate is to be verified');
    if (options.browser) throw new Error('platformCaFile: the check launches its own Chromium to accept the verified platform certificate; do not pass a browser');
    trust = await verifyPlatformCertificate(new URL(options.platformUrl), await readPlatformCa(options.platformCaFile), options.timeoutMs ?? 15_000);
  }
  const browser = options.browser ?? (await launchChromium(options.chromiumPath ?? chromiumPath(undefined, process.env), chromiumArgsFor(trust)));
  const context = await browser.newContext({ locale: 'zh-CN', serviceWorkers: 'block' });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeoutMs ?? 15_000);
  const run = new Run(context, page, options);
  if (trust) {
    run.trust = trust;
    run.step('login-https-secrets', trust.verified, `平台证书经 --platform-ca 校验（${trust.endpoint}：${trust.verified ? `${trust.leaf!.subject}，颁发者 ${trust.leaf!.issuer}` : (trust.error ?? '未通过')}）`, trustStarted);
  }
  const outcomes = new Map<RowId, Outcome>();
  try {
    const login = await checkLogin(run, selectors);
    outcomes.set('login-userinfo', login);
    outcomes.set('binding', await checkBinding(run, login.me).catch((e: Error) => failure(run, 'binding', e)));
    outcomes.set('logout', await checkLogout(run, login.me, selectors).catch((e: Error) => failure(run, 'logout', e)));

    const t = Date.now();
    await run.settle();
    const scanner = new LeakScanner(options.clientSecret);
    for (const r of run.responses) {
      scanner.scan(`应答头 ${r.method} ${showUrl(r.url)}`, r.headerText);
      if (r.body) scanner.scan(`应答正文 ${r.method} ${showUrl(r.url)}（${r.category}）`, r.body);
    }
    const cookies = await context.cookies();
    for (const c of cookies) scanner.scan(`Cookie ${c.name}（${c.domain}）`, `${c.name}=${c.value}`);
    for (const x of run.extraTexts) scanner.scan(x.where, x.text);
    const scan: ScanSummary = {
      secretKnown: scanner.knowsSecret,
      secretSource: scanner.knowsSecret ? (options.clientSecretSource ?? 'GD_CLIENT_SECRET') : undefined,
      responses: run.responses.map(({ headerText: _h, body: _b, ...rest }) => rest),
      cookies: cookies.map((c) => ({ name: c.name, domain: c.domain, bytes: Buffer.byteLength(`${c.name}=${c.value}`) })),
      storage: run.storage,
      dom: run.dom,
      findings: scanner.findings,
    };
    const judged = judgeHttpsAndSecrets(run, login.authorizeUrl, scanner, scan);
    run.step('login-https-secrets', judged.https, `平台地址使用 https（浏览器实际跳转到 ${login.authorizeUrl ? new URL(login.authorizeUrl).origin : '（未到达平台）'}）`, t);
    run.step('login-https-secrets', scanner.findings.length === 0, `前端密钥扫描：${scan.responses.length} 个应答、${scan.cookies.length} 个 Cookie、${scan.storage.length} 份存储、${scan.dom.length} 份 DOM，${scanner.findings.length} 处发现`, t);
    outcomes.set('login-https-secrets', judged);

    const rows: ReportRow[] = ROWS.map((r) => {
      const o = outcomes.get(r.id) ?? { passed: false, remarks: ['未执行。'] };
      return { ...r, passed: o.passed, result: o.passed ? '正常' : '异常', remarks: o.remarks };
    });
    return {
      title: REPORT_TITLE,
      accessSystem: ACCESS_SYSTEM,
      unit: options.unit,
      system: options.system,
      site: options.site,
      platform: login.authorizeUrl ? new URL(login.authorizeUrl).origin : undefined,
      account: options.account,
      localUser: options.localUser,
      startedAt,
      finishedAt: new Date().toISOString(),
      tool: TOOL,
      browser: `Chromium ${browser.version()}`,
      passed: rows.every((r) => r.passed),
      rows,
      conclusion: conclusionFor(rows),
      steps: run.steps,
      scan,
    };
  } finally {
    await context.close().catch(() => undefined);
    if (!options.browser) await browser.close().catch(() => undefined);
  }
}

function failure(run: Run, row: RowId, error: Error): Outcome {
  run.step(row, false, `意外错误：${error.message.split('\n')[0]}`, Date.now());
  return { passed: false, remarks: [`验证过程中出错：${error.message.split('\n')[0]}`] };
}

export const CHECK_USAGE = `用法 / usage: gd-staff-login check --site URL --account A --password P [options]

  --site URL                 业务系统中带 <gd-staff-login> 的页面
  --account A, --password P  平台测试账号（或 GD_CHECK_ACCOUNT / GD_CHECK_PASSWORD）
  --local-user U             业务系统本地测试账号，用于验证账号绑定（或 GD_CHECK_LOCAL_USER）
  --local-password P         （或 GD_CHECK_LOCAL_PASSWORD）
  --platform-url URL         期望的平台地址；授权跳转必须去这里
  --platform-ca FILE         平台 https 证书所属的私有 CA（PEM，与 BFF 的 GD_PLATFORM_CA_FILE 相同），需同时给出
                             --platform-url：先按该 CA 和系统根证书校验平台证书，浏览器只放行这张证书
  --client-secret-env NAME   从哪个环境变量读取 client_secret 的值用于扫描（默认 GD_CLIENT_SECRET）
  --describe FILE            form 命令的描述文件，用于填写“接入单位”“业务系统”
  --unit TEXT, --system TEXT 直接给出接入单位、业务系统名称
  --base PATH                BFF 挂载路径（默认 /auth）
  --account-selector CSS     平台登录页的账号输入框（默认 ${SANDBOX_SELECTORS.account}）
  --password-selector CSS    平台登录页的密码输入框（默认 ${SANDBOX_SELECTORS.password}）
  --submit-selector CSS      平台登录页的提交按钮（默认 ${SANDBOX_SELECTORS.submit}）
  --login-button TEXT        控件登录按钮的可访问名称（默认：含“登录”）
  --timeout MS               每次等待的上限（默认 15000）
  --chromium PATH            Chromium 路径（或 CHROMIUM_PATH，默认 /usr/bin/chromium）
  --out DIR                  输出目录（默认 .）：B1-golive-report.md / .html / .json

退出状态 / exit status: 0 全部正常；1 有异常项；2 用法错误或无法启动浏览器。`;

export interface CheckCommandResult {
  report: GoLiveReport;
  files: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Parses the command line into CheckOptions (GoLiveError `usage` on mistakes). */
export async function checkOptionsFromArgv(argv: string[], io: CommandIo): Promise<{ options: CheckOptions; out: string }> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        site: { type: 'string' },
        account: { type: 'string' },
        password: { type: 'string' },
        'local-user': { type: 'string' },
        'local-password': { type: 'string' },
        'platform-url': { type: 'string' },
        'platform-ca': { type: 'string' },
        'client-secret-env': { type: 'string' },
        describe: { type: 'string' },
        unit: { type: 'string' },
        system: { type: 'string' },
        base: { type: 'string' },
        'account-selector': { type: 'string' },
        'password-selector': { type: 'string' },
        'submit-selector': { type: 'string' },
        'login-button': { type: 'string' },
        timeout: { type: 'string' },
        chromium: { type: 'string' },
        out: { type: 'string', default: '.' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw usageError(error, CHECK_USAGE);
  }
  if (values.help) throw new GoLiveError('help', CHECK_USAGE);
  const env = io.env;
  const need = (value: string | undefined, flag: string, variable: string): string => {
    const v = value ?? env[variable];
    if (!v) throw new GoLiveError('usage', `${flag} is required (or set ${variable})\n\n${CHECK_USAGE}`);
    return v;
  };
  const site = need(values.site, '--site', 'GD_CHECK_SITE');
  try {
    const url = new URL(site);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
  } catch {
    throw new GoLiveError('usage', `--site must be an absolute http(s) URL (got "${site}")`);
  }
  if (values['platform-url'] !== undefined && !URL.canParse(values['platform-url'])) {
    throw new GoLiveError('usage', `--platform-url must be an absolute URL (got "${values['platform-url']}")`);
  }
  // Shown in the evidence as given (relative to the working directory).
  const platformCaFile = values['platform-ca'] === undefined ? undefined : io.cwd ? resolve(io.cwd, values['platform-ca']) : values['platform-ca'];
  if (platformCaFile !== undefined) {
    if (values['platform-url'] === undefined || new URL(values['platform-url']).protocol !== 'https:') {
      throw new GoLiveError('usage', `--platform-ca needs --platform-url with the platform's https address (the certificate to verify)`);
    }
    await readPlatformCa(platformCaFile);
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 500 || timeout > 300_000)) {
    throw new GoLiveError('usage', `--timeout must be a whole number of milliseconds between 500 and 300000 (got "${values.timeout}")`);
  }
  const secretVariable = values['client-secret-env'] ?? 'GD_CLIENT_SECRET';
  if (values['client-secret-env'] !== undefined && !env[secretVariable]) {
    throw new GoLiveError('usage', `--client-secret-env ${secretVariable}: that environment variable is not set`);
  }
  let unit = values.unit;
  let system = values.system;
  if (values.describe) {
    const d = await readDescription(resolve(io.cwd ?? process.cwd(), values.describe));
    unit ??= d.unit;
    system ??= d.systemName;
  }
  const options: CheckOptions = {
    site,
    account: need(values.account, '--account', 'GD_CHECK_ACCOUNT'),
    password: need(values.password, '--password', 'GD_CHECK_PASSWORD'),
    localUser: values['local-user'] ?? env.GD_CHECK_LOCAL_USER,
    localPassword: values['local-password'] ?? env.GD_CHECK_LOCAL_PASSWORD,
    platformUrl: values['platform-url'],
    platformCaFile,
    clientSecret: env[secretVariable] || undefined,
    clientSecretSource: secretVariable,
    base: values.base,
    selectors: {
      ...(values['account-selector'] ? { account: values['account-selector'] } : {}),
      ...(values['password-selector'] ? { password: values['password-selector'] } : {}),
      ...(values['submit-selector'] ? { submit: values['submit-selector'] } : {}),
    },
    loginButton: values['login-button'] ? new RegExp(escapeRegExp(values['login-button'])) : undefined,
    unit,
    system,
    timeoutMs: timeout,
    chromiumPath: chromiumPath(values.chromium, env),
  };
  return { options, out: values.out };
}

/** Writes the three forms of the report into `dir`. */
export function writeReport(report: GoLiveReport, dir: string, cwd?: string): Promise<string[]> {
  return writeOutputs(
    dir,
    { 'B1-golive-report.md': renderReportMarkdown(report), 'B1-golive-report.html': renderReportHtml(report), 'B1-golive-report.json': renderReportJson(report) },
    cwd,
  );
}

/** `gd-staff-login check …`: 0 when every check passed, 1 when one did not, 2 when it could not run. */
export async function main(argv: string[], io: CommandIo = defaultIo(), extra: { browser?: Browser } = {}): Promise<number> {
  let parsed;
  try {
    parsed = await checkOptionsFromArgv(argv, io);
  } catch (error) {
    if (error instanceof GoLiveError) {
      if (error.code === 'help') {
        io.stdout.write(`${error.message}\n`);
        return 0;
      }
      io.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { options, out } = parsed;
  io.stdout.write(`${REPORT_TITLE}\n业务系统 ${options.site}，平台测试账号 ${options.account}\n`);
  let report: GoLiveReport;
  try {
    report = await runCheck({
      ...options,
      browser: extra.browser,
      onStep: (s) => io.stdout.write(`  ${s.ok ? '✓' : '✗'} ${s.text}\n`),
    });
  } catch (error) {
    io.stderr.write(`无法完成验证 / could not run the check: ${(error as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  const files = await writeReport(report, out, io.cwd);
  io.stdout.write('\n');
  for (const row of report.rows) io.stdout.write(`  ${row.no}. ${row.func}（${row.short}）：${row.result}\n`);
  io.stdout.write(`\n结论：${report.conclusion}\n报告 / report:\n${files.map((f) => `  ${f}\n`).join('')}`);
  return report.passed ? 0 : 1;
}

/** Reads a JSON report back (tests and tooling). */
export async function readReport(file: string): Promise<GoLiveReport> {
  return JSON.parse(await readFile(file, 'utf8')) as GoLiveReport;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
