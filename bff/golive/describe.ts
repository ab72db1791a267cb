/**
 * The description file for the Appendix A form (表A.1): what configuration cannot know.
 *
 * Everything is validated with zod; every problem names the field, e.g.
 * `describe.json: contact.email: must be an e-mail address`.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { GoLiveError } from './cli-support.ts';

const requiredOr = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message);

const text = (max = 200) =>
  z
    .string({ error: requiredOr('must be a string') })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` });

const httpUrl = z.string({ error: requiredOr('must be an absolute http(s) URL') }).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must be an absolute http(s) URL' });
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' });
});

const phone = z
  .string({ error: requiredOr('must be a string') })
  .trim()
  .regex(/^[0-9+()\- ]{5,30}$/, { error: 'must be a telephone number such as 020-83133000 or 13800138000' });

const email = z
  .string({ error: requiredOr('must be a string') })
  .trim()
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { error: 'must be an e-mail address' })
  .max(120, { error: 'must be at most 120 characters' });

const perEnvironment = z.strictObject({ test: httpUrl.optional(), production: httpUrl.optional() });

export const describeSchema = z.strictObject({
  /** 业务系统名称 */
  systemName: text(),
  /** 业务单位名称: the full name on the unit's seal (填表说明 1). */
  unit: text(),
  /** 单位联系人 / 单位联系人电话 / 单位联系人邮箱 */
  contact: z.strictObject({ name: text(50), phone, email }, { error: requiredOr('must be an object { name, phone, email }') }),
  /** 申请时间; left blank on the form when absent. */
  appliedAt: text(40).optional(),
  /** 系统概述 */
  overview: text(2000),
  /** 业务应用场景: how the system uses the provincial login. */
  scenario: text(2000),
  /** 业务系统首页地址 (test / production) */
  homepage: perEnvironment.default({}),
  /** 业务系统回调地址 (test / production); the one for the configured environment must equal GD_REDIRECT_URI. */
  callback: perEnvironment.default({}),
  /** 系统开发商 / 开发商联系人 / 联系电话 */
  developer: z.strictObject({ name: text(), contact: text(50), phone }, { error: requiredOr('must be an object { name, contact, phone }') }),
  /** 备注 */
  remarks: text(2000).optional(),
});

export type Description = z.output<typeof describeSchema>;

function issueLine(source: string, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '');
  const message =
    issue.code === 'unrecognized_keys' ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
  return `${source}: ${path ? `${path}: ` : ''}${message}`;
}

/** Validates a parsed description; every problem on its own line, naming the field. */
export function parseDescription(json: unknown, source = 'describe.json'): Description {
  const parsed = describeSchema.safeParse(json);
  if (!parsed.success) throw new GoLiveError('bad_description', parsed.error.issues.map((i) => issueLine(source, i)).join('\n'));
  return parsed.data;
}

export async function readDescription(file: string): Promise<Description> {
  const source = basename(file);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    throw new GoLiveError('bad_description', `${file}: cannot read the description file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new GoLiveError('bad_description', `${source}: not valid JSON (${(error as Error).message})`);
  }
  return parseDescription(json, source);
}
