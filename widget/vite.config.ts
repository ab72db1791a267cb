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

/** Data (stylesheet, catalogue) needs no mapping back to its source lines. */
const minifiedData = (code: string) => ({ code, map: { mappings: '' } });

/** Drops each line's indentation, with a line-accurate source map (one segment per line). */
function stripIndent(code: string): { code: string; map: { version: 3; sources: string[]; names: string[]; mappings: string } } {
  const vlq = (n: number): string => {
    let v = n < 0 ? (-n << 1) | 1 : n << 1;
    let out = '';
    do {
      const digit = v & 31;
      v >>>= 5;
      out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[v ? digit | 32 : digit];
    } while (v);
    return out;
  };
  let previous = 0;
  const lines = code.split('\n').map((line, i) => {
    const indent = line.length - line.trimStart().length;
    const segment = 'A' + 'A' + vlq(i ? 1 : 0) + vlq(indent - previous);
    previous = indent;
    return [line.slice(indent), segment] as const;
  });
  return {
    code: lines.map(([line]) => line).join('\n'),
    map: { version: 3, sources: [''], names: [], mappings: lines.map(([, s]) => s).join(';') },
  };
}

/**
 * Byte savers that need no dependency, applied to source before bundling (line count kept where
 * it matters, so source maps stay usable):
 * - our templates lose their indentation (whitespace inside Lit templates is not significant in
 *   this element's flex and grid layouts);
 * - the stylesheet is compacted;
 * - the error catalogue keeps only what the widget reads (`message`): `status` and
 *   `platformMessage` serve the BFF.
 */
const compactSource: Plugin = {
  name: 'gd-staff-login:compact-source',
  enforce: 'pre',
  apply: 'build',
  transform(code, id) {
    if (id.endsWith('/widget/styles.ts')) {
      return minifiedData(code.replace(/css`([^`]*)`/, (_, body: string) =>
        'css`' + body.replace(/\s+/g, ' ').replace(/\s*([{};,>])\s*/g, '$1').replace(/: /g, ':').replace(/;}/g, '}') + '`',
      ));
    }
    if (id.endsWith('/widget/gd-staff-login.ts')) return stripIndent(code);
    if (id.endsWith('/bff/error-codes.ts')) return minifiedData(code.replace(/\b(status: \d+,|platformMessage: '[^'\n]*',)/g, ''));
    return null;
  },
};

export default defineConfig({
  root,
  publicDir: false,
  logLevel: litExternal ? 'warn' : 'info',
  plugins: [compactSource, buildLitExternal],
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
      // The catalogue's TABLE2_CODES (for the BFF) is built with Object.entries(…).filter(…):
      // marking that chain pure lets the widget bundle drop it.
      treeshake: { manualPureFunctions: ['Object.entries'] },
    },
  },
});
