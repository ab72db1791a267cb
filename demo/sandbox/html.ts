/**
 * The sandbox's pages (zh-CN). Plain server-rendered HTML, no inline script or style: the CSS
 * and the QR polling script are files under /static/, allowed by a strict CSP.
 */
import type { SandboxAccount, SandboxCertificate, SandboxClient } from './data.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape for HTML text and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} - 广东省政务人员统一身份认证平台（沙箱）</title>
<link rel="stylesheet" href="/static/sandbox.css">
</head>
<body>
<header class="topbar">
  <div class="brand"><span class="emblem" aria-hidden="true">粤</span>
    <span class="brand-text"><strong>广东省政务人员统一身份认证平台</strong><small>Guangdong Government Staff Unified Identity Authentication</small></span>
  </div>
  <span class="sandbox-badge" title="本页面由 gd-staff-login 沙箱提供，不是真实的省政务认证平台">沙箱环境 · 仅供开发测试</span>
</header>
<main class="page">
${body}
</main>
<footer class="footer">本沙箱模拟 DB44/T《政务人员统一身份认证子平台接入规范》所述接口，测试账号与证书均为虚构。</footer>
</body>
</html>`;
}

export interface ErrorPageInput {
  /** OAuth error code, for tests and tools (`data-error`). */
  error: string;
  /** The exact message, Table 2 text first where one applies. */
  description: string;
  /** A sentence for people, in Chinese. */
  hint?: string;
}

export function errorPage({ error, description, hint }: ErrorPageInput): string {
  return layout(
    '请求错误',
    `<section class="card error-card" data-error="${esc(error)}">
  <h1>无法继续登录</h1>
  <p id="error_description" class="error-description">${esc(description)}</p>
  ${hint ? `<p class="hint">${esc(hint)}</p>` : ''}
  <p class="hint">错误代码：<code>${esc(error)}</code>。如果您是从业务系统跳转而来，请联系该系统的管理员核对接入参数。</p>
</section>`,
  );
}

export type LoginView = 'password' | 'qr' | 'cert';

export interface LoginPageInput {
  view: LoginView;
  pendingId: string;
  csrf: string;
  /** The business system asking, shown so the user knows where they are going. */
  client: SandboxClient | undefined;
  /** Set when the login is for the account page instead of a business system. */
  forManage?: boolean;
  error?: string;
  accountValue?: string;
  qr?: { svg: string; ticket: string; confirmUrl: string };
  certificates?: Array<{ certificate: SandboxCertificate; account: SandboxAccount }>;
}

function tabs(view: LoginView, pendingId: string): string {
  const tab = (v: LoginView, label: string) => {
    const href = `/oauth/login?pending=${encodeURIComponent(pendingId)}&method=${v}`;
    return v === view
      ? `<a class="tab active" aria-current="page" href="${esc(href)}">${label}</a>`
      : `<a class="tab" href="${esc(href)}">${label}</a>`;
  };
  return `<nav class="tabs" aria-label="登录方式">${tab('password', '账号密码登录')}${tab('qr', '扫码登录')}${tab('cert', '数字证书登录')}</nav>`;
}

function hidden(pendingId: string, csrf: string): string {
  return `<input type="hidden" name="pending" value="${esc(pendingId)}">
    <input type="hidden" name="csrf" value="${esc(csrf)}">`;
}

export function loginPage(input: LoginPageInput): string {
  const { view, pendingId, csrf, client } = input;
  const target = input.forManage
    ? '<p class="target">登录后进入<strong>账号管理</strong></p>'
    : client
      ? `<p class="target">即将登录：<strong>${esc(client.system_name)}</strong>${client.unit ? `<span class="unit">（${esc(client.unit)}）</span>` : ''}</p>`
      : '';
  const error = input.error ? `<p class="form-error" role="alert" id="login-error">${esc(input.error)}</p>` : '';
  let content: string;
  if (view === 'password') {
    content = `<form method="post" action="/oauth/login/password" class="login-form" autocomplete="off">
    ${hidden(pendingId, csrf)}
    <label for="account">账号</label>
    <input id="account" name="account" type="text" required autocomplete="username" value="${esc(input.accountValue ?? '')}" placeholder="请输入政务人员账号">
    <label for="password">密码</label>
    <input id="password" name="password" type="password" required autocomplete="current-password" placeholder="请输入密码">
    ${error}
    <button type="submit" class="primary">登录</button>
  </form>`;
  } else if (view === 'qr') {
    const qr = input.qr;
    content = qr
      ? `<div class="qr" id="qr" data-status-url="/oauth/qr/status?ticket=${esc(encodeURIComponent(qr.ticket))}">
    <div class="qr-image" role="img" aria-label="登录二维码">${qr.svg}</div>
    <p class="qr-help">请使用“粤政易”等政务移动应用扫描二维码，并在手机上确认登录。</p>
    <p class="qr-status" id="qr-status" role="status" aria-live="polite">等待扫码确认…</p>
    <p class="qr-phone">沙箱中没有手机？<a href="${esc(qr.confirmUrl)}" target="_blank" rel="noopener noreferrer">打开“手机确认”页面</a></p>
  </div>
  <form method="post" action="/oauth/login/qr" id="qr-complete" class="qr-complete">
    ${hidden(pendingId, csrf)}
    <input type="hidden" name="ticket" value="${esc(qr.ticket)}">
    ${error}
    <button type="submit" class="secondary">我已在手机上确认，继续</button>
  </form>
  <script src="/static/qr-poll.js" defer></script>`
      : error;
  } else {
    const certs = input.certificates ?? [];
    content = `<form method="post" action="/oauth/login/cert" class="login-form cert-form">
    ${hidden(pendingId, csrf)}
    <p class="hint">请插入数字证书（UKey）。沙箱列出 accounts.json 中绑定到账号的测试证书：</p>
    ${
      certs.length === 0
        ? '<p class="form-error">没有可用的测试证书。</p>'
        : `<fieldset class="cert-list"><legend>选择证书</legend>${certs
            .map(
              ({ certificate, account }, i) => `<label class="cert">
      <input type="radio" name="serial" value="${esc(certificate.serial)}"${i === 0 ? ' checked' : ''} required>
      <span class="cert-subject">${esc(certificate.subject)}</span>
      <span class="cert-meta">序列号 ${esc(certificate.serial)}${certificate.issuer ? ` · 颁发者 ${esc(certificate.issuer)}` : ''}${certificate.validTo ? ` · 有效期至 ${esc(certificate.validTo)}` : ''} · 账号 ${esc(account.account)}</span>
    </label>`,
            )
            .join('\n')}</fieldset>`
    }
    ${error}
    <button type="submit" class="primary">使用证书登录</button>
  </form>`;
  }
  return layout(
    '登录',
    `<section class="card login-card">
  <h1>政务人员登录</h1>
  ${target}
  ${tabs(view, pendingId)}
  ${content}
</section>`,
  );
}

export function qrConfirmPage(input: {
  ticket: string;
  csrf: string;
  accounts: SandboxAccount[];
  done?: SandboxAccount;
  error?: string;
}): string {
  if (input.done) {
    return layout(
      '已确认',
      `<section class="card phone-card" data-qr="confirmed"><h1>已确认登录</h1>
  <p>已以 <strong>${esc(input.done.name)}</strong>（${esc(input.done.orgName)}）身份确认，请回到电脑上的登录页面。</p></section>`,
    );
  }
  const body = input.error
    ? `<p class="form-error" role="alert">${esc(input.error)}</p>`
    : `<p class="hint">这是模拟手机扫码后的确认页。选择以哪个账号确认登录：</p>
  <ul class="account-list">${input.accounts
    .map(
      (a) => `<li><form method="post" action="/oauth/qr/confirm">
      <input type="hidden" name="ticket" value="${esc(input.ticket)}">
      <input type="hidden" name="csrf" value="${esc(input.csrf)}">
      <input type="hidden" name="userId" value="${esc(a.userId)}">
      <button type="submit" class="account-choice" data-account="${esc(a.account)}"><strong>${esc(a.name)}</strong><span>${esc(a.orgName)} · ${esc(a.deptName)}</span></button>
    </form></li>`,
    )
    .join('\n')}</ul>`;
  return layout('手机确认登录', `<section class="card phone-card"><h1>确认登录</h1>${body}</section>`);
}

export interface ManagePageInput {
  account: SandboxAccount;
  csrf: string;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  saved?: boolean;
  back?: string;
  query: string;
}

const MANAGE_FIELDS: ReadonlyArray<readonly [key: string, label: string, type: string, autocomplete: string]> = [
  ['name', '姓名', 'text', 'name'],
  ['mobile', '手机号码', 'tel', 'tel'],
  ['email', '电子邮箱', 'email', 'email'],
  ['deptName', '部门', 'text', 'organization-title'],
  ['title', '职务', 'text', 'organization-title'],
];

export function managePage(input: ManagePageInput): string {
  const { account } = input;
  const values = input.values ?? (account as unknown as Record<string, string>);
  const errors = input.errors ?? {};
  const rows = MANAGE_FIELDS.map(([key, label, type, autocomplete]) => {
    const err = errors[key];
    return `<label for="f-${key}">${label}</label>
    <input id="f-${key}" name="${key}" type="${type}" autocomplete="${autocomplete}" value="${esc(values[key] ?? '')}"${err ? ` aria-invalid="true" aria-describedby="e-${key}"` : ''}>
    ${err ? `<p class="field-error" id="e-${key}" data-field="${key}">${esc(err)}</p>` : ''}`;
  }).join('\n    ');
  const action = `/manage/userinfo${input.query}`;
  return layout(
    '账号管理',
    `<section class="card manage-card">
  <h1>账号管理</h1>
  <dl class="facts">
    <dt>账号</dt><dd id="account">${esc(account.account)}</dd>
    <dt>单位</dt><dd>${esc(account.orgName)}</dd>
    <dt>统一社会信用代码</dt><dd>${esc(account.orgCode)}</dd>
  </dl>
  ${input.saved ? '<p class="saved" role="status" id="saved">已保存。业务系统将在您下次登录时获得新的信息。</p>' : ''}
  ${Object.keys(errors).length > 0 ? '<p class="form-error" role="alert">请修正标出的字段后再保存。</p>' : ''}
  <form method="post" action="${esc(action)}" class="manage-form">
    <input type="hidden" name="csrf" value="${esc(input.csrf)}">
    ${rows}
    <button type="submit" class="primary">保存</button>
  </form>
  <p class="links">${input.back ? `<a id="back" href="${esc(input.back)}">返回业务系统</a> · ` : ''}<a href="/oauth/logout">退出登录</a></p>
</section>`,
  );
}

export function loggedOutPage(): string {
  return layout(
    '已退出',
    `<section class="card" data-logged-out="true"><h1>已退出</h1><p>您已退出广东省政务人员统一身份认证平台。可以关闭本页面。</p></section>`,
  );
}

export function simplePage(title: string, message: string): string {
  return layout(title, `<section class="card"><h1>${esc(title)}</h1><p>${esc(message)}</p></section>`);
}
