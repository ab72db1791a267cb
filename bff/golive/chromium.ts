/**
 * Debian's Chromium for the go-live check, driven by playwright-core. Nothing here downloads a
 * browser: the path is `--chromium PATH`, else `CHROMIUM_PATH`, else /usr/bin/chromium.
 *
 * The tests launch Chromium through this module too (test/helpers/chromium.ts).
 */
import { access, constants } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(flag: string | undefined, env: Record<string, string | undefined>): string {
  return flag || env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
}

/**
 * Launches headless Chromium; a missing executable gets a message that says how to fix it.
 * `extraArgs` come after CHROMIUM_ARGS (the check's certificate pin for --platform-ca).
 */
export async function launchChromium(executablePath: string, extraArgs: readonly string[] = []): Promise<Browser> {
  try {
    await access(executablePath, constants.X_OK);
  } catch {
    throw new Error(
      `Chromium not found at ${executablePath}: install it (apt-get install chromium) or pass --chromium PATH / set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
}
