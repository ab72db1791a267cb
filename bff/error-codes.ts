/**
 * The one catalogue of error codes that the BFF reports and the widget shows.
 *
 * Pure data, no imports: the widget bundles it, the BFF uses it for `error_description`.
 * A code is stable forever once published; add new ones, never rename.
 *
 * The first eight are the standard's Table 2 (DB44/T clause 7.2.3); `platformMessage` is the
 * standard's exact English text, which the platform puts at the start of `error_description`.
 */

export interface ErrorText {
  'zh-CN': string;
  en: string;
}

export interface ErrorCodeInfo {
  /** HTTP status the BFF answers with when this error ends a request. */
  status: number;
  /** The standard's own message (Table 2), when the code comes from the platform. */
  platformMessage?: string;
  message: ErrorText;
}

export const ERROR_CODES = {
  // Table 2: authorize
  invalid_redirect: {
    status: 502,
    platformMessage: 'Invalid redirect',
    message: {
      'zh-CN': '回调地址与接入申请登记的不一致（Invalid redirect），请联系系统管理员核对 redirect_uri。',
      en: 'The callback address does not match the registered one (Invalid redirect). Ask the administrator to check redirect_uri.',
    },
  },
  bad_client_credentials: {
    status: 502,
    platformMessage: 'Bad client credentials',
    message: {
      'zh-CN': '省政务认证平台不认可本系统的 client_id（Bad client credentials），请联系系统管理员。',
      en: 'The platform does not recognise this system’s client_id (Bad client credentials). Contact the administrator.',
    },
  },
  // Table 2: token
  invalid_authorization_code: {
    status: 400,
    platformMessage: 'Invalid authorization code',
    message: {
      'zh-CN': '授权码无效或已使用（Invalid authorization code），请重新登录。',
      en: 'The authorization code is invalid or already used (Invalid authorization code). Please log in again.',
    },
  },
  bad_credentials: {
    status: 502,
    platformMessage: 'Bad credentials',
    message: {
      'zh-CN': '本系统的 client_id 或 client_secret 配置有误（Bad credentials），请联系系统管理员。',
      en: 'This system’s client_id or client_secret is wrong (Bad credentials). Contact the administrator.',
    },
  },
  redirect_uri_mismatch: {
    status: 502,
    platformMessage: 'Redirect URI mismatch',
    message: {
      'zh-CN': '回调地址与申请表不一致（Redirect URI mismatch），请联系系统管理员。',
      en: 'The callback address differs from the application form (Redirect URI mismatch). Contact the administrator.',
    },
  },
  missing_grant_type: {
    status: 502,
    platformMessage: 'Missing grant type',
    message: {
      'zh-CN': '向省政务认证平台换取令牌时缺少 grant_type（Missing grant type），请联系系统管理员。',
      en: 'The token request lacked grant_type (Missing grant type). Contact the administrator.',
    },
  },
  unsupported_grant_type: {
    status: 502,
    platformMessage: 'Unsupported grant type',
    message: {
      'zh-CN': '省政务认证平台不支持该 grant_type（Unsupported grant type），请联系系统管理员。',
      en: 'The platform does not support this grant_type (Unsupported grant type). Contact the administrator.',
    },
  },
  invalid_refresh_token: {
    status: 401,
    platformMessage: 'Invalid refresh token',
    message: {
      'zh-CN': '登录凭据已失效（Invalid refresh token），请重新登录。',
      en: 'Your sign-in has expired (Invalid refresh token). Please log in again.',
    },
  },

  // The login transaction (our side of the callback)
  missing_state: {
    status: 400,
    message: {
      'zh-CN': '登录回调缺少 state 参数，请重新登录。',
      en: 'The login callback had no state parameter. Please log in again.',
    },
  },
  invalid_state: {
    status: 400,
    message: {
      'zh-CN': '登录请求已失效或不是从本浏览器发起的，请重新登录。',
      en: 'This login request has expired or did not start in this browser. Please log in again.',
    },
  },
  missing_code: {
    status: 400,
    message: {
      'zh-CN': '登录回调缺少授权码 code，请重新登录。',
      en: 'The login callback had no authorization code. Please log in again.',
    },
  },
  access_denied: {
    status: 400,
    message: {
      'zh-CN': '省政务认证平台未完成授权，请重新登录。',
      en: 'The platform did not grant access. Please log in again.',
    },
  },
  platform_error: {
    status: 502,
    message: {
      'zh-CN': '省政务认证平台返回了错误，请稍后重试。',
      en: 'The platform reported an error. Please try again later.',
    },
  },

  // Reaching the platform
  platform_unreachable: {
    status: 502,
    message: {
      'zh-CN': '无法连接省政务认证平台，请稍后重试。',
      en: 'The platform cannot be reached. Please try again later.',
    },
  },
  platform_timeout: {
    status: 504,
    message: {
      'zh-CN': '省政务认证平台响应超时，请稍后重试。',
      en: 'The platform took too long to answer. Please try again later.',
    },
  },
  platform_unavailable: {
    status: 502,
    message: {
      'zh-CN': '省政务认证平台暂时不可用，请稍后重试。',
      en: 'The platform is temporarily unavailable. Please try again later.',
    },
  },
  platform_bad_response: {
    status: 502,
    message: {
      'zh-CN': '省政务认证平台返回了无法识别的应答，请稍后重试。',
      en: 'The platform sent an answer we could not read. Please try again later.',
    },
  },

  // Sessions and requests to the BFF
  not_authenticated: {
    status: 401,
    message: { 'zh-CN': '尚未登录。', en: 'You are not logged in.' },
  },
  session_expired: {
    status: 401,
    message: {
      'zh-CN': '登录已超时，请重新登录。',
      en: 'Your session has expired. Please log in again.',
    },
  },
  forbidden_request: {
    status: 403,
    message: {
      'zh-CN': '请求被拒绝：缺少防伪请求头或来源不是本站。',
      en: 'Request refused: the anti-forgery header is missing or the request is not from this site.',
    },
  },
  rate_limited: {
    status: 429,
    message: {
      'zh-CN': '操作过于频繁，请稍后再试。',
      en: 'Too many attempts. Please wait and try again.',
    },
  },
  bad_request: {
    status: 400,
    message: {
      'zh-CN': '请求格式不正确。',
      en: 'The request is malformed.',
    },
  },
  not_found: {
    status: 404,
    message: { 'zh-CN': '没有这个接口。', en: 'No such route.' },
  },
  method_not_allowed: {
    status: 405,
    message: { 'zh-CN': '该接口不支持此请求方法。', en: 'This route does not accept that method.' },
  },
  payload_too_large: {
    status: 413,
    message: { 'zh-CN': '请求内容过大。', en: 'The request body is too large.' },
  },
  internal_error: {
    status: 500,
    message: {
      'zh-CN': '登录服务内部错误，请稍后重试；如持续出现请联系系统管理员。',
      en: 'Internal error in the login service. Retry later; if it persists, contact the administrator.',
    },
  },
  store_unavailable: {
    status: 503,
    message: {
      'zh-CN': '会话服务暂时不可用，请稍后重试，您的登录状态不会丢失。',
      en: 'The session service is temporarily unavailable. Please retry shortly; your login is not lost.',
    },
  },

  database_unavailable: {
    status: 503,
    message: {
      'zh-CN': '本地用户库暂时不可用，请稍后重试。',
      en: 'The local user database is temporarily unavailable. Please retry shortly.',
    },
  },

  // Account binding (Appendix B, check 2)
  invalid_local_credentials: {
    status: 400,
    message: {
      'zh-CN': '本地账号或密码错误。',
      en: 'Wrong local username or password.',
    },
  },
  already_bound: {
    status: 409,
    message: {
      'zh-CN': '当前账号已绑定本地账号，请先解除绑定。',
      en: 'This account is already bound to a local account. Unbind it first.',
    },
  },
  local_account_taken: {
    status: 409,
    message: {
      'zh-CN': '该本地账号已被其他政务账号绑定。',
      en: 'That local account is already bound to another platform account.',
    },
  },
  binding_disabled: {
    status: 404,
    message: {
      'zh-CN': '本系统未开启账号绑定。',
      en: 'Account binding is not enabled on this system.',
    },
  },

  // Transport failures seen by the widget itself (never sent by the BFF)
  bff_unreachable: {
    status: 0,
    message: {
      'zh-CN': '无法连接本系统的登录服务，请检查网络后重试。',
      en: 'The login service of this site cannot be reached. Check the network and retry.',
    },
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Table 2 message (exact text at the start of the platform's `error_description`) → our code. */
export const TABLE2_CODES: ReadonlyArray<readonly [message: string, code: ErrorCode]> = (
  Object.entries(ERROR_CODES) as Array<[ErrorCode, ErrorCodeInfo]>
)
  .filter(([, info]) => info.platformMessage !== undefined)
  // Longest first so that "Bad client credentials" wins over "Bad credentials"-style prefixes.
  .map(([code, info]) => [info.platformMessage as string, code] as const)
  .sort((a, b) => b[0].length - a[0].length);
