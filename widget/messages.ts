/**
 * User-visible strings of `<gd-staff-login>` in its two languages.
 *
 * Error texts are not here: they come from the one catalogue, `bff/error-codes.ts`, so the BFF's
 * `error_description` and the widget can never drift apart.
 */
import { ERROR_CODES, isErrorCode } from '../bff/error-codes.ts';

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

/** The catalogue text for an error code, in the given language; unknown codes are named as such. */
export function errorMessage(code: string, lang: GdStaffLoginLang): string {
  return isErrorCode(code) ? ERROR_CODES[code].message[lang] : messages(lang).unknownError + code;
}
