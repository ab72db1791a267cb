/**
 * Benchmark 4: the widget. Bundle sizes (as built, minified, and gzip -9), then in Chromium on
 * loopback against the demo site (sandbox + BFF), median of BENCH_WIDGET_RUNS (7) runs each:
 *
 * - script to first state: from the moment the widget's script has arrived (resource timing
 *   `responseEnd` of gd-staff-login.js) to its first settled state (`logged-out` or `logged-in`,
 *   the `gd-state-change` event), and to the next animation frame after it (painted);
 * - click to logged-in, SSO: the platform session exists, so authorize answers with a code at once;
 * - click to logged-in, form: the platform login form is filled and submitted (by Playwright).
 *
 *   npm run build:widget && node --import tsx test/bench/widget.ts
 */
import { readFileSync, statSync } from 'node:fs';
import { gzipSync, brotliCompressSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { DEMO_ACCOUNT, startStack } from '../helpers/stack.ts';
import { envInt, fmt, machine, median, table } from './lib/stats.ts';

const RUNS = envInt('BENCH_WIDGET_RUNS', 7);
const BUNDLES = ['widget/dist/gd-staff-login.js', 'widget/dist/gd-staff-login.lit-external.js'];

/** Records each state change with its time and the next frame's, from before any page script runs. */
const RECORD_STATES = () => {
  const w = window as unknown as { __gdStates: { state: string; t: number; painted?: number }[] };
  w.__gdStates = [];
  document.addEventListener(
    'gd-state-change',
    (event) => {
      const entry: { state: string; t: number; painted?: number } = { state: (event as CustomEvent<{ state: string }>).detail.state, t: performance.now() };
      w.__gdStates.push(entry);
      requestAnimationFrame(() => (entry.painted = performance.now()));
    },
    true,
  );
};

async function firstState(page: Page, url: string): Promise<{ state: string; toState: number; toPaint: number }> {
  await page.goto(url);
  await page.waitForFunction(() => {
    const states = (window as unknown as { __gdStates: { state: string; painted?: number }[] }).__gdStates;
    return states.some((s) => (s.state === 'logged-out' || s.state === 'logged-in') && s.painted !== undefined);
  });
  return page.evaluate(() => {
    const states = (window as unknown as { __gdStates: { state: string; t: number; painted: number }[] }).__gdStates;
    const first = states.find((s) => s.state === 'logged-out' || s.state === 'logged-in')!;
    const script = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/gd-staff-login.js')) as PerformanceResourceTiming;
    return { state: first.state, toState: first.t - script.responseEnd, toPaint: first.painted - script.responseEnd };
  });
}

async function waitLoggedIn(page: Page): Promise<void> {
  await page.waitForFunction(() => (document.querySelector('gd-staff-login') as (Element & { state?: string }) | null)?.state === 'logged-in');
}

async function main() {
  console.log(`# Widget benchmark\n\n${machine()}\n`);
  const sizeRows = BUNDLES.map((file) => {
    const bytes = readFileSync(file);
    return [file, fmt(statSync(file).size / 1024), fmt(gzipSync(bytes, { level: 9 }).length / 1024), fmt(brotliCompressSync(bytes).length / 1024)];
  });
  console.log(table(['bundle (minified by Vite)', 'min KB', 'min+gzip KB', 'min+brotli KB'], sizeRows));
  console.log('');

  const stack = await startStack();
  const browser = await launchChromium();
  const samples = { cold: [] as number[], loggedOut: [] as number[], loggedOutPaint: [] as number[], loggedIn: [] as number[], loggedInPaint: [] as number[], sso: [] as number[], form: [] as number[] };
  try {
    for (let run = 0; run < RUNS + 1; run++) {
      const context = await browser.newContext();
      await context.addInitScript(RECORD_STATES);
      const page = await context.newPage();
      // Logged out, first visit.
      const cold = await firstState(page, stack.url);
      if (cold.state !== 'logged-out') throw new Error(`expected logged-out, got ${cold.state}`);
      // Logged out, reload (the script now comes from the cache, compiled code too).
      const out = await firstState(page, stack.url);
      // Click to logged-in through the platform form.
      let t0 = performance.now();
      await page.getByRole('button', { name: '政务人员统一身份认证登录' }).click();
      await page.waitForURL((url) => url.href.startsWith(stack.sandboxUrl));
      await page.locator('input[name=account]').fill(DEMO_ACCOUNT.account);
      await page.locator('input[name=password]').fill(DEMO_ACCOUNT.password);
      await page.locator('form button[type=submit]').first().click();
      await waitLoggedIn(page);
      const form = performance.now() - t0;
      // Logged in, reload: script to first state.
      const inn = await firstState(page, stack.url);
      if (inn.state !== 'logged-in') throw new Error(`expected logged-in, got ${inn.state}`);
      // SSO: drop the site's session only (the platform's cookie stays), then click.
      await context.clearCookies({ domain: 'localhost' });
      await firstState(page, stack.url);
      t0 = performance.now();
      await page.getByRole('button', { name: '政务人员统一身份认证登录' }).click();
      await waitLoggedIn(page);
      const sso = performance.now() - t0;
      await context.close();
      if (run === 0) continue; // warm-up
      samples.cold.push(cold.toState);
      samples.loggedOut.push(out.toState);
      samples.loggedOutPaint.push(out.toPaint);
      samples.loggedIn.push(inn.toState);
      samples.loggedInPaint.push(inn.toPaint);
      samples.form.push(form);
      samples.sso.push(sso);
    }
  } finally {
    await browser.close();
    await stack.close();
  }
  const row = (label: string, values: number[]) => [label, fmt(median(values), 1), fmt(Math.min(...values), 1), fmt(Math.max(...values), 1)];
  console.log(
    table(
      ['Chromium, loopback', 'median ms', 'min ms', 'max ms'],
      [
        row('script arrived → first state (logged-out, first visit)', samples.cold),
        row('script arrived → first state (logged-out, reload)', samples.loggedOut),
        row('script arrived → first state painted (logged-out, reload)', samples.loggedOutPaint),
        row('script arrived → first state (logged-in, reload)', samples.loggedIn),
        row('script arrived → first state painted (logged-in, reload)', samples.loggedInPaint),
        row('click → logged-in, SSO (platform session exists)', samples.sso),
        row('click → logged-in, form (filled by Playwright)', samples.form),
      ],
    ),
  );
  console.log(`\n${RUNS} runs after one warm-up; each run in a fresh browser context.`);
}

await main();
