/**
 * The Appendix B go-live report (表B.1 接入广东省政务人员统一身份认证子平台上线报告): the model
 * `check` fills from a real run, and its Markdown, printable HTML and JSON forms.
 *
 * The table keeps the standard's four result rows (check 1 has two: user info; https and no
 * keys on the page). 验证结果 is only ever 正常 or 异常, and 备注 carries the evidence.
 */
import type { Finding } from './scan.ts';
import { RULE_ZH } from './scan.ts';
import { MD_BLANK, escapeHtml, htmlBlank, mdCell, printablePage } from './html.ts';

export const REPORT_TITLE = '表B.1 接入广东省政务人员统一身份认证子平台上线报告';
export const ACCESS_SYSTEM = '广东省政务人员统一身份认证子平台';

export type Verdict = '正常' | '异常';

/** The standard's rows, word for word (Appendix B, 表B.1). */
export const ROWS = [
  { id: 'login-userinfo', no: 1, func: '登录功能', short: '登录并接收用户信息', content: '使用省政务认证平台账号登录，业务系统能正常接收到省认证平台返回的用户信息。' },
  { id: 'login-https-secrets', no: 1, func: '登录功能', short: 'https、前端无密钥', content: '业务系统使用 https 访问省政务认证平台，前端页面禁止传输或显示 client_secret/paastoken 等密钥信息。' },
  { id: 'binding', no: 2, func: '账号绑定', short: '绑定业务系统账号', content: '使用省政务认证平台账号登录业务系统，可以主动绑定业务系统账号，实现用户信息统一。' },
  { id: 'logout', no: 3, func: '退出功能', short: '同步退出平台', content: '业务系统有退出功能，当用户退出业务系统之后，需要同步退出省政务认证平台账号。' },
] as const;

export type RowId = (typeof ROWS)[number]['id'];

export interface ReportRow {
  id: RowId;
  no: number;
  func: string;
  /** A few words for the terminal summary. */
  short: string;
  content: string;
  passed: boolean;
  result: Verdict;
  /** 备注: the evidence, one sentence per line. */
  remarks: string[];
}

export interface Step {
  row: RowId;
  ok: boolean;
  text: string;
  ms: number;
}

export type ScanCategory = 'html' | 'script' | 'style' | 'json' | 'other';

export interface ScannedResponse {
  method: string;
  url: string;
  status: number;
  category: ScanCategory;
  contentType: string;
  bodyBytes: number;
  headerBytes: number;
  /** false when the browser kept no body (redirects, or a body the browser discarded). */
  bodyRead: boolean;
}

export interface ScanSummary {
  secretKnown: boolean;
  /** Where the secret value came from (a variable name), never the value. */
  secretSource: string | undefined;
  responses: ScannedResponse[];
  cookies: Array<{ name: string; domain: string; bytes: number }>;
  storage: Array<{ origin: string; area: 'localStorage' | 'sessionStorage'; keys: number; bytes: number }>;
  dom: Array<{ url: string; bytes: number }>;
  findings: Finding[];
}

export interface GoLiveReport {
  title: string;
  accessSystem: string;
  unit: string | undefined;
  system: string | undefined;
  site: string;
  /** The platform the browser was actually sent to (from the authorize redirect). */
  platform: string | undefined;
  account: string;
  localUser: string | undefined;
  startedAt: string;
  finishedAt: string;
  tool: string;
  browser: string;
  passed: boolean;
  rows: ReportRow[];
  conclusion: string;
  steps: Step[];
  scan: ScanSummary;
}

export function conclusionFor(rows: ReportRow[]): string {
  const failed = rows.filter((r) => !r.passed);
  if (failed.length === 0) return '各项功能正常，系统已完成对接及上线。';
  return `以下验证项异常：${failed.map((r) => `${r.no}. ${r.func}（${r.short}）`).join('；')}。系统尚不满足上线条件，处理后请重新验证。`;
}

export function scanTotals(scan: ScanSummary): { responses: number; bodyBytes: number; headerBytes: number; byCategory: Record<ScanCategory, number> } {
  const byCategory: Record<ScanCategory, number> = { html: 0, script: 0, style: 0, json: 0, other: 0 };
  let bodyBytes = 0;
  let headerBytes = 0;
  for (const r of scan.responses) {
    byCategory[r.category]++;
    bodyBytes += r.bodyBytes;
    headerBytes += r.headerBytes;
  }
  return { responses: scan.responses.length, bodyBytes, headerBytes, byCategory };
}

function fmtTime(iso: string): string {
  return new Date(iso).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
}

// ---------------------------------------------------------------- Markdown

export function renderReportMarkdown(r: GoLiveReport): string {
  const lines: string[] = [`# ${REPORT_TITLE}`, ''];
  lines.push('| 项目 | 内容 |', '|---|---|');
  lines.push(`| 接入系统 | ${ACCESS_SYSTEM} |`);
  lines.push(`| 接入单位 | ${r.unit ? mdCell(r.unit) : MD_BLANK} |`);
  lines.push(`| 业务系统 | ${r.system ? mdCell(r.system) : MD_BLANK} |`);
  lines.push('');
  lines.push('| 序号 | 功能 | 验证内容 | 验证结果 | 备注 |', '|---|---|---|---|---|');
  for (const row of r.rows) {
    const result = row.passed ? '正常' : '**异常**';
    lines.push(`| ${row.no} | ${row.func} | ${mdCell(row.content)} | ${result} | ${row.remarks.map(mdCell).join('<br>')} |`);
  }
  lines.push('');
  lines.push(`**结论：** ${r.conclusion}`, '');
  lines.push(`业务单位（盖章）：${MD_BLANK.replace('待填写', '待盖章')}　　日期：＿＿＿＿年＿＿月＿＿日`, '');
  lines.push('---', '', '## 附：验证过程记录', '');
  lines.push(`- 业务系统：${r.site}`);
  lines.push(`- 平台（浏览器实际跳转到的授权地址所在）：${r.platform ?? '（未到达平台）'}`);
  lines.push(`- 平台测试账号：${r.account}${r.localUser ? `；本地测试账号：${r.localUser}` : ''}`);
  lines.push(`- 验证时间：${fmtTime(r.startedAt)} 至 ${fmtTime(r.finishedAt)}（北京时间）`);
  lines.push(`- 工具：${r.tool}；浏览器：${r.browser}（无头模式）`, '');
  lines.push('| 步骤 | 结果 | 所属验证项 |', '|---|---|---|');
  for (const s of r.steps) lines.push(`| ${mdCell(s.text)} | ${s.ok ? '✓' : '✗'} | ${s.row} |`);
  lines.push('', '## 附：前端密钥扫描清单', '');
  lines.push(...scanMarkdown(r.scan));
  return `${lines.join('\n')}\n`;
}

function scanMarkdown(scan: ScanSummary): string[] {
  const t = scanTotals(scan);
  const lines = [
    `共扫描 ${t.responses} 个应答（HTML ${t.byCategory.html}、脚本 ${t.byCategory.script}、样式 ${t.byCategory.style}、JSON ${t.byCategory.json}、其他 ${t.byCategory.other}），正文 ${t.bodyBytes} 字节、响应头 ${t.headerBytes} 字节；` +
      `Cookie ${scan.cookies.length} 个；Web 存储 ${scan.storage.length} 份；页面 DOM（含 Shadow DOM）${scan.dom.length} 份。` +
      (scan.secretKnown ? `client_secret 的值取自 ${scan.secretSource}（报告中不出现该值）。` : '未提供 client_secret 的值，只按关键字和令牌形状扫描。'),
    '',
  ];
  if (scan.findings.length) {
    lines.push('| 发现 | 位置 | 摘录（已脱敏） |', '|---|---|---|');
    for (const f of scan.findings) lines.push(`| ${RULE_ZH[f.rule]} | ${mdCell(f.where)} | ${mdCell(f.excerpt)} |`);
    lines.push('');
  }
  lines.push('| 方法 | 地址 | 状态 | 类型 | 正文字节 | 响应头字节 |', '|---|---|---|---|---|---|');
  for (const x of scan.responses) {
    lines.push(`| ${x.method} | ${mdCell(x.url)} | ${x.status} | ${x.category} | ${x.bodyRead ? x.bodyBytes : '—'} | ${x.headerBytes} |`);
  }
  lines.push('');
  for (const c of scan.cookies) lines.push(`- Cookie \`${c.name}\`（${c.domain}，${c.bytes} 字节）`);
  for (const s of scan.storage) lines.push(`- ${s.area}（${s.origin}）：${s.keys} 项，${s.bytes} 字节`);
  for (const d of scan.dom) lines.push(`- 页面 DOM ${d.url}：${d.bytes} 字节`);
  return lines;
}

// ---------------------------------------------------------------- HTML

export function renderReportHtml(r: GoLiveReport): string {
  const rows = r.rows
    .map((row, i) => {
      const first = i === 0 || r.rows[i - 1]!.no !== row.no;
      const span = r.rows.filter((x) => x.no === row.no).length;
      const lead = first ? `<td rowspan="${span}" class="center">${row.no}</td><td rowspan="${span}" class="center">${escapeHtml(row.func)}</td>` : '';
      const result = `<td class="center ${row.passed ? 'ok' : 'bad'}">${row.result}</td>`;
      const remarks = `<td><ul class="evidence">${row.remarks.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul></td>`;
      return `<tr>${lead}<td>${escapeHtml(row.content)}</td>${result}${remarks}</tr>`;
    })
    .join('\n');
  const t = scanTotals(r.scan);
  const steps = r.steps.map((s) => `<tr><td>${s.ok ? '✓' : '✗'}</td><td>${escapeHtml(s.text)}</td><td>${escapeHtml(s.row)}</td></tr>`).join('\n');
  const responses = r.scan.responses
    .map(
      (x) =>
        `<tr><td>${escapeHtml(x.method)}</td><td>${escapeHtml(x.url)}</td><td>${x.status}</td><td>${x.category}</td><td>${x.bodyRead ? x.bodyBytes : '—'}</td><td>${x.headerBytes}</td></tr>`,
    )
    .join('\n');
  const findings = r.scan.findings.length
    ? `<table class="list"><tr><th>发现</th><th>位置</th><th>摘录（已脱敏）</th></tr>${r.scan.findings
        .map((f) => `<tr><td>${escapeHtml(RULE_ZH[f.rule])}</td><td>${escapeHtml(f.where)}</td><td><code>${escapeHtml(f.excerpt)}</code></td></tr>`)
        .join('')}</table>`
    : '<p>未发现密钥或令牌。</p>';
  const body = `<h1>${escapeHtml(REPORT_TITLE)}</h1>
<table class="std" aria-label="${escapeHtml(REPORT_TITLE)}">
<colgroup><col class="n"><col class="f"><col class="c"><col class="r"><col class="m"></colgroup>
<tr><th colspan="2" scope="row">接入系统</th><td colspan="3">${ACCESS_SYSTEM}</td></tr>
<tr><th colspan="2" scope="row">接入单位</th><td colspan="3">${r.unit ? escapeHtml(r.unit) : htmlBlank()}</td></tr>
<tr><th colspan="2" scope="row">业务系统</th><td colspan="3">${r.system ? escapeHtml(r.system) : htmlBlank()}</td></tr>
<tr><th scope="col">序号</th><th scope="col">功能</th><th scope="col">验证内容</th><th scope="col">验证结果</th><th scope="col">备注</th></tr>
${rows}
<tr><th colspan="2" scope="row">结论</th><td colspan="3">${escapeHtml(r.conclusion)}<div class="sign">业务单位（盖章）<span class="stamp">盖章处</span><br>${htmlBlank('年')} ${htmlBlank('月')} ${htmlBlank('日')}</div></td></tr>
</table>
<h2>附：验证过程记录</h2>
<ul class="meta">
<li>业务系统：${escapeHtml(r.site)}</li>
<li>平台（浏览器实际跳转到的授权地址所在）：${escapeHtml(r.platform ?? '（未到达平台）')}</li>
<li>平台测试账号：${escapeHtml(r.account)}${r.localUser ? `；本地测试账号：${escapeHtml(r.localUser)}` : ''}</li>
<li>验证时间：${escapeHtml(fmtTime(r.startedAt))} 至 ${escapeHtml(fmtTime(r.finishedAt))}（北京时间）</li>
<li>工具：${escapeHtml(r.tool)}；浏览器：${escapeHtml(r.browser)}（无头模式）</li>
</ul>
<table class="list"><tr><th>结果</th><th>步骤</th><th>所属验证项</th></tr>
${steps}
</table>
<h2>附：前端密钥扫描清单</h2>
<p class="meta">共扫描 ${t.responses} 个应答（HTML ${t.byCategory.html}、脚本 ${t.byCategory.script}、样式 ${t.byCategory.style}、JSON ${t.byCategory.json}、其他 ${t.byCategory.other}），正文 ${t.bodyBytes} 字节、响应头 ${t.headerBytes} 字节；Cookie ${r.scan.cookies.length} 个；Web 存储 ${r.scan.storage.length} 份；页面 DOM ${r.scan.dom.length} 份。${
    r.scan.secretKnown ? `client_secret 的值取自 ${escapeHtml(r.scan.secretSource ?? '')}（报告中不出现该值）。` : '未提供 client_secret 的值，只按关键字和令牌形状扫描。'
  }</p>
${findings}
<table class="list"><tr><th>方法</th><th>地址</th><th>状态</th><th>类型</th><th>正文字节</th><th>响应头字节</th></tr>
${responses}
</table>
<ul class="meta">
${r.scan.cookies.map((c) => `<li>Cookie ${escapeHtml(c.name)}（${escapeHtml(c.domain)}，${c.bytes} 字节）</li>`).join('\n')}
${r.scan.storage.map((s) => `<li>${s.area}（${escapeHtml(s.origin)}）：${s.keys} 项，${s.bytes} 字节</li>`).join('\n')}
${r.scan.dom.map((d) => `<li>页面 DOM ${escapeHtml(d.url)}：${d.bytes} 字节</li>`).join('\n')}
</ul>`;
  return printablePage(REPORT_TITLE, body, REPORT_CSS);
}

const REPORT_CSS = 'col.n{width:7%}col.f{width:11%}col.c{width:30%}col.r{width:10%}col.m{width:42%}.center{text-align:center}h2{font-size:12pt;margin-top:8mm}';

export function renderReportJson(r: GoLiveReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
