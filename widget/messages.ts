/**
 * User-visible strings of `<gd-staff-login>` in its two languages.
 *
 * Error texts come from the one catalogue, `bff/error-codes.ts`: the BFF sends them with every
 * error (`message` in both languages), so the widget does not carry the catalogue. Only the
 * texts the widget must show without a BFF answer are kept here, and a test checks that they
 * equal the catalogue's.
 */
import type { ErrorText } from '../bff/error-codes.ts';

/** The languages the widget speaks. Anything else falls back to `zh-CN` (`en-*` maps to `en`). */
export type GdStaffLoginLang = 'zh-CN' | 'en';

const zh = {
  login: '政务人员统一身份认证登录',
  checking: '正在检查登录状态',
  loggingIn: '正在前往统一身份认证',
  loggingOut: '正在退出',
  retry: '重试',
  manage: '账号管理',
  bind: '绑定本地账号',
  unbind: '解除绑定',
  logout: '退出',
  boundTo: '已绑定本地账号：',
  username: '用户名',
  password: '密码',
  submit: '绑定',
  cancel: '取消',
  unknownError: '登录服务出错：',
};

export type Messages = typeof zh;

const en: Messages = {
  login: 'Log in with Guangdong staff ID',
  checking: 'Checking your login',
  loggingIn: 'Going to the staff login',
  loggingOut: 'Logging out',
  retry: 'Retry',
  manage: 'Manage account',
  bind: 'Link local account',
  unbind: 'Unlink local account',
  logout: 'Log out',
  boundTo: 'Linked local account: ',
  username: 'Username',
  password: 'Password',
  submit: 'Link',
  cancel: 'Cancel',
  unknownError: 'Login service error: ',
};

/** Normalises any `lang` value to one the widget speaks. */
export function resolveLang(lang: string | null | undefined): GdStaffLoginLang {
  return lang?.toLowerCase().startsWith('en') ? 'en' : 'zh-CN';
}

export function messages(lang: GdStaffLoginLang): Messages {
  return lang === 'en' ? en : zh;
}

/** Errors the widget shows with no BFF answer to take the text from (the BFF is unreachable, or the session ended). */
export const LOCAL_ERRORS: Record<'bff_unreachable' | 'session_expired', ErrorText> = {
  bff_unreachable: {
    'zh-CN': '无法连接本系统的登录服务，请检查网络后重试。',
    en: 'The login service of this site cannot be reached. Check the network and retry.',
  },
  session_expired: {
    'zh-CN': '登录已超时，请重新登录。',
    en: 'Your session has expired. Please log in again.',
  },
};

/** The text for an error: the BFF's (`text`), else the widget's own, else the code named as unknown. */
export function errorMessage(code: string, lang: GdStaffLoginLang, text?: Partial<ErrorText>): string {
  return text?.[lang] ?? LOCAL_ERRORS[code as keyof typeof LOCAL_ERRORS]?.[lang] ?? messages(lang).unknownError + code;
}
