/**
 * `<gd-staff-login>`: import this module (or load the built `gd-staff-login.js`) once and the
 * element is defined.
 */
import { GdStaffLogin } from './gd-staff-login.ts';
import type { GdStaffLoginEventMap } from './gd-staff-login.ts';

export { GdStaffLogin };
export type {
  GdLoginErrorDetail,
  GdLogoutDetail,
  GdStaffLoginEventMap,
  GdStaffLoginState,
  GdStateChangeDetail,
} from './gd-staff-login.ts';
export type { GdLocalAccount, GdStaffSession, GdStaffUser } from './bff-client.ts';
export type { GdStaffLoginLang } from './messages.ts';

// Defining twice throws; a page may load both the standalone and the lit-external build.
if (!customElements.get('gd-staff-login')) customElements.define('gd-staff-login', GdStaffLogin);

declare global {
  interface HTMLElementTagNameMap {
    'gd-staff-login': GdStaffLogin;
  }
  // Typed listeners: el.addEventListener('gd-login', (e) => e.detail.name)
  interface HTMLElementEventMap extends GdStaffLoginEventMap {}
}
