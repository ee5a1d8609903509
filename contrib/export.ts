/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { exportToCheckout } from './lib/export.ts';

// `npm run contrib:export -- <contrib checkout> [--with-auto-instrumentations]`
// Writes packages/instrumentation-aerospike and the shared-file entries a new
// package needs into an opentelemetry-js-contrib checkout, from this
// repository as it is now. See docs/contrib-pr.md.

const USAGE =
  'usage: npm run contrib:export -- <contrib checkout> [--with-auto-instrumentations]';

async function main(argv: string[]): Promise<number> {
  const flags = argv.filter(a => a.startsWith('-'));
  const paths = argv.filter(a => !a.startsWith('-'));
  const unknown = flags.filter(
    f => !['--with-auto-instrumentations', '-h', '--help'].includes(f)
  );
  if (flags.includes('-h') || flags.includes('--help')) {
    console.log(USAGE);
    return 0;
  }
  if (paths.length !== 1 || unknown.length > 0) {
    console.error(USAGE);
    return 2;
  }
  const report = await exportToCheckout(paths[0], {
    withAutoInstrumentations: flags.includes('--with-auto-instrumentations'),
  });
  const list = (title: string, items: string[]) => {
    if (items.length === 0) return;
    console.log(`${title} (${items.length}):`);
    for (const item of items) console.log(`  ${item}`);
  };
  console.log(`contrib:export into ${report.root}`);
  list('written', report.written);
  list('removed', report.removed);
  console.log(`unchanged: ${report.unchanged.length} files`);
  list('tests left out (they need the embedded server)', report.leftOut);
  list('patch 1, the package', report.patches.package);
  list(
    'patch 2, auto-instrumentations-node (after the first release)',
    report.patches.autoInstrumentations
  );
  console.log(
    `next: npm run contrib:check -- ${report.root}  (see docs/contrib-pr.md)`
  );
  return 0;
}

main(process.argv.slice(2)).then(
  code => {
    process.exitCode = code;
  },
  err => {
    console.error(
      `contrib:export: ${err instanceof Error ? err.message : err}`
    );
    process.exitCode = 1;
  }
);
