/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { checkCheckout } from './lib/check.ts';

// `npm run contrib:check -- <contrib checkout> [--verbose]`
// Runs contrib's own checks for the exported package in that checkout, and
// its mocha suites against $AEROSPIKE_HOSTS (this repository's embedded
// server when unset). Ends with one line `N passed, M failed`: every check
// counts once, every mocha test once. See docs/contrib-pr.md.

const USAGE = 'usage: npm run contrib:check -- <contrib checkout> [--verbose]';

async function main(argv: string[]): Promise<number> {
  const flags = argv.filter(a => a.startsWith('-'));
  const paths = argv.filter(a => !a.startsWith('-'));
  if (flags.includes('-h') || flags.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  if (paths.length !== 1 || flags.some(f => f !== '--verbose')) {
    console.error(USAGE);
    return 2;
  }
  const report = await checkCheckout(paths[0], {
    aerospikeHosts: process.env.AEROSPIKE_HOSTS || undefined,
    verbose: flags.includes('--verbose'),
    log: line => console.log(line),
  });
  console.log('');
  for (const s of report.steps) {
    console.log(
      `${s.passed ? 'passed' : 'FAILED'}  ${s.name.padEnd(32)} ` +
        `${(s.ms / 1000).toFixed(1).padStart(6)} s  ${s.note}`
    );
  }
  if (report.tests) {
    const t = report.tests;
    console.log(
      `mocha (${report.server}): ${t.passing} passing, ${t.pending} pending, ` +
        `${t.failing} failing, ${t.files} files`
    );
  }
  console.log(`full output of each step: ${report.logDir}`);
  console.log(`check took ${(report.ms / 1000).toFixed(1)} s`);
  console.log(`${report.passed} passed, ${report.failed} failed`);
  return report.failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  err => {
    console.error(`contrib:check: ${err instanceof Error ? err.message : err}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  }
);
