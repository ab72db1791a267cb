/**
 * Browser-side helpers for the widget tests (mocha runs in the page; web-test-runner provides
 * `describe`/`it`). Nothing here stands in for the BFF: `login()` asks the Node side to log the
 * page's browser context in through the real sandbox (test/widget/stack.ts).
 */
import { executeServerCommand } from '@web/test-runner-commands';
import '../../widget/index.ts';
import type { GdStaffLogin } from '../../widget/index.ts';

declare global {
  function describe(name: string, body: () => void): void;
  function it(name: string, body: () => Promise<void> | void): void;
  function beforeEach(body: () => Promise<unknown> | void): void;
  function afterEach(body: () => Promise<unknown> | void): void;
  interface Window {
    axe?: { run(context: Element, options?: object): Promise<{ violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown }> }> }> };
  }
}

export class AssertionError extends Error {}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function equal<T>(actual: T, expected: T, message = ''): void {
  if (actual !== expected) throw new AssertionError(`${message} expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`.trim());
}

export function deepEqual(actual: unknown, expected: unknown, message = ''): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${message} expected ${e}, got ${a}`.trim());
}

export async function waitFor(predicate: () => unknown, what = 'condition', timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new AssertionError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Mounted {
  el: GdStaffLogin;
  /** Every URL the element asked to navigate to (the page itself stays). */
  navigations: string[];
  /** Every gd-* event, as seen on `document` (so: bubbling and composed). */
  events: CustomEvent[];
  /** The element's shadow root query. */
  $<E extends Element = HTMLElement>(selector: string): E | null;
  $$<E extends Element = HTMLElement>(selector: string): E[];
}

const mounted: Array<() => void> = [];

/**
 * Puts a `<gd-staff-login>` inside a shadow root of its own (events must be composed to reach
 * `document`), with the given attributes and light-DOM children; navigation is recorded.
 */
export function mount(attributes: Record<string, string> = {}, children = ''): Mounted {
  const host = document.createElement('div');
  document.body.append(host);
  const root = host.attachShadow({ mode: 'open' });
  const el = document.createElement('gd-staff-login');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.innerHTML = children;
  const navigations: string[] = [];
  el.navigate = (url) => navigations.push(url);
  const events: CustomEvent[] = [];
  const record = (e: Event): void => {
    if (e.composedPath()[0] === el) events.push(e as CustomEvent);
  };
  const types = ['gd-login', 'gd-logout', 'gd-login-error', 'gd-state-change'];
  for (const type of types) document.addEventListener(type, record);
  root.append(el);
  mounted.push(() => {
    for (const type of types) document.removeEventListener(type, record);
    host.remove();
  });
  return {
    el,
    navigations,
    events,
    $: <E extends Element>(selector: string) => el.shadowRoot!.querySelector<E>(selector),
    $$: <E extends Element>(selector: string) => [...el.shadowRoot!.querySelectorAll<E>(selector)],
  };
}

export function unmountAll(): void {
  while (mounted.length) mounted.pop()!();
}

/** Waits until the element leaves `checking` (the first `/me` has answered). */
export async function settled(m: Mounted, state?: string): Promise<void> {
  await waitFor(() => (state ? m.el.state === state : m.el.state !== 'checking'), `state ${state ?? '≠ checking'} (now ${m.el.state})`);
  await m.el.updateComplete;
}

export function eventsOf(m: Mounted, type: string): unknown[] {
  return m.events.filter((e) => e.type === type).map((e) => e.detail);
}

export interface LoginResult {
  landedOn: string;
  cookies: string[];
}

/** Logs this page's browser context in for real (server-side through the sandbox's form). */
export function login(payload: { start?: string; account?: string; tamperCode?: boolean } = {}): Promise<LoginResult> {
  return executeServerCommand<LoginResult, typeof payload>('gd-login', payload);
}

export function clearCookies(): Promise<unknown> {
  return executeServerCommand('gd-clear-cookies');
}

/** Moves the BFF's clock forward (sessions time out for real, without waiting). */
export function advanceClock(ms: number): Promise<unknown> {
  return executeServerCommand('gd-clock', { advanceMs: ms });
}

/** The innermost focused element, through shadow roots. */
export function deepActiveElement(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

/** Loads axe-core once (as the classic script it is) and asserts no violations inside `el`. */
export async function expectNoAxeViolations(el: Element, label: string): Promise<void> {
  if (!window.axe) {
    await new Promise<void>((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/node_modules/axe-core/axe.min.js';
      script.onload = () => resolve();
      script.onerror = () => reject(new Error('axe-core did not load'));
      document.head.append(script);
    });
  }
  const { violations } = await window.axe!.run(el, { resultTypes: ['violations'] });
  const summary = violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`);
  assert(violations.length === 0, `axe violations (${label}):\n${summary.join('\n')}`);
}

/** Text of an element with whitespace collapsed. */
export function text(node: Element | null | undefined): string {
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}
