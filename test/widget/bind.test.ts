import { sendKeys } from '@web/test-runner-commands';
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

// A platform account of its own, so binding here never meets another file's state.
const ACCOUNT = 'lina';

async function loggedIn(lang?: string): Promise<Mounted> {
  await clearCookies();
  await login({ account: ACCOUNT });
  const m = mount(lang ? { lang } : {});
  await settled(m, 'logged-in');
  return m;
}

async function openBindDialog(m: Mounted): Promise<HTMLDialogElement> {
  m.$('[part~=menu-button]')!.focus();
  await sendKeys({ press: 'ArrowDown' });
  await m.el.updateComplete;
  await sendKeys({ press: 'ArrowDown' });
  equal(text(deepActiveElement()), m.el.lang === 'en' ? 'Link local account' : '绑定本地账号');
  await sendKeys({ press: 'Enter' });
  const dialog = m.$<HTMLDialogElement>('dialog')!;
  await waitFor(() => dialog.open, 'dialog open');
  return dialog;
}

async function type(value: string): Promise<void> {
  await sendKeys({ type: value });
}

describe('<gd-staff-login> binding a local account', () => {
  afterEach(unmountAll);

  it('binds by keyboard: dialog, inline error from the code, success, then unbinds', async () => {
    const m = await loggedIn();
    const dialog = await openBindDialog(m);
    equal(dialog.getAttribute('aria-labelledby'), 'bind-title');
    equal(text(m.$('#bind-title')), '绑定本地账号');
    const [username, password] = m.$$<HTMLInputElement>('[part~=input]');
    equal(deepActiveElement(), username, 'focus starts in the username field');
    await expectNoAxeViolations(m.el, 'bind dialog open');

    // Wrong password: the BFF answers invalid_local_credentials; the text comes from the catalogue.
    await type('lisi.local');
    await sendKeys({ press: 'Tab' });
    equal(deepActiveElement(), password);
    await type('wrong-password');
    await sendKeys({ press: 'Enter' });
    const error = m.$('[part~=dialog-error]')!;
    await waitFor(() => !error.hidden, 'inline error');
    equal(text(error), '本地账号或密码错误。');
    equal(error.getAttribute('role'), 'alert');
    equal(username!.getAttribute('aria-invalid'), 'true');
    assert(dialog.open, 'the dialog stays open');
    await expectNoAxeViolations(m.el, 'bind dialog with error');

    // Right password.
    password!.value = '';
    password!.focus();
    await type('Local@2026');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => !dialog.isConnected || !dialog.open, 'dialog closed');
    await m.el.updateComplete;
    equal(deepActiveElement(), m.$('[part~=menu-button]'), 'focus returns to the menu button');
    equal(text(m.$('[part~=local-account]')), '已绑定本地账号：李四（业务系统账号）');
    const me = await (await fetch('/auth/me')).json();
    equal(me.bound, true, 'the BFF has the binding');
    equal(me.localAccount.username, 'lisi.local');

    // The menu now offers unbinding; doing it restores the bind item.
    m.$('[part~=menu-button]')!.click();
    await m.el.updateComplete;
    deepEqual(
      m.$$('[role=menuitem]').map((el) => text(el)),
      ['账号管理', '解除绑定', '退出'],
    );
    m.$('[part~=unbind-item]')!.click();
    await waitFor(() => m.$('[part~=local-account]') === null, 'unbound');
    equal((await (await fetch('/auth/me')).json()).bound, false);
  });

  it('cancels with Escape, returning focus to the menu button (English)', async () => {
    const m = await loggedIn('en');
    const dialog = await openBindDialog(m);
    equal(text(m.$('#bind-title')), 'Link local account');
    equal(text(m.$('[part~=dialog-actions]')), 'Cancel Link');
    await type('someone');
    await sendKeys({ press: 'Escape' });
    await waitFor(() => !dialog.open, 'dialog closed');
    equal(deepActiveElement(), m.$('[part~=menu-button]'));
    equal(m.$$<HTMLInputElement>('[part~=input]')[0]!.value, '', 'the form is cleared');
  });

  it('shows the catalogue text in English for a wrong local password', async () => {
    const m = await loggedIn('en');
    await openBindDialog(m);
    await type('lisi.local');
    await sendKeys({ press: 'Tab' });
    await type('nope');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => !m.$('[part~=dialog-error]')!.hidden, 'inline error');
    equal(text(m.$('[part~=dialog-error]')), 'Wrong local username or password.');
  });

  it('treats a 401 on /bind as the end of the session: gd-logout(expired), login button', async () => {
    const m = await loggedIn();
    await openBindDialog(m);
    await clearCookies(); // the session is gone by the time the user submits
    await type('lisi.local');
    await sendKeys({ press: 'Tab' });
    await type('Local@2026');
    await sendKeys({ press: 'Enter' });
    await waitFor(() => eventsOf(m, 'gd-logout').length, 'gd-logout');
    deepEqual(eventsOf(m, 'gd-logout'), [{ reason: 'expired' }]);
    await settled(m, 'error');
    equal(text(m.$('[part~=error]')), '登录已超时，请重新登录。');
    assert(m.$('[part~=login-button]'), 'the login button is back');
    equal(m.el.user, null);
  });
});
