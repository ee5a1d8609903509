/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Runs mocha once per test file, each file in a process of its own.
//
// Every suite creates its own AerospikeInstrumentation and SDK before
// `aerospike` is loaded, as an application does, and one suite checks what
// happens while no SDK is registered at all. Node loads a module (and the
// client's native addon) once per process, so suites sharing one process
// would patch the same client several times and share one global SDK.
//
//   node test/run-each-file.mjs [mocha options] 'test/**/*.test.ts'
//
// Arguments ending in `.ts` or holding a `*` are test file globs; the others
// go to every mocha process. With --watch the files run side by side.
// Prints one summary line over all files; exits non-zero when a file failed.

import { spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { createRequire } from 'node:module';

const MOCHA = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');

const args = process.argv.slice(2);
const isPattern = arg => arg.endsWith('.ts') || arg.includes('*');
const patterns = args.filter(isPattern);
const mochaArgs = args.filter(arg => !isPattern(arg));
const watch = mochaArgs.includes('--watch') || mochaArgs.includes('-w');
const files = [...new Set(patterns.flatMap(p => globSync(p)))].sort();

if (files.length === 0) {
  console.error(`run-each-file: no test file matches ${patterns.join(' ')}`);
  process.exit(1);
}

/** Runs one file; resolves with mocha's counts, read from its summary. */
function runFile(file) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [MOCHA, ...mochaArgs, file], {
      stdio: ['inherit', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', chunk => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', code => {
      const count = word =>
        Number(new RegExp(`(\\d+) ${word}`).exec(output)?.[1] ?? 0);
      resolve({
        file,
        code,
        passing: count('passing'),
        pending: count('pending'),
        failing: count('failing'),
      });
    });
  });
}

const results = [];
if (watch) {
  results.push(...(await Promise.all(files.map(runFile))));
} else {
  for (const file of files) {
    console.log(`\n${file}`);
    results.push(await runFile(file));
  }
}

const total = key => results.reduce((sum, r) => sum + r[key], 0);
const broken = results.filter(r => r.code !== 0 && r.failing === 0);
for (const r of broken) {
  console.log(`run-each-file: ${r.file} exited with ${r.code}`);
}
console.log(
  `\nrun-each-file: ${files.length} files, ${total('passing')} passing, ` +
    `${total('pending')} pending, ${total('failing') + broken.length} failing`
);
process.exitCode = results.every(r => r.code === 0) ? 0 : 1;
