/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue } from './common.ts';

// Where the instrumentation's CPU goes, per operation, without I/O:
//   node bench/profile.ts --op get-promise [--variant instrumented|floor|
//     recordOnly|chain] [--sdk | --no-sdk] [--iterations N]
//   node bench/profile.ts --op stream-1000 [--variant with|resource|...]
// Runs bench/noio.ts's stub operation under `node --cpu-prof` and prints
// self time per function (µs/op), then inclusive time of the
// instrumentation's own functions. Needs bench/build/cjs (npm run bench).

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

const op = argValue('op') ?? 'get-promise';
const variant = argValue('variant') ?? 'instrumented';
const withSdk = !process.argv.includes('--no-sdk');
const iterations = argValue('iterations') ?? '200000';
const top = Number(argValue('top') ?? 30);

const dir = mkdtempSync(join(tmpdir(), 'aerospike-bench-prof-'));
const run = spawnSync(
  process.execPath,
  [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-interval',
    '50',
    fileURLToPath(new URL('./noio.ts', import.meta.url)),
    ...(withSdk ? ['--sdk'] : []),
    '--profile-op',
    op,
    '--variant',
    variant,
    '--iterations',
    iterations,
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
);
const line = run.stdout.split('\n').find(l => l.startsWith('RESULT '));
if (run.status !== 0 || !line) {
  throw new Error(`noio.ts failed (${run.status}): ${run.stdout}`);
}
const ops = (JSON.parse(line.slice(7)) as { ops: number }).ops;
const file = readdirSync(dir).find(f => f.endsWith('.cpuprofile'))!;
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
rmSync(dir, { recursive: true, force: true });

const byId = new Map(profile.nodes.map(n => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const label = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url
    ? `${url.includes('node_modules') ? url.replace(/^.*node_modules\//, '') : basename(url)}:${lineNumber + 1}`
    : '(native)';
  return `${functionName || '(anonymous)'} ${where}`;
};

const selfByLabel = new Map<string, number>();
let total = 0;
for (const [id, t] of self) {
  const l = label(byId.get(id)!);
  selfByLabel.set(l, (selfByLabel.get(l) ?? 0) + t);
  total += t;
}

// Inclusive time of functions in the compiled instrumentation.
const inclusive = new Map<string, number>();
// Count each function once per stack (recursion would double count).
const walk = (id: number, stack: Set<string>) => {
  const node = byId.get(id)!;
  const l = label(node);
  if (node.callFrame.url.includes('/bench/build/cjs/') && !stack.has(l)) {
    let sum = 0;
    const add = (x: number) => {
      sum += self.get(x) ?? 0;
      for (const c of byId.get(x)!.children ?? []) add(c);
    };
    add(id);
    inclusive.set(l, (inclusive.get(l) ?? 0) + sum);
  }
  const next = new Set(stack).add(l);
  for (const c of node.children ?? []) walk(c, next);
};
walk(profile.nodes[0].id, new Set());

const perOp = (us: number) => (us / ops).toFixed(3);
console.log(
  `${op}, ${variant}, ${withSdk ? 'SDK recording' : 'no SDK'}: ${ops} ops, ` +
    `${perOp(total)} µs/op sampled in total`
);
console.log('\nself time, µs/op:');
for (const [l, t] of [...selfByLabel]
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`  ${perOp(t).padStart(7)}  ${l}`);
}
console.log('\ninclusive time of the instrumentation functions, µs/op:');
for (const [l, t] of [...inclusive].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${perOp(t).padStart(7)}  ${l}`);
}
