/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

import { insertionIndex } from './sorted.ts';

// The second, separate patch: registering the instrumentation in
// packages/auto-instrumentations-node the way every instrumentation is
// registered there: an import and an InstrumentationMap entry in
// src/utils.ts, a line in the README's list, a dependency in package.json.
// Its test suite covers every dependency named @opentelemetry/instrumentation-*
// (test/utils.test.ts), so no test changes for an instrumentation that is on
// by default.

export const AUTO_DIR = 'packages/auto-instrumentations-node';

/** The paragraph contrib's bundled instrumentations have in their README. */
export const BUNDLE_NOTE =
  'If total installation size is not constrained, it is recommended to use ' +
  'the [`@opentelemetry/auto-instrumentations-node`](https://www.npmjs.com/package/@opentelemetry/auto-instrumentations-node) ' +
  'bundle with [`@opentelemetry/sdk-node`](https://www.npmjs.com/package/@opentelemetry/sdk-node) ' +
  'for the most seamless instrumentation experience.';

/** Inserts `line` among the lines `keyOf` recognizes, sorted by key. */
function insertSortedLine(
  text: string,
  key: string,
  lines: string[],
  keyOf: (line: string) => string | undefined,
  where: string
): string {
  const all = text.split('\n');
  const keyed = all
    .map((line, index) => ({ key: keyOf(line), index }))
    .filter((e): e is { key: string; index: number } => e.key !== undefined);
  if (keyed.length === 0) throw new Error(`${where}: no entries found`);
  if (keyed.some(e => e.key === key)) return text;
  const i = insertionIndex(
    keyed.map(e => e.key),
    key
  );
  const at =
    i < keyed.length ? keyed[i].index : keyed[keyed.length - 1].index + 1;
  all.splice(at, 0, ...lines);
  return all.join('\n');
}

/** src/utils.ts: the import and the InstrumentationMap entry. */
export function editUtils(
  text: string,
  packageName: string,
  className: string
): string {
  const withImport = insertSortedLine(
    text,
    packageName,
    [`import { ${className} } from '${packageName}';`],
    line =>
      /^import \{ \w+ \} from '(@opentelemetry\/instrumentation-[^']+)';$/.exec(
        line
      )?.[1],
    `${AUTO_DIR}/src/utils.ts imports`
  );
  // Entries of `const InstrumentationMap = { ... };`, one or two lines each.
  const lines = withImport.split('\n');
  const start = lines.findIndex(l => /^const InstrumentationMap = \{/.test(l));
  const end = lines.findIndex((l, i) => i > start && /^\};/.test(l));
  if (start === -1 || end === -1) {
    throw new Error(`${AUTO_DIR}/src/utils.ts: no InstrumentationMap`);
  }
  const map = lines.slice(start + 1, end).join('\n');
  const editedMap = insertSortedLine(
    map,
    packageName,
    [`  '${packageName}': ${className},`],
    line => /^ {2}'(@opentelemetry\/instrumentation-[^']+)':/.exec(line)?.[1],
    `${AUTO_DIR}/src/utils.ts InstrumentationMap`
  );
  return [...lines.slice(0, start + 1), editedMap, ...lines.slice(end)].join(
    '\n'
  );
}

/** README.md: the "Supported instrumentations" list. */
export function editReadme(text: string, packageName: string): string {
  const dir = packageName.replace(/^@[^/]+\//, '');
  return insertSortedLine(
    text,
    packageName,
    [
      `- [${packageName}](https://github.com/open-telemetry/opentelemetry-js-contrib/tree/main/packages/${dir})`,
    ],
    line => /^- \[(@opentelemetry\/instrumentation-[^\]]+)\]/.exec(line)?.[1],
    `${AUTO_DIR}/README.md`
  );
}

/** package.json: the dependency, at the package's version. */
export function editPackageJson(
  text: string,
  packageName: string,
  version: string
): string {
  const pkg = JSON.parse(text);
  const deps = Object.entries(pkg.dependencies ?? {}).filter(
    ([d]) => d !== packageName
  );
  deps.push([packageName, `^${version}`]);
  deps.sort(([a], [b]) => (a < b ? -1 : 1));
  pkg.dependencies = Object.fromEntries(deps);
  return `${JSON.stringify(pkg, null, 2)}\n`;
}
