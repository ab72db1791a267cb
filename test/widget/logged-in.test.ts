import { sendKeys, sendMouse } from '@web/test-runner-commands';
import {
  assert,
  clearCookies,
  deepActiveElement,
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
  type Mounted,
} from './helpers.ts';

async function loggedIn(lang?: string, children = ''): Promise<Mounted> {
  await clearCookies();
  await login();
  const m = mount(lang ? { lang } : {}, children);
  await settled(m, 'logged-in');
  return m;
}

const items = (m: Mounted) => m.$$('[role=menuitem]').map((el) => text(el));

describe('<gd-staff-login> logged in', () => {
  afterEach(unmountAll);

  it('shows the name, the organisation on hover, and fires gd-login with the allow-listed user', async () => {
    const m = await loggedIn();
    const trigger = m.$('[part~=menu-button]')!;
    equal(text(trigger.querySelector('[part~=label]')), '张伟');
    equal(trigger.getAttribute('title'), '广东省政务服务和数据管理局 · 数据资源处');
    equal(trigger.getAttribute('aria-haspopup'), 'menu');
    equal(trigger.getAttribute('aria-expanded'), 'false');
    const users = eventsOf(m, 'gd-login') as Array<Record<string, unknown>>;
    equal(users.length, 1);
    equal(users[0]!.name, '张伟');
    equal(users[0]!.id, 'gd-4400-000001');
    assert(!('password' in users[0]!), 'nothing beyond the allow-list');
    equal(m.el.state, 'logged-in');
  });

  it('opens the menu with the keyboard and follows the WAI-ARIA menu button pattern', async () => {
    const m = await loggedIn();
    const trigger = m.$('[part~=menu-button]')!;
    trigger.focus();
    await sendKeys({ press: 'Enter' });
    await m.el.updateComplete;
    equal(trigger.getAttribute('aria-expanded'), 'true');
    assert(!m.$('[part~=popup]')!.hidden, 'popup shown');
    deepEqual(items(m), ['账号管理', '绑定本地账号', '退出']);
    const menuItems = m.$$('[role=menuitem]');
    equal(deepActiveElement(), menuItems[0], 'Enter focuses the first item');
    deepEqual(menuItems.map((el) => el.tabIndex), [0, -1, -1], 'roving tabindex');
    await sendKeys({ press: 'ArrowDown' });
    equal(deepActiveElement(), menuItems[1]);
    deepEqual(menuItems.map((el) => el.tabIndex), [-1, 0, -1]);
    await sendKeys({ press: 'End' });
    equal(deepActiveElement(), menuItems[2]);
    await sendKeys({ press: 'ArrowDown' });
    equal(deepActiveElement(), menuItems[0], 'ArrowDown wraps to the first');
    await sendKeys({ press: 'ArrowUp' });
    equal(deepActiveElement(), menuItems[2], 'ArrowUp wraps to the last');
    await sendKeys({ press: 'Home' });
    equal(deepActiveElement(), menuItems[0]);
    equal(text(m.$('[part~=user-name]')), '张伟');
    equal(text(m.$('[part~=user-org]')), '广东省政务服务和数据管理局 · 数据资源处');
    await expectNoAxeViolations(m.el, 'menu open');
    await sendKeys({ press: 'Escape' });
    await m.el.updateComplete;
    equal(trigger.getAttribute('aria-expanded'), 'false');
    assert(m.$('[part~=popup]')!.hidden, 'popup hidden');
    equal(deepActiveElement(), trigger, 'Escape returns focus to the button');
    await sendKeys({ press: 'ArrowUp' });
    await m.el.updateComplete;
    equal(deepActiveElement(), m.$$('[role=menuitem]').at(-1), 'ArrowUp opens on the last item');
  });

  it('lets Tab leave the menu, closing it', async () => {
    const m = await loggedIn();
    const after = document.createElement('button');
    after.textContent = 'after';
    document.body.append(after);
    try {
      m.$('[part~=menu-button]')!.focus();
      await sendKeys({ press: 'ArrowDown' });
      await m.el.updateComplete;
      await sendKeys({ press: 'Tab' });
      await m.el.updateComplete;
      assert(m.$('[part~=popup]')!.hidden, 'menu closed');
      equal(document.activeElement, after, 'focus moved on past the widget');
    } finally {
      after.remove();
    }
  });

  it('closes the menu on a click outside', async () => {
    const m = await loggedIn();
    m.$('[part~=menu-button]')!.click();
    await m.el.updateComplete;
    assert(!m.$('[part~=popup]')!.hidden);
    await sendMouse({ type: 'click', position: [window.innerWidth - 5, window.innerHeight - 5] });
    await m.el.updateComplete;
    assert(m.$('[part~=popup]')!.hidden);
  });

  it('takes extra menu items from the menu-items slot into the keyboard navigation', async () => {
    const m = await loggedIn(undefined, '<a slot="menu-items" href="#profile">个人设置</a>');
    m.$('[part~=menu-button]')!.focus();
    await sendKeys({ press: 'ArrowUp' });
    await m.el.updateComplete;
    const extra = m.el.querySelector('a')!;
    equal(extra.getAttribute('role'), 'menuitem');
    await sendKeys({ press: 'ArrowUp' });
    equal(deepActiveElement(), extra, 'the slotted item sits before 退出');
    await expectNoAxeViolations(m.el, 'menu with slotted item');
  });

  it('account management navigates to {base}/manage, which the BFF sends to the platform', async () => {
    const m = await loggedIn();
    m.$('[part~=menu-button]')!.click();
    await m.el.updateComplete;
    m.$('[part~=manage-item]')!.click();
    deepEqual(m.navigations, ['/auth/manage']);
    const answer = await fetch('/auth/manage', { redirect: 'manual' });
    equal(answer.type, 'opaqueredirect', '/auth/manage redirects (to the platform manage/userinfo)');
  });

  it('logs out by keyboard: POST /logout, gd-logout(user), then through the platform logout', async () => {
    const m = await loggedIn('en');
    deepEqual(items(m), ['Manage account', 'Link local account', 'Log out']);
    m.$('[part~=menu-button]')!.focus();
    await sendKeys({ press: 'ArrowUp' });
    await m.el.updateComplete;
    equal(text(deepActiveElement()), 'Log out');
    await sendKeys({ press: 'Enter' });
    await m.el.updateComplete;
    equal(m.el.state, 'logging-out');
    equal(text(m.$('[role=status]')), 'Logging out');
    await waitFor(() => eventsOf(m, 'gd-logout').length, 'gd-logout');
    deepEqual(eventsOf(m, 'gd-logout'), [{ reason: 'user' }]);
    equal(m.navigations.length, 1);
    const logoutUrl = new URL(m.navigations[0]!);
    equal(logoutUrl.pathname, '/oauth/logout', 'the platform logout (7.1.1 d)');
    equal(logoutUrl.hostname, '127.0.0.1', 'on the platform host');
    equal(m.el.user, null);
    const me = await fetch('/auth/me');
    equal(me.status, 401, 'the local session is gone');
    deepEqual(eventsOf(m, 'gd-state-change').slice(-1), [{ state: 'logging-out', previous: 'logged-in' }]);
  });

  it('logout() does nothing unless logged in', async () => {
    await clearCookies();
    const m = mount();
    await settled(m, 'logged-out');
    await m.el.logout();
    equal(m.el.state, 'logged-out');
    equal(m.navigations.length, 0);
  });
});
