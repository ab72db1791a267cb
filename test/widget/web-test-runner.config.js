// Widget tests: Debian's Chromium through Playwright, against the real BFF and the real platform
// sandbox (test/widget/stack.ts), both started here in-process. `npm run test:widget`.
import { fileURLToPath } from 'node:url';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { tsImport } from 'tsx/esm/api';

/** @type {import('./stack.ts')} */
const { startWidgetStack } = await tsImport('./stack.ts', import.meta.url);
const stack = await startWidgetStack();

export default {
  rootDir: fileURLToPath(new URL('../..', import.meta.url)),
  files: ['test/widget/**/*.test.ts'],
  hostname: 'localhost',
  port: stack.port,
  nodeResolve: true,
  // One file at a time: the BFF (and its clock) is shared by every test file.
  concurrency: 1,
  testFramework: { config: { timeout: 15000 } },
  middleware: [stack.middleware],
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) }), stack.commands],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      },
    }),
  ],
};
