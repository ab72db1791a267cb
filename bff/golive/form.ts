/**
 * `gd-staff-login form --describe FILE [--out DIR] [--env test|production]`
 *
 * Fills the Appendix A access-application form (表A.1 广东省政务人员统一身份认证子平台接入申请表)
 * from the BFF configuration (the same variables as the BFF, through `resolveConfig`) and a
 * description file, and writes it as Markdown and as a printable HTML page. Fields only a person
 * can supply (the seal, the date when not given) stay visibly blank.
 *
 * It refuses, rather than print a form the platform would reject at `authorize` with
 * "Invalid redirect" (Table 2): a production callback URL that is not https, and a callback URL
 * for the configured environment that differs from the BFF's GD_REDIRECT_URI.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig, ConfigError, ENV_NAMES, type BffConfig } from '../config.ts';
import { GoLiveError, defaultIo, usageError, writeOutputs, type CommandIo } from './cli-support.ts';
import { readDescription, type Description } from './describe.ts';
import { MD_BLANK, escapeHtml, htmlBlank, mdCell, printablePage } from './html.ts';

export type Environment = 'test' | 'production';

export const FORM_TITLE = '表A.1 广东省政务人员统一身份认证子平台接入申请表';

/** Where a value on the form came from (listed under the form, so a reviewer can trace it). */
export type Source = 'description' | 'config' | 'blank';

export interface FormValue {
  value: string | undefined;
  source: Source;
  /** For `config`: the variable it came from. */
  variable?: string;
}

export interface ApplicationForm {
  environment: Environment;
  systemName: string;
  unit: string;
  contact: Description['contact'];
  appliedAt: FormValue;
  overview: string;
  scenario: string;
  homepage: Record<Environment, FormValue>;
  callback: Record<Environment, FormValue>;
  developer: Description['developer'];
  remarks: FormValue;
}

/** The BFF's environment: development mode runs against the platform's test environment. */
export function environmentOf(config: BffConfig): Environment {
  return config.mode === 'production' ? 'production' : 'test';
}

const ENV_ZH: Record<Environment, string> = { test: '测试环境', production: '生产环境' };

/**
 * Builds the form and applies the refusals.
 * @throws GoLiveError `callback_not_https` or `callback_mismatch`.
 */
export function buildApplicationForm(config: BffConfig, d: Description, environment: Environment = environmentOf(config)): ApplicationForm {
  const redirectUri = config.redirectUri.href;
  const fromDescription = (value: string | undefined): FormValue => (value ? { value, source: 'description' } : { value: undefined, source: 'blank' });

  const callback = { test: fromDescription(d.callback.test), production: fromDescription(d.callback.production) };
  const homepage = { test: fromDescription(d.homepage.test), production: fromDescription(d.homepage.production) };
  if (callback[environment].value === undefined) callback[environment] = { value: redirectUri, source: 'config', variable: ENV_NAMES.redirectUri };
  if (homepage[environment].value === undefined) homepage[environment] = { value: `${config.siteOrigin}/`, source: 'config', variable: ENV_NAMES.redirectUri };

  // The platform compares the callback exactly with the registered one (7.2.1 b, Table 2 "Invalid redirect").
  const configured = callback[environment].value!;
  if (new URL(configured).href !== redirectUri) {
    throw new GoLiveError(
      'callback_mismatch',
      `回调地址与 BFF 配置不一致 / callback URL does not match the BFF: callback.${environment} (${ENV_ZH[environment]}) is ${configured} but ${ENV_NAMES.redirectUri} is ${redirectUri}. ` +
        `The platform refuses a redirect_uri that differs from the form ("Invalid redirect"); make them the same, or pass --env if this configuration is for the other environment.`,
    );
  }
  const production = callback.production.value;
  if (production !== undefined && new URL(production).protocol !== 'https:') {
    throw new GoLiveError(
      'callback_not_https',
      `生产环境回调地址必须使用 https / the production callback URL must use https: callback.production is ${production}. ` +
        `Serve the business system over https and register https://…/auth/callback.`,
    );
  }
  for (const env of ['test', 'production'] as const) {
    const value = callback[env].value;
    if (value !== undefined && new URL(value).hash) {
      throw new GoLiveError('callback_fragment', `callback.${env} must not contain a fragment (#…), RFC 6749 section 3.1.2: ${value}`);
    }
  }

  return {
    environment,
    systemName: d.systemName,
    unit: d.unit,
    contact: d.contact,
    appliedAt: fromDescription(d.appliedAt),
    overview: d.overview,
    scenario: d.scenario,
    homepage,
    callback,
    developer: d.developer,
    remarks: fromDescription(d.remarks),
  };
}

function mdValue(v: FormValue): string {
  return v.value === undefined ? MD_BLANK : mdCell(v.value);
}

function htmlValue(v: FormValue): string {
  return v.value === undefined ? htmlBlank() : escapeHtml(v.value);
}

function sourceNotes(f: ApplicationForm): string[] {
  const notes: string[] = [];
  for (const [label, pair] of [
    ['业务系统回调地址', f.callback],
    ['业务系统首页地址', f.homepage],
  ] as const) {
    for (const env of ['test', 'production'] as const) {
      const v = pair[env];
      if (v.source === 'config') notes.push(`${label}（${ENV_ZH[env]}）取自 BFF 配置 ${v.variable}。`);
    }
  }
  notes.push(`${ENV_ZH[f.environment]}回调地址已核对，与 BFF 配置 ${ENV_NAMES.redirectUri} 完全一致。`);
  return notes;
}

const FILLING_NOTES = [
  '1) 填写的申请单位名称（全称）应与单位公章所使用的名称完全一致，不得使用简称、缩写等。',
  '2) 业务系统回调地址：填写业务系统完成认证后重定向的地址。',
  '3) 单位及开发商联系人、联系人电话、邮箱须填写正确，用于后续对接沟通。',
];

export function renderFormMarkdown(f: ApplicationForm): string {
  const row = (label: string, value: string) => `| ${label} | ${value} |`;
  const envs = (pair: Record<Environment, FormValue>) => `测试环境：${mdValue(pair.test)}<br>生产环境：${mdValue(pair.production)}`;
  return [
    `# ${FORM_TITLE}`,
    '',
    '| 项目 | 填写内容 |',
    '|---|---|',
    row('**申请单位信息**（申请单位填写）', ''),
    row('业务系统名称', mdCell(f.systemName)),
    row('业务单位名称（盖章）', `${mdCell(f.unit)}<br>盖章：${MD_BLANK.replace('待填写', '待盖章')}`),
    row('单位联系人', mdCell(f.contact.name)),
    row('申请时间', mdValue(f.appliedAt)),
    row('单位联系人电话', mdCell(f.contact.phone)),
    row('单位联系人邮箱', mdCell(f.contact.email)),
    row('**业务系统信息**（系统承建单位填写）', ''),
    row('系统概述及业务应用场景描述', `${mdCell(f.overview)}<br>业务场景：${mdCell(f.scenario)}`),
    row('业务系统首页地址', envs(f.homepage)),
    row('业务系统回调地址', envs(f.callback)),
    row('系统开发商', mdCell(f.developer.name)),
    row('开发商联系人', mdCell(f.developer.contact)),
    row('联系电话', mdCell(f.developer.phone)),
    row('备注', f.remarks.value === undefined ? '' : mdCell(f.remarks.value)),
    '',
    '填表说明：',
    '',
    ...FILLING_NOTES.map((n) => `${n}  `),
    '',
    '---',
    '',
    `由 \`gd-staff-login form\` 生成（${ENV_ZH[f.environment]}配置）。`,
    '',
    ...sourceNotes(f).map((n) => `- ${n}`),
    `- 标有“待填写/待盖章”的栏目须人工填写或盖章。`,
    '',
  ].join('\n');
}

export function renderFormHtml(f: ApplicationForm): string {
  const envs = (pair: Record<Environment, FormValue>) => `测试环境：${htmlValue(pair.test)}<br>生产环境：${htmlValue(pair.production)}`;
  const multiline = (text: string) => escapeHtml(text).replace(/\r?\n/g, '<br>');
  const body = `<h1>${escapeHtml(FORM_TITLE)}</h1>
<table class="std" aria-label="${escapeHtml(FORM_TITLE)}">
${COLGROUP}<tr><th colspan="4" class="section" scope="colgroup">申请单位信息（申请单位填写）</th></tr>
<tr><th scope="row">业务系统名称</th><td colspan="3">${escapeHtml(f.systemName)}</td></tr>
<tr><th scope="row">业务单位名称<br>（盖章）</th><td colspan="3">${escapeHtml(f.unit)}<br><span class="stamp">业务单位盖章处</span></td></tr>
<tr><th scope="row">单位联系人</th><td>${escapeHtml(f.contact.name)}</td><th scope="row">申请时间</th><td>${htmlValue(f.appliedAt)}</td></tr>
<tr><th scope="row">单位联系人电话</th><td>${escapeHtml(f.contact.phone)}</td><th scope="row">单位联系人邮箱</th><td>${escapeHtml(f.contact.email)}</td></tr>
<tr><th colspan="4" class="section" scope="colgroup">业务系统信息（系统承建单位填写）</th></tr>
<tr><th scope="row">系统概述及业务应用场景描述</th><td colspan="3">${multiline(f.overview)}<br>业务场景：${multiline(f.scenario)}</td></tr>
<tr><th scope="row">业务系统首页地址</th><td colspan="3">${envs(f.homepage)}</td></tr>
<tr><th scope="row">业务系统回调地址</th><td colspan="3">${envs(f.callback)}</td></tr>
<tr><th scope="row">系统开发商</th><td colspan="3">${escapeHtml(f.developer.name)}</td></tr>
<tr><th scope="row">开发商联系人</th><td>${escapeHtml(f.developer.contact)}</td><th scope="row">联系电话</th><td>${escapeHtml(f.developer.phone)}</td></tr>
<tr><th scope="row">备注</th><td colspan="3">${f.remarks.value === undefined ? '' : multiline(f.remarks.value)}</td></tr>
</table>
<div class="notes">
<p>填表说明：</p>
${FILLING_NOTES.map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}
</div>
<div class="notes meta noprint">
<p>由 gd-staff-login form 生成（${ENV_ZH[f.environment]}配置）。</p>
${sourceNotes(f).map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}
</div>`;
  return printablePage(FORM_TITLE, body, FORM_CSS);
}

/** Column widths by class: the CSP allows only the hashed stylesheet, not style attributes. */
const COLGROUP = '<colgroup><col class="c1"><col class="c2"><col class="c3"><col class="c4"></colgroup>\n';
const FORM_CSS = 'col.c1{width:22%}col.c2{width:28%}col.c3{width:20%}col.c4{width:30%}';

export const FORM_USAGE = `用法 / usage: gd-staff-login form --describe FILE [--out DIR] [--env test|production]

  --describe FILE   描述文件（JSON：系统名称、单位、联系人、概述与场景、首页与回调地址、开发商、备注）
  --out DIR         输出目录（默认 .）：写入 A1-application-form.md 和 A1-application-form.html
  --env ENV         本配置对应的平台环境：test 或 production（默认：GD_MODE=production → production，否则 test）

BFF 配置从环境变量读取（GD_PLATFORM_URL、GD_CLIENT_ID、GD_CLIENT_SECRET、GD_REDIRECT_URI 等，与 BFF 相同）。`;

export interface FormResult {
  form: ApplicationForm;
  files: string[];
}

/** Runs the command; throws GoLiveError / ConfigError for the caller to report. */
export async function runForm(argv: string[], io: CommandIo): Promise<FormResult> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { describe: { type: 'string' }, out: { type: 'string', default: '.' }, env: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw usageError(error, FORM_USAGE);
  }
  if (values.help) throw new GoLiveError('help', FORM_USAGE);
  if (!values.describe) throw new GoLiveError('usage', `--describe FILE is required\n\n${FORM_USAGE}`);
  if (values.env !== undefined && values.env !== 'test' && values.env !== 'production') {
    throw new GoLiveError('usage', `--env must be test or production (got "${values.env}")`);
  }
  const description = await readDescription(resolve(io.cwd ?? process.cwd(), values.describe));
  const config = resolveConfig({}, io.env);
  const form = buildApplicationForm(config, description, values.env as Environment | undefined);
  const files = await writeOutputs(values.out, { 'A1-application-form.md': renderFormMarkdown(form), 'A1-application-form.html': renderFormHtml(form) }, io.cwd);
  return { form, files };
}

/** `gd-staff-login form …`: exit status 0 on success, 1 on a refusal or a configuration error. */
export async function main(argv: string[], io: CommandIo = defaultIo()): Promise<number> {
  try {
    const { files } = await runForm(argv, io);
    io.stdout.write(`已生成 ${FORM_TITLE} / application form written:\n${files.map((f) => `  ${f}\n`).join('')}`);
    return 0;
  } catch (error) {
    if (error instanceof GoLiveError && error.code === 'help') {
      io.stdout.write(`${error.message}\n`);
      return 0;
    }
    if (error instanceof GoLiveError || error instanceof ConfigError) {
      const prefix = error instanceof ConfigError ? '配置错误 / configuration error: ' : '拒绝生成 / refused: ';
      io.stderr.write(`${prefix}${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
