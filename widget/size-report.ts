/**
 * `npm run size`: minified + gzip (level 9) sizes of the built widget, checked against the
 * budget of issue 6. 1 KB = 1024 bytes. Exits 1 when a budget is exceeded, 2 when the build is
 * missing.
 *
 * Three figures:
 * - the standalone bundle (Lit + the element + the error catalogue): what a plain page loads;
 * - the lit-external bundle (the element + the error catalogue): what an app with Lit adds;
 * - the element's own code alone: the lit-external bundle built again in memory with the shared
 *   error catalogue (`bff/error-codes.ts`, data owned by the BFF) left out, so the catalogue's
 *   share shows separately.
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import type { Plugin, Rolldown } from 'vite';

const KB = 1024;
export const BUDGET = { standalone: 12 * KB, ownCode: 6 * KB } as const;

const dist = fileURLToPath(new URL('./dist/', import.meta.url));
const config = fileURLToPath(new URL('./vite.config.ts', import.meta.url));

export function minGzip(code: string | Uint8Array): number {
  return gzipSync(code, { level: 9 }).length;
}

/** The element built like the lit-external bundle, with the error catalogue stubbed out. */
async function ownCodeOnly(): Promise<string> {
  const withoutCatalogue: Plugin = {
    name: 'size-report:without-catalogue',
    enforce: 'pre',
    load(id) {
      if (id.endsWith('/bff/error-codes.ts')) return 'export const ERROR_CODES = {}; export function isErrorCode() { return false; }';
      return null;
    },
  };
  process.env.GD_WIDGET_BUILD = 'lit-external';
  try {
    const result = (await build({
      configFile: config,
      logLevel: 'silent',
      plugins: [withoutCatalogue],
      build: { write: false, sourcemap: false },
    })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
    const output = (Array.isArray(result) ? result[0]! : result).output;
    return output.filter((o): o is Rolldown.OutputChunk => o.type === 'chunk').map((c) => c.code).join('');
  } finally {
    delete process.env.GD_WIDGET_BUILD;
  }
}

function row(label: string, bytes: number, budget?: number): string {
  const kb = (n: number) => `${(n / KB).toFixed(2)} KB`;
  const verdict = budget === undefined ? '' : bytes <= budget ? `  ≤ ${kb(budget)}  ok` : `  > ${kb(budget)}  OVER BUDGET by ${bytes - budget} B`;
  return `${label.padEnd(58)} ${String(bytes).padStart(6)} B  ${kb(bytes).padStart(9)}${verdict}`;
}

async function main(): Promise<number> {
  const files = { standalone: `${dist}gd-staff-login.js`, litExternal: `${dist}gd-staff-login.lit-external.js` };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) {
      console.error(`${file} is missing: run npm run build:widget first.`);
      return 2;
    }
  }
  const standalone = minGzip(readFileSync(files.standalone));
  const litExternal = minGzip(readFileSync(files.litExternal));
  const own = minGzip(await ownCodeOnly());
  console.log('gd-staff-login widget, minified + gzip -9 (1 KB = 1024 B)');
  console.log(row('widget/dist/gd-staff-login.js (Lit + element + catalogue)', standalone, BUDGET.standalone));
  console.log(row('widget/dist/gd-staff-login.lit-external.js (element + catalogue)', litExternal));
  console.log(row('  of which the element’s own code (no Lit, no catalogue)', own, BUDGET.ownCode));
  console.log(row('  of which the shared error catalogue, zh-CN + en (about)', litExternal - own));
  const over = standalone > BUDGET.standalone || own > BUDGET.ownCode;
  if (over) console.error('Over budget.');
  return over ? 1 : 0;
}

process.exitCode = await main();
