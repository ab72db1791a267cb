/**
 * Library build of `<gd-staff-login>`, two ES modules in `widget/dist/`:
 * - `gd-staff-login.js`: standalone, Lit bundled: one `<script type="module">` on any page;
 * - `gd-staff-login.lit-external.js`: imports `lit` for apps that already ship it.
 *
 * Vite builds one bundle per config, so the standalone build starts the lit-external one when it
 * has finished (`GD_WIDGET_BUILD=lit-external` marks the nested run).
 */
import { fileURLToPath } from 'node:url';
import { build, defineConfig } from 'vite';
import type { Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const litExternal = process.env.GD_WIDGET_BUILD === 'lit-external';

const buildLitExternal: Plugin = {
  name: 'gd-staff-login:lit-external',
  apply: 'build',
  async closeBundle() {
    if (litExternal) return;
    process.env.GD_WIDGET_BUILD = 'lit-external';
    try {
      await build({ configFile: fileURLToPath(import.meta.url), logLevel: 'warn' });
    } finally {
      delete process.env.GD_WIDGET_BUILD;
    }
  },
};

export default defineConfig({
  root,
  publicDir: false,
  logLevel: litExternal ? 'warn' : 'info',
  plugins: [buildLitExternal],
  build: {
    outDir: 'dist',
    emptyOutDir: !litExternal,
    target: 'es2022',
    minify: true,
    sourcemap: true,
    reportCompressedSize: true,
    lib: {
      entry: 'index.ts',
      formats: ['es'],
      fileName: () => (litExternal ? 'gd-staff-login.lit-external.js' : 'gd-staff-login.js'),
    },
    rolldownOptions: {
      external: litExternal ? [/^lit($|\/)/, /^@lit\//, /^lit-(html|element)($|\/)/] : [],
      // Vite leaves whitespace in library ES output to keep pure annotations for tree-shaking;
      // these files are final bundles meant to be loaded as they are, so minify fully.
      output: { minify: true },
    },
  },
});
