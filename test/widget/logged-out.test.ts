import { sendKeys } from '@web/test-runner-commands';
import {
  clearCookies,
  deepActiveElement,
  deepEqual,
  equal,
  eventsOf,
  expectNoAxeViolations,
  assert,
  login,
  mount,
  settled,
  text,
  unmountAll,
} from './helpers.ts';

describe('<gd-staff-login> before login', () => {
  beforeEach(clearCookies);
  afterEach(unmountAll);

  it('shows a neutral busy state, never the login button, while the first /me is in flight', async () => {
    const m = mount({ base: '/slow/auth' });
    await m.el.updateComplete;
    equal(m.el.state, 'checking');
    assert(m.$('[part~=skeleton]'), 'skeleton shown');
    equal(m.$('[part~=login-button]'), null, 'no login button while checking');
    equal(text(m.$('[role=status]')), '正在检查登录状态');
    await expectNoAxeViolations(m.el, 'checking');
    await settled(m);
    equal(m.el.state, 'logged-out');
  });

  it('shows the platform login button in zh-CN by default, with no axe violations', async () => {
    const m = mount();
    await settled(m);
    equal(m.el.state, 'logged-out');
    equal(m.el.user, null);
    const button = m.$('[part~=login-button]')!;
    equal(text(button), '政务人员统一身份认证登录');
    equal(m.$('[part~=base]')!.getAttribute('lang'), 'zh-CN');
    deepEqual(eventsOf(m, 'gd-state-change'), [{ state: 'logged-out', previous: 'checking' }]);
    assert(m.events.every((e) => e.bubbles && e.composed), 'events bubble and are composed');
    await expectNoAxeViolations(m.el, 'logged out');
  });

  it('speaks English with lang="en" and follows lang changes', async () => {
    const m = mount({ lang: 'en' });
    await settled(m);
    equal(text(m.$('[part~=login-button]')), 'Log in with Guangdong staff ID');
    equal(m.$('[part~=base]')!.getAttribute('lang'), 'en');
    m.el.lang = 'zh-CN';
    await m.el.updateComplete;
    equal(text(m.$('[part~=login-button]')), '政务人员统一身份认证登录');
  });

  it('takes its button text from `label` or the logged-out slot', async () => {
    const labelled = mount({ label: '统一身份认证登录' });
    await settled(labelled);
    equal(text(labelled.$('[part~=login-button]')), '统一身份认证登录');
    const slotted = mount({}, '<span slot="logged-out">用粤政易登录</span>');
    await settled(slotted);
    const slot = slotted.$<HTMLSlotElement>('slot[name=logged-out]')!;
    equal(text(slot.assignedElements()[0]), '用粤政易登录');
  });

  it('sends the page to {base}/login with the current path as returnTo, and stays "logging-in"', async () => {
    const m = mount();
    await settled(m);
    m.$('[part~=login-button]')!.click();
    await m.el.updateComplete;
    equal(m.el.state, 'logging-in');
    deepEqual(m.navigations, [`/auth/login?returnTo=${encodeURIComponent(location.pathname + location.search)}`]);
    equal(m.$('[part~=login-button]')!.getAttribute('aria-disabled'), 'true');
    assert(m.$('[part~=spinner]'), 'spinner while leaving');
    equal(text(m.$('[role=status]')), '正在前往统一身份认证');
    m.$('[part~=login-button]')!.click();
    equal(m.navigations.length, 1, 'a second click does not navigate again');
    deepEqual(eventsOf(m, 'gd-state-change').at(-1), { state: 'logging-in', previous: 'logged-out' });
  });

  it('uses return-to and base as given', async () => {
    const m = mount({ 'return-to': '/cases?id=7', base: '/auth/' });
    await settled(m);
    m.el.login();
    deepEqual(m.navigations, ['/auth/login?returnTo=%2Fcases%3Fid%3D7']);
  });

  it('logs in by keyboard alone, through the real BFF and sandbox', async () => {
    const before = document.createElement('button');
    before.textContent = 'before';
    document.body.prepend(before);
    try {
      const m = mount({ 'return-to': '/after-login' });
      await settled(m);
      before.focus();
      await sendKeys({ press: 'Tab' });
      equal(deepActiveElement(), m.$('[part~=login-button]'), 'Tab reaches the login button');
      await sendKeys({ press: 'Enter' });
      equal(m.el.state, 'logging-in');
      equal(m.navigations.length, 1);
      // The page "goes" where the widget sent it: the platform's form, then back to returnTo.
      const result = await login({ start: m.navigations[0] });
      equal(result.landedOn, '/after-login');
      await m.el.refresh();
      await settled(m, 'logged-in');
      equal(m.el.user?.name, '张伟');
      equal(m.el.user?.org, '广东省政务服务和数据管理局');
      equal((eventsOf(m, 'gd-login')[0] as { account: string }).account, 'zhangwei');
      equal(text(m.$('[part~=menu-button] [part~=label]')), '张伟');
    } finally {
      before.remove();
    }
  });

  it('reflects size, variant and theme and takes CSS custom properties', async () => {
    const m = mount({ size: 'large', variant: 'outline', theme: 'dark' });
    await settled(m);
    const button = m.$('[part~=login-button]')!;
    const base = m.$('[part~=base]')!;
    equal(getComputedStyle(base).fontSize, `${parseFloat(getComputedStyle(document.body).fontSize) * 1.125}px`, 'large = 1.125em');
    equal(getComputedStyle(button).backgroundColor, 'rgba(0, 0, 0, 0)', 'outline has no fill');
    equal(getComputedStyle(button).color, 'rgb(138, 180, 248)', 'dark theme primary');
    m.el.style.setProperty('--gd-login-color-primary', 'rgb(1, 2, 3)');
    equal(getComputedStyle(button).color, 'rgb(1, 2, 3)', 'host custom property wins');
    const filled = mount();
    await settled(filled);
    equal(getComputedStyle(filled.$('[part~=login-button]')!).backgroundColor, 'rgb(18, 86, 168)', 'government blue by default');
    await expectNoAxeViolations(m.el, 'outline dark');
  });
});
