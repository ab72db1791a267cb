/**
 * Debian's Chromium for the tests: the same launcher and flags as the go-live check
 * (bff/golive/chromium.ts), at `CHROMIUM_PATH` or /usr/bin/chromium. Nothing downloads a browser.
 */
import type { Browser } from 'playwright-core';
import { chromiumPath, launchChromium as launch } from '../../bff/golive/chromium.ts';

export { CHROMIUM_ARGS } from '../../bff/golive/chromium.ts';

export const CHROMIUM_PATH = chromiumPath(undefined, process.env);

export function launchChromium(): Promise<Browser> {
  return launch(CHROMIUM_PATH);
}
