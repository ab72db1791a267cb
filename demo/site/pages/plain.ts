/**
 * The plain page's only script. The first import is all an integrator needs: the standalone
 * build (Lit included) defines `<gd-staff-login>`. The rest shows the element's typed events.
 */
import '../../../widget/dist/gd-staff-login.js'; // typed by widget/index.ts (HTMLElementTagNameMap, HTMLElementEventMap)
import '../public/demo.css';
import './pages.css';

const element = document.querySelector('gd-staff-login')!;
const stateText = document.querySelector('#plain-state')!;
const userText = document.querySelector('#plain-user')!;

element.addEventListener('gd-state-change', (event) => {
  stateText.textContent = event.detail.state;
});
element.addEventListener('gd-login', (event) => {
  const { name, org, dept } = event.detail;
  userText.textContent = [name, org, dept].filter(Boolean).join(' · ');
});
element.addEventListener('gd-logout', (event) => {
  userText.textContent = event.detail.reason === 'expired' ? '会话已结束 / session ended' : '—';
});
