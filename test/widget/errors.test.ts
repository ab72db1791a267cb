import { ERROR_CODES } from '../../bff/error-codes.ts';
import { LOCAL_ERRORS } from '../../widget/messages.ts';
import {
  advanceClock,
  assert,
  clearCookies,
  deepEqual,
  equal,
  eventsOf,
  expectNoAxeViolations,
  login,
  mount,
  settled,
  text,
  unmountAll,
  waitFor,
} from './helpers.ts';

describe('<gd-staff-login> errors', () => {
  beforeEach(clearCookies);
  afterEach(unmountAll);

  it('keeps its own texts (shown without a BFF answer) equal to the catalogue', () => {
    for (const [code, text] of Object.entries(LOCAL_ERRORS)) deepEqual(text, ERROR_CODES[code as keyof typeof LOCAL_ERRORS].message);
  });

  it('says the BFF cannot be reached (network failure) and retries on request', async () => {
    const m = mount({ base: '/down/auth' });
    await settled(m, 'error');
    equal(text(m.$('[part~=error]')), ERROR_CODES.bff_unreachable.message['zh-CN']);
    equal(m.$('[part~=error]')!.getAttribute('role'), 'alert');
    deepEqual(eventsOf(m, 'gd-login-error'), [{ code: 'bff_unreachable', message: ERROR_CODES.bff_unreachable.message['zh-CN'] }]);
    deepEqual(m.el.error, { code: 'bff_unreachable', message: ERROR_CODES.bff_unreachable.message['zh-CN'] });
    const retry = m.$('[part~=retry-button]')!;
    equal(text(retry), '重试');
    equal(m.$('[part~=login-button]'), null, 'no login button while the BFF is away');
    await expectNoAxeViolations(m.el, 'error: unreachable');
    // The BFF "comes back": the retry asks again and lands logged out.
    m.el.base = '/auth';
    retry.click();
    await settled(m, 'logged-out');
    equal(m.$('[part~=error]'), null);
  });

  it('treats a proxy’s HTML 5xx as unreachable too, in English', async () => {
    const m = mount({ base: '/broken/auth', lang: 'en' });
    await settled(m, 'error');
    equal(text(m.$('[part~=error]')), ERROR_CODES.bff_unreachable.message.en);
    equal(text(m.$('[part~=retry-button]')), 'Retry');
    equal(m.el.error?.code, 'bff_unreachable');
  });

  it('reports a failed callback once: the Table 2 error in the user’s language, with the login button', async () => {
    // A real platform error: the callback brings a code the platform never issued, so the token
    // endpoint answers "Invalid authorization code" and the BFF keeps that for /me.
    const result = await login({ tamperCode: true });
    equal(result.landedOn, '/');
    const m = mount();
    await settled(m, 'error');
    const message = ERROR_CODES.invalid_authorization_code.message['zh-CN'];
    equal(text(m.$('[part~=error]')), message);
    deepEqual(eventsOf(m, 'gd-login-error'), [{ code: 'invalid_authorization_code', message }]);
    assert(m.$('[part~=login-button]'), 'retry is logging in again');
    await expectNoAxeViolations(m.el, 'error: login failed');
    m.el.lang = 'en';
    await m.el.updateComplete;
    equal(text(m.$('[part~=error]')), ERROR_CODES.invalid_authorization_code.message.en);
    // Reported once: asking again finds a plain logged-out state.
    await m.el.refresh();
    await settled(m, 'logged-out');
  });

  it('notices an expired session when the page becomes visible: gd-logout(expired), then the login button', async () => {
    await login();
    const m = mount();
    await settled(m, 'logged-in');
    // Past the idle and absolute timeouts. The BFF's clock stays ahead from here on, which is
    // harmless: every later session is created and checked on that same clock.
    await advanceClock(9 * 60 * 60 * 1000);
    document.dispatchEvent(new Event('visibilitychange'));
    await waitFor(() => eventsOf(m, 'gd-logout').length, 'gd-logout');
    deepEqual(eventsOf(m, 'gd-logout'), [{ reason: 'expired' }]);
    await settled(m, 'error');
    equal(text(m.$('[part~=error]')), ERROR_CODES.session_expired.message['zh-CN']);
    equal(m.el.error?.code, 'session_expired');
    equal(text(m.$('[part~=login-button]')), '政务人员统一身份认证登录');
    equal(m.el.user, null);
    equal(eventsOf(m, 'gd-login-error').length, 0, 'expiry is a logout, not a login error');
    await expectNoAxeViolations(m.el, 'error: session expired');
  });

  it('re-checks quietly with /me?touch=0 on visibility, keeping the view when nothing changed', async () => {
    await login();
    const m = mount();
    await settled(m, 'logged-in');
    const seen: string[] = [];
    const observer = new PerformanceObserver((list) => seen.push(...list.getEntries().map((e) => e.name)));
    observer.observe({ type: 'resource', buffered: false });
    document.dispatchEvent(new Event('visibilitychange'));
    await waitFor(() => seen.some((url) => url.endsWith('/auth/me?touch=0')), '/me?touch=0 request');
    observer.disconnect();
    equal(m.el.state, 'logged-in');
    deepEqual(
      eventsOf(m, 'gd-state-change').map((d) => (d as { state: string }).state),
      ['logged-in'],
      'no checking flash',
    );
    equal(eventsOf(m, 'gd-login').length, 1, 'the same user is not announced twice');
  });
});
