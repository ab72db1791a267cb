/**
 * `npm run size`: minified + gzip (level 9, Node's zlib) sizes of the built widget, checked
 * against the budget of issue 6. 1 KB = 1024 bytes. Exits 1 when a budget is exceeded, 2 when
 * the build is missing.
 *
 * - the standalone bundle (Lit + the element): what a plain page loads;
 * - the lit-external bundle: the element's own code (Lit left out), what an app with Lit adds.
 *
 * Error texts are not in either: the BFF sends them with each error (`bff/error-codes.ts`).
 */
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const KB = 1024;
export const BUDGET = { standalone: 12 * KB, ownCode: 6 * KB } as const;

const dist = fileURLToPath(new URL('./dist/', import.meta.url));

export function minGzip(code: string | Uint8Array): number {
  return gzipSync(code, { level: 9 }).length;
}

function row(label: string, bytes: number, budget: number): string {
  const kb = (n: number) => `${(n / KB).toFixed(2)} KB`;
  const verdict = bytes <= budget ? `≤ ${kb(budget)}  ok` : `> ${kb(budget)}  OVER BUDGET by ${bytes - budget} B`;
  return `${label.padEnd(52)} ${String(bytes).padStart(6)} B  ${kb(bytes).padStart(9)}  ${verdict}`;
}

function main(): number {
  const files = { standalone: `${dist}gd-staff-login.js`, ownCode: `${dist}gd-staff-login.lit-external.js` };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) {
      console.error(`${file} is missing: run npm run build:widget first.`);
      return 2;
    }
  }
  const standalone = minGzip(readFileSync(files.standalone));
  const ownCode = minGzip(readFileSync(files.ownCode));
  console.log('gd-staff-login widget, minified + gzip -9 (1 KB = 1024 B)');
  console.log(row('widget/dist/gd-staff-login.js (Lit + element)', standalone, BUDGET.standalone));
  console.log(row('widget/dist/gd-staff-login.lit-external.js (element)', ownCode, BUDGET.ownCode));
  const over = standalone > BUDGET.standalone || ownCode > BUDGET.ownCode;
  if (over) console.error('Over budget.');
  return over ? 1 : 0;
}

process.exitCode = main();
