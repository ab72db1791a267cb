/**
 * Sums a V8 CPU profile (`node --cpu-prof`) by self time: per package (node_modules/NAME, our
 * bff/, node: internals, GC, idle) and per function. Used to explain a missed benchmark target.
 *
 *   node --import tsx test/bench/profile-summary.ts FILE.cpuprofile [top=25] [fnA,fnB,…]
 *
 * With a list of function names it also prints their inclusive time (self + everything they
 * called synchronously), e.g. `syncLocalAccount,gdMe`.
 */
import { readFileSync } from 'node:fs';
import { fmt, table } from './lib/stats.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucket(url: string, name: string): string {
  if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return name;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node: ' + url.slice(5).split('/')[0];
  const ours = /\/(bff|demo|test)\/(.*)$/.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return url ? url : '(native / V8)';
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts FILE.cpuprofile [top]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const perBucket = new Map<string, number>();
const perFunction = new Map<string, number>();
let total = 0;
let busy = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  const { functionName, url, lineNumber } = node.callFrame;
  const b = bucket(url, functionName);
  total += us;
  if (b !== '(idle)') busy += us;
  perBucket.set(b, (perBucket.get(b) ?? 0) + us);
  const fn = `${functionName || '(anonymous)'} ${b}${url ? `:${lineNumber + 1}` : ''}`;
  perFunction.set(fn, (perFunction.get(fn) ?? 0) + us);
}
const rows = (map: Map<string, number>) =>
  [...map]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => [k, fmt(us / 1000, 0), `${fmt((us / busy) * 100, 1)}%`]);
console.log(`${file}: ${fmt(total / 1e6, 1)} s sampled, ${fmt(busy / 1e6, 1)} s busy\n`);
console.log(table(['package / module (self time)', 'ms', 'of busy'], rows(perBucket)));
console.log('');
console.log(table(['function (self time)', 'ms', 'of busy'], rows(perFunction)));

const inclusiveNames = process.argv[4]?.split(',').filter(Boolean) ?? [];
if (inclusiveNames.length > 0) {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>(inclusiveNames.map((n) => [n, 0]));
  for (const [id, us] of selfUs) {
    const found = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at)!.callFrame.functionName;
      if (inclusive.has(name)) found.add(name);
    }
    for (const name of found) inclusive.set(name, inclusive.get(name)! + us);
  }
  console.log('');
  console.log(table(['function (inclusive, synchronous part)', 'ms', 'of busy'], [...inclusive].map(([k, us]) => [k, fmt(us / 1000, 0), `${fmt((us / busy) * 100, 1)}%`])));
}
