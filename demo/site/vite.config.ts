/**
 * `npm run build:demo`: the demo's front-end pages, built by Vite into `demo/site/dist/` and
 * served by the demo site (`demo/site/app.ts`) next to its server-rendered pages:
 * - `/plain.html`: a plain HTML page with one `<script type="module">` (the integrator's case);
 * - `/vue/`: a Vue 3 page that uses the element from the widget source and shows the user
 *   from the element's typed events.
 *
 * The site's CSP allows scripts and styles from 'self' only: Vite emits external files, and the
 * Vue templates are compiled here, so the page runs Vue's runtime-only build (no `eval`).
 */
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./pages/', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('gd-') } } })],
  // Vue's compile-time flags: Composition API only, no production devtools.
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: fileURLToPath(new URL('./dist/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rolldownOptions: {
      input: {
        plain: `${root}plain.html`,
        vue: `${root}vue/index.html`,
      },
    },
  },
});
