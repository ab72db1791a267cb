import { LitElement, html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import { bffRequest } from './bff-client.ts';
import type { BffErrorBody, GdLocalAccount, GdStaffSession, GdStaffUser } from './bff-client.ts';
import { errorMessage, messages, resolveLang } from './messages.ts';
import type { GdStaffLoginLang, Messages } from './messages.ts';
import type { ErrorText } from '../bff/error-codes.ts';
import { styles } from './styles.ts';

/**
 * Where the widget is in its life:
 * - `checking`: the first `GET /me` is in flight (a neutral placeholder, never the login button);
 * - `logged-out`: the login button;
 * - `logging-in`: the button was pressed and the page is leaving for the platform;
 * - `logged-in`: the user's name and menu;
 * - `logging-out`: `POST /logout` sent, the page is leaving through the platform logout;
 * - `error`: a message and a way on (retry, or the login button).
 */
export type GdStaffLoginState = 'checking' | 'logged-out' | 'logging-in' | 'logged-in' | 'logging-out' | 'error';

/** `gd-login-error` detail: a stable code from `bff/error-codes.ts` and its text in the widget's language. */
export interface GdLoginErrorDetail {
  code: string;
  message: string;
}

/** `gd-logout` detail: `user` after the user logged out, `expired` when the session ended on its own. */
export interface GdLogoutDetail {
  reason: 'user' | 'expired';
}

export interface GdStateChangeDetail {
  state: GdStaffLoginState;
  previous: GdStaffLoginState;
}

/** The events of `<gd-staff-login>`; all bubble and are composed. */
export interface GdStaffLoginEventMap {
  'gd-login': CustomEvent<GdStaffUser>;
  'gd-logout': CustomEvent<GdLogoutDetail>;
  'gd-login-error': CustomEvent<GdLoginErrorDetail>;
  'gd-state-change': CustomEvent<GdStateChangeDetail>;
}

interface ShownError {
  code: string;
  /** The catalogue's text, as the BFF sent it. */
  text?: Partial<ErrorText> | undefined;
  /** true: the way on is asking the BFF again; false: logging in again. */
  retry: boolean;
}

const spinner = html`<span part="spinner" class="spin" aria-hidden="true"></span>`;
const caret = html`<span part="caret" class="caret"></span>`;

/**
 * Staff login for Guangdong government business systems, through the provincial staff identity
 * platform (DB44/T 政务人员统一身份认证). Talks only to the site's own BFF, never sees a token.
 *
 * @tagname gd-staff-login
 * @summary Login button when logged out; the user's name and an account menu when logged in.
 *
 * @attr {string} lang - Language of the text: `zh-CN` (default) or `en` (any `en-*` counts as `en`).
 *
 * @fires {CustomEvent<GdStaffUser>} gd-login - A user is known to be logged in (after `/me`); detail: the allow-listed user.
 * @fires {CustomEvent<GdLogoutDetail>} gd-logout - The user logged out (`reason: 'user'`, fired before leaving the page) or the session ended (`reason: 'expired'`).
 * @fires {CustomEvent<GdLoginErrorDetail>} gd-login-error - An error is shown; detail: stable `code` and `message` in the widget's language.
 * @fires {CustomEvent<GdStateChangeDetail>} gd-state-change - `state` changed; detail: `{ state, previous }`.
 *
 * @slot logged-out - Content of the login button (replaces the label text).
 * @slot menu-items - Extra items for the account menu (links or buttons); they get `role="menuitem"` and join the keyboard navigation.
 *
 * @csspart base - The wrapper of everything the element shows.
 * @csspart skeleton - The neutral placeholder while checking.
 * @csspart button - Every button (login, retry, menu button, dialog buttons).
 * @csspart login-button - The login button.
 * @csspart retry-button - The retry button in the error state.
 * @csspart menu-button - The logged-in button with the user's name.
 * @csspart spinner - The busy indicator.
 * @csspart label - The text of the login and menu buttons.
 * @csspart caret - The menu button's arrow.
 * @csspart error - The error message.
 * @csspart popup - The drop-down holding the user card and the menu.
 * @csspart user-card - Name, organisation and linked account at the top of the popup.
 * @csspart user-name - The name in the user card.
 * @csspart user-org - The organisation and department in the user card.
 * @csspart local-account - The linked local account in the user card.
 * @csspart menu - The menu (`role="menu"`).
 * @csspart menu-item - Each built-in menu item.
 * @csspart logout-item - The 退出 (log out) item; `manage-item`, `bind-item`, `unbind-item` name the others.
 * @csspart dialog - The bind dialog (a native `<dialog>`).
 * @csspart dialog-title - Its heading.
 * @csspart form - Its form.
 * @csspart field - A label with its input.
 * @csspart input - A text or password input.
 * @csspart dialog-error - The inline error in the dialog.
 * @csspart dialog-actions - The row of dialog buttons.
 * @csspart dialog-button - A dialog button.
 *
 * @cssprop [--gd-login-color-primary=#1256a8] - Government blue: filled button background, outline and link colour.
 * @cssprop [--gd-login-color-primary-hover=#0c4283] - Primary colour on hover.
 * @cssprop [--gd-login-color-on-primary=#fff] - Text on the primary colour.
 * @cssprop [--gd-login-color-text=#1f2937] - Text in the menu and dialog.
 * @cssprop [--gd-login-color-muted=#4b5563] - Secondary text (organisation, hints).
 * @cssprop [--gd-login-color-surface=#fff] - Menu and dialog background.
 * @cssprop [--gd-login-color-hover=#e8f0fb] - Hovered or focused menu item, outline button hover.
 * @cssprop [--gd-login-color-border=#c4cdd9] - Menu, dialog and input borders.
 * @cssprop [--gd-login-color-danger=#b42318] - Error text.
 * @cssprop [--gd-login-color-focus=#1256a8] - Focus ring.
 * @cssprop [--gd-login-radius=0.375em] - Corner radius.
 * @cssprop [--gd-login-spacing=0.5em] - Gap between icon, text and buttons.
 * @cssprop [--gd-login-font-family=system-ui, …] - Font family (the size always follows the page).
 * @cssprop --gd-login-shadow - Shadow of the menu and dialog.
 * @cssprop [--gd-login-z-index=1000] - Stacking of the menu.
 */
export class GdStaffLogin extends LitElement {
  static override styles = styles;

  static override properties = {
    base: {},
    returnTo: { attribute: 'return-to' },
    lang: {},
    size: { reflect: true },
    variant: { reflect: true },
    theme: { reflect: true },
    label: {},
  };

  /** Path where the BFF is mounted on this origin. Default `/auth`; call `refresh()` after changing it. */
  declare base: string;
  /** Where to come back after login (a same-origin path); default: the current path and query. */
  declare returnTo: string | undefined;
  /** Look: `filled` (the default, also when unset) or `outline`. */
  declare variant: 'filled' | 'outline' | undefined;
  /** Colour scheme: `light` (the default, also when unset) or `dark`, for dark page headers. */
  declare theme: 'light' | 'dark' | undefined;
  /** `small`, `medium` (the default, also when unset) or `large`, relative to the page's font size. */
  declare size: 'small' | 'medium' | 'large' | undefined;
  /** Text of the login button instead of 政务人员统一身份认证登录. */
  declare label: string | undefined;

  /**
   * Performs every top-level navigation (login, account management, platform logout).
   * Replace it to route through a single-page app's router or, in tests, to stay on the page.
   */
  navigate: (url: string) => void = (url) => location.assign(url);

  // Internal state lives in #private fields (minified away) and re-renders via requestUpdate().
  #state: GdStaffLoginState = 'checking';
  #session: GdStaffSession | null = null;
  #error: ShownError | null = null;
  #open = false;
  #bindError: ShownError | null = null;
  #busy = false;
  /** Counts `/me` requests so that a late answer never overwrites a newer state. */
  #gen = 0;

  constructor() {
    super();
    this.base = '/auth';
    this.lang = 'zh-CN';
  }

  /** The logged-in user (only the fields the BFF allow-lists), or `null`. */
  get user(): GdStaffUser | null {
    return this.#session?.user ?? null;
  }

  /** The current state: `checking`, `logged-out`, `logging-in`, `logged-in`, `logging-out` or `error`. */
  get state(): GdStaffLoginState {
    return this.#state;
  }

  /** The error shown in the `error` state, with its text in the current language, or `null`. */
  get error(): GdLoginErrorDetail | null {
    const e = this.#state === 'error' ? this.#error : null;
    return e && { code: e.code, message: errorMessage(e.code, resolveLang(this.lang), e.text) };
  }

  /** Asks the BFF again who is logged in (`GET /me`). */
  refresh(): Promise<void> {
    return this.#check();
  }

  /** Sends the whole page to the platform login through `{base}/login`, coming back to `return-to`. */
  login(): void {
    this.#gen++;
    this.#set('logging-in');
    const back = this.returnTo ?? location.pathname + location.search;
    this.navigate(`${this.#base}/login?returnTo=${encodeURIComponent(back)}`);
  }

  /**
   * Ends the local session (`POST {base}/logout`), fires `gd-logout`, then sends the page through
   * the platform logout so the platform's own login cookie goes too (DB44/T 7.1.1 d, 5.3).
   */
  async logout(): Promise<void> {
    if (this.#state !== 'logged-in') return;
    this.#gen++;
    this.#close(false);
    this.#set('logging-out');
    const r = await bffRequest<{ logoutUrl?: string }>(this.base, '/logout', true);
    if (r.ok) {
      this.#session = null;
      this.#emit('gd-logout', { reason: 'user' });
      this.navigate(r.data.logoutUrl ?? '/');
    } else this.#failed(r);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('visibilitychange', this.#onVisible);
    void this.#check();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('visibilitychange', this.#onVisible);
  }

  get #base(): string {
    return this.base.replace(/\/+$/, '');
  }

  get #trigger(): HTMLElement | null {
    return this.renderRoot.querySelector('#trigger');
  }

  get #dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  /**
   * `GET /me`. `touch: false` asks the BFF not to extend the idle timer (a re-check is not user
   * activity). A `background` check never shows `checking` and keeps the current view on a
   * network failure.
   */
  async #check(touch = true, background = false): Promise<void> {
    const gen = ++this.#gen;
    if (!background && this.#state !== 'logged-in') this.#set('checking');
    const r = await bffRequest<GdStaffSession>(this.base, touch ? '/me' : '/me?touch=0');
    if (gen !== this.#gen) return;
    if (r.ok) {
      const previous = this.#session?.user.id;
      this.#session = r.data;
      this.#set('logged-in');
      if (previous !== r.data.user.id) this.#emit('gd-login', r.data.user);
    } else if (r.status === 401) {
      const had = this.#session;
      this.#session = null;
      const failed = r.body.loginError;
      if (failed) {
        this.#fail(failed.code, false, failed.message);
      } else if (had || r.code === 'session_expired') {
        this.#error = { code: 'session_expired', retry: false, text: r.code === 'session_expired' ? r.body.message : undefined };
        this.#set('error');
        this.#emit('gd-logout', { reason: 'expired' });
      } else {
        this.#set('logged-out');
      }
    } else if (!background || /^(logging|checking)/.test(this.#state)) {
      this.#fail(r.code, true, r.body.message);
    }
  }

  /** A widget call failed: 401 means the session is gone (re-check quietly), anything else is shown. */
  #failed(r: { status: number; code: string; body: BffErrorBody }): void {
    if (r.status === 401) void this.#check(false, true);
    else this.#fail(r.code, true, r.body.message);
  }

  #fail(code: string, retry: boolean, text?: Partial<ErrorText>): void {
    this.#error = { code, retry, text };
    this.#set('error');
    this.#emit('gd-login-error', this.error!);
  }

  #set(state: GdStaffLoginState): void {
    const previous = this.#state;
    this.#open = false;
    this.requestUpdate();
    if (state === previous) return;
    this.#state = state;
    this.#emit('gd-state-change', { state, previous });
  }

  #emit<K extends keyof GdStaffLoginEventMap>(type: K, detail: GdStaffLoginEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /**
   * Back on the page: has the session ended meanwhile (or started in another tab)? This also
   * resets a page restored from the back/forward cache after leaving for the platform, which
   * would otherwise still say "logging in". A shown login error stays until the user acts.
   */
  #onVisible = (): void => {
    if (document.visibilityState === 'visible' && this.#state !== 'checking' && (this.#state !== 'error' || this.#error?.retry)) {
      void this.#check(false, true);
    }
  };

  /** Focus left the menu for somewhere outside the element (a click elsewhere, another window). */
  #onFocusOut(e: FocusEvent): void {
    const to = e.relatedTarget as Node | null;
    if (!to || !(this.renderRoot.contains(to) || this.contains(to))) this.#close(false);
  }

  #onLoginClick(): void {
    if (this.#state !== 'logging-in') this.login();
  }

  // The WAI-ARIA APG menu button pattern: https://www.w3.org/WAI/ARIA/apg/patterns/menu-button/

  /** The menu's items in order, slotted ones included. */
  #items(): HTMLElement[] {
    const items: HTMLElement[] = [];
    for (const el of this.renderRoot.querySelector('#menu')?.children ?? []) {
      if (el instanceof HTMLSlotElement) items.push(...(el.assignedElements({ flatten: true }) as HTMLElement[]));
      else if (el.getAttribute('role') === 'menuitem') items.push(el as HTMLElement);
    }
    return items;
  }

  /** Roving tabindex: only the focused item is in the tab order. Negative counts from the end. */
  #focusItem(index: number): void {
    const items = this.#items();
    const n = items.length;
    const i = (index + n) % n;
    items.forEach((el, j) => (el.tabIndex = j === i ? 0 : -1));
    items[i]?.focus();
  }

  async #openMenu(index: number): Promise<void> {
    if (this.#state !== 'logged-in') return;
    this.#open = true;
    this.requestUpdate();
    await this.updateComplete;
    this.#focusItem(index);
  }

  #close(returnFocus = true): void {
    this.#open = false;
    this.requestUpdate();
    if (returnFocus) this.#trigger?.focus();
  }

  #onTriggerClick(): void {
    if (this.#open) this.#close();
    else void this.#openMenu(0);
  }

  #onTriggerKey(e: KeyboardEvent): void {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      void this.#openMenu(e.key === 'ArrowUp' ? -1 : 0);
    } else if (e.key === 'Escape' && this.#open) {
      this.#close();
    }
  }

  #onMenuKey(e: KeyboardEvent): void {
    const i = this.#items().findIndex((el) => el.contains(e.target as Node));
    const to = ({ ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: -1 } as Record<string, number>)[e.key];
    if (to !== undefined) {
      e.preventDefault();
      this.#focusItem(to);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      this.#close();
    } else if (e.key === 'Tab') {
      // Tab leaves from the menu button's place in the page; the menu closes behind it.
      this.#close();
    }
  }

  /** Any activated item closes the menu (built-in items have run their own action first). */
  #onMenuClick(e: Event): void {
    if (this.#items().some((el) => el.contains(e.target as Node))) this.#close();
  }

  #onSlotChange(e: Event): void {
    for (const el of (e.target as HTMLSlotElement).assignedElements({ flatten: true })) {
      if (!el.hasAttribute('role')) el.setAttribute('role', 'menuitem');
      (el as HTMLElement).tabIndex = -1;
    }
  }

  #manage(): void {
    this.navigate(`${this.#base}/manage`);
  }

  async #openBind(): Promise<void> {
    await this.updateComplete;
    this.#dialog?.showModal();
    this.renderRoot.querySelector('input')?.focus();
  }

  async #unbind(): Promise<void> {
    const r = await bffRequest<{ bound: boolean }>(this.base, '/unbind', true);
    if (r.ok) this.#bound(null);
    else this.#failed(r);
  }

  #bound(localAccount: GdLocalAccount | null): void {
    this.#session = { ...this.#session!, bound: !!localAccount, localAccount };
    this.requestUpdate();
  }

  async #onBindSubmit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    if (this.#busy) return;
    const form = e.target as HTMLFormElement;
    this.#busy = true;
    this.#bindError = null;
    this.requestUpdate();
    const r = await bffRequest<{ localAccount: GdLocalAccount }>(this.base, '/bind', true, Object.fromEntries(new FormData(form)));
    this.#busy = false;
    if (r.ok || r.status === 401) {
      this.#dialog?.close();
      if (r.ok) {
        this.#bound(r.data.localAccount);
        // Once bound, the dialog leaves the DOM with this update, possibly before its `close`
        // event runs: put focus back on the menu button here rather than rely on that event.
        await this.updateComplete;
        this.#trigger?.focus();
      } else this.#failed(r);
    } else {
      this.#bindError = { code: r.code, retry: false, text: r.body.message };
      this.requestUpdate();
      await this.updateComplete;
      form.querySelector('input')?.focus();
    }
  }

  #onDialogClose(): void {
    this.renderRoot.querySelector('form')?.reset();
    this.#bindError = null;
    this.requestUpdate();
    this.#trigger?.focus();
  }

  protected override render(): TemplateResult {
    const lang = resolveLang(this.lang);
    const m = messages(lang);
    const s = this.#state;
    const status = s === 'checking' ? m.checking : s === 'logging-in' ? m.loggingIn : s === 'logging-out' ? m.loggingOut : '';
    return html`<div part="base" class="base" lang=${lang}>
      ${s === 'checking'
        ? html`<span part="skeleton" class="skeleton"></span>`
        : this.#session && (s === 'logged-in' || s === 'logging-out')
          ? this.#renderUser(m, lang, this.#session)
          : this.#renderLoggedOut(m, lang)}
      <span class="sr" role="status">${status}</span>
    </div>`;
  }

  #renderLoggedOut(m: Messages, lang: GdStaffLoginLang): TemplateResult {
    const err = this.#state === 'error' ? this.#error : null;
    const busy = this.#state === 'logging-in';
    return html`${err ? html`<span part="error" class="error" role="alert">${errorMessage(err.code, lang, err.text)}</span>` : nothing}
      ${err?.retry
        ? html`<button part="button retry-button" class="btn" @click=${this.refresh}><span part="label">${m.retry}</span></button>`
        : html`<button part="button login-button" class="btn" aria-disabled=${busy || nothing} @click=${this.#onLoginClick}>
            ${busy ? spinner : nothing}<span part="label"><slot name="logged-out">${this.label || m.login}</slot></span>
          </button>`}`;
  }

  #renderUser(m: Messages, lang: GdStaffLoginLang, s: GdStaffSession): TemplateResult {
    const u = s.user;
    const out = this.#state === 'logging-out';
    const org = [u.org, u.dept].filter(Boolean).join(' · ');
    const item = (part: string, text: string, action: () => unknown) =>
      html`<button part="menu-item ${part}" role="menuitem" tabindex="-1" @click=${action}>${text}</button>`;
    return html`<button
        id="trigger"
        part="button menu-button"
        class="btn"
        aria-haspopup="menu"
        aria-expanded=${this.#open}
        aria-controls="menu"
        aria-disabled=${out || nothing}
        title=${org || nothing}
        @click=${out ? nothing : this.#onTriggerClick}
        @keydown=${this.#onTriggerKey}
      >
        ${out ? spinner : nothing}<span part="label">${u.name}</span>${caret}
      </button>
      <div part="popup" class="popup" ?hidden=${!this.#open} @focusout=${this.#onFocusOut}>
        <div part="user-card" class="card">
          <strong part="user-name">${u.name}</strong>
          ${org ? html`<span part="user-org">${org}</span>` : nothing}
          ${s.localAccount
            ? html`<span part="local-account">${m.boundTo}${s.localAccount.displayName || s.localAccount.username}</span>`
            : nothing}
        </div>
        <div id="menu" part="menu" role="menu" aria-labelledby="trigger" @keydown=${this.#onMenuKey} @click=${this.#onMenuClick}>
          ${item('manage-item', m.manage, this.#manage)}
          ${s.binding ? (s.bound ? item('unbind-item', m.unbind, this.#unbind) : item('bind-item', m.bind, this.#openBind)) : nothing}
          <slot name="menu-items" @slotchange=${this.#onSlotChange}></slot>
          ${item('logout-item', m.logout, this.logout)}
        </div>
      </div>
      ${s.binding && !s.bound ? this.#renderDialog(m, lang) : nothing}`;
  }

  #renderDialog(m: Messages, lang: GdStaffLoginLang): TemplateResult {
    const err = this.#bindError;
    return html`<dialog part="dialog" aria-labelledby="bind-title" @close=${this.#onDialogClose}>
      <form part="form" @submit=${this.#onBindSubmit}>
        <h2 id="bind-title" part="dialog-title">${m.bind}</h2>
        <label part="field"
          >${m.username}<input part="input" name="username" autocomplete="username" required aria-invalid=${!!err} aria-describedby="bind-error"
        /></label>
        <label part="field"
          >${m.password}<input
            part="input"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            aria-invalid=${!!err}
            aria-describedby="bind-error"
        /></label>
        <p id="bind-error" part="dialog-error" class="error" role="alert" ?hidden=${!err}>${err && errorMessage(err.code, lang, err.text)}</p>
        <div part="dialog-actions" class="actions">
          <button type="button" part="button dialog-button" class="btn quiet" @click=${() => this.#dialog?.close()}>${m.cancel}</button>
          <button part="button dialog-button" class="btn" aria-disabled=${this.#busy || nothing}>${this.#busy ? spinner : nothing}${m.submit}</button>
        </div>
      </form>
    </dialog>`;
  }
}
