/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

import { insertionIndex } from './sorted.ts';

// Edits to contrib's shared files that a new package needs. Each edit puts
// the package's entry where the file's alphabetical order wants it, replaces
// an entry left by an earlier export (so that exporting twice changes
// nothing), and leaves every other byte alone.

/** The server image of the `aerospike` test service. */
export const AEROSPIKE_IMAGE = 'aerospike/aerospike-server:8.1.0.3';

/** Placeholders for the owners' GitHub handles, to fill in before opening. */
export const OWNER_PLACEHOLDERS = [
  'OWNER-1-GITHUB-HANDLE',
  'OWNER-2-GITHUB-HANDLE',
];

interface Block {
  key: string;
  start: number;
  /** Line index after the block. */
  end: number;
}

/**
 * Inserts (or replaces) `lines` as the block of `key` among the blocks that
 * `keyOf` recognizes, keeping them sorted. `keyOf` returns a block's key for
 * its first line; a block runs until the next key line or `isEnd` line.
 */
function upsertBlock(
  text: string,
  key: string,
  lines: string[],
  keyOf: (line: string) => string | undefined,
  isEnd: (line: string) => boolean = () => false
): string {
  const all = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < all.length; i++) {
    const k = keyOf(all[i]);
    if (k !== undefined) {
      if (blocks.length > 0 && blocks[blocks.length - 1].end === -1) {
        blocks[blocks.length - 1].end = i;
      }
      blocks.push({ key: k, start: i, end: -1 });
    } else if (
      blocks.length > 0 &&
      blocks[blocks.length - 1].end === -1 &&
      isEnd(all[i])
    ) {
      blocks[blocks.length - 1].end = i;
    }
  }
  if (blocks.length === 0) throw new Error('no entries to insert among');
  const last = blocks[blocks.length - 1];
  if (last.end === -1) {
    // Trailing blank lines belong to the file, not to the last block.
    let end = all.length;
    while (end > last.start + 1 && all[end - 1].trim() === '') end--;
    last.end = end;
  }
  // A blank line ending `lines` separates it from the next block; as the
  // last block it separates it from the one before instead.
  const separated = lines[lines.length - 1] === '';
  const asLast = separated ? ['', ...lines.slice(0, -1)] : lines;
  const existing = blocks.find(b => b.key === key);
  if (existing) {
    const isLast = existing === last;
    const start =
      isLast &&
      separated &&
      existing.start > 0 &&
      all[existing.start - 1] === ''
        ? existing.start - 1
        : existing.start;
    all.splice(start, existing.end - start, ...(isLast ? asLast : lines));
    return all.join('\n');
  }
  const at = insertionIndex(
    blocks.map(b => b.key),
    key
  );
  if (at < blocks.length) all.splice(blocks[at].start, 0, ...lines);
  else all.splice(last.end, 0, ...asLast);
  return all.join('\n');
}

/** release-please-config.json: an unreleased package skips GitHub releases. */
export function editReleasePleaseConfig(text: string, dir: string): string {
  const config = JSON.parse(text);
  const packages: Record<string, unknown> = config.packages ?? {};
  const entries = Object.entries(packages).filter(([k]) => k !== dir);
  const at = insertionIndex(
    entries.map(([k]) => k),
    dir
  );
  entries.splice(at, 0, [dir, { 'skip-github-release': true }]);
  config.packages = Object.fromEntries(entries);
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** .release-please-manifest.json: the package's current version. */
export function editReleasePleaseManifest(
  text: string,
  dir: string,
  version: string
): string {
  const entries = Object.entries(JSON.parse(text)).filter(([k]) => k !== dir);
  const at = insertionIndex(
    entries.map(([k]) => k),
    dir
  );
  entries.splice(at, 0, [dir, version]);
  return `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
}

/** .github/component_owners.yml: the package with placeholder owners. */
export function editComponentOwners(text: string, dir: string): string {
  const lines = [
    `  ${dir}:`,
    '    # PLACEHOLDER: the GitHub handles of the two component owners named in',
    '    # the accepted instrumentation request (CONTRIBUTING.md, "New',
    '    # Instrumentation"). Replace both lines before opening the pull request.',
    ...OWNER_PLACEHOLDERS.map(h => `    - ${h}`),
  ];
  return upsertBlock(
    text,
    dir,
    lines,
    line => /^ {2}(packages\/[^\s:]+):/.exec(line)?.[1]
  );
}

/** test/docker-compose.yaml: the `aerospike` service, with a health check. */
export function editDockerCompose(text: string, service: string): string {
  const lines = [
    `  ${service}:`,
    `    image: ${AEROSPIKE_IMAGE}`,
    '    ports:',
    '      - "3000:3000"',
    '    healthcheck:',
    '      # "ok" once the node serves its namespaces (`test` by default).',
    '      test: ["CMD-SHELL", "[ \\"$$(asinfo -v status)\\" = ok ]"]',
    '      interval: 1s',
    '      timeout: 10s',
    '      retries: 30',
    '',
  ];
  const start = text.split('\n').findIndex(l => /^services:\s*$/.test(l));
  if (start === -1) throw new Error('test/docker-compose.yaml: no services:');
  const head = text
    .split('\n')
    .slice(0, start + 1)
    .join('\n');
  const body = text
    .split('\n')
    .slice(start + 1)
    .join('\n');
  const edited = upsertBlock(
    body,
    service,
    lines,
    line => /^ {2}([\w.-]+):\s*$/.exec(line)?.[1],
    line => /^\S/.test(line)
  );
  return `${head}\n${edited}`;
}

/** test/test-services.env: how the tests reach the service. */
export function editTestServicesEnv(
  text: string,
  variables: Record<string, string>
): string {
  const names = Object.keys(variables);
  const runVar = names.find(n => /^RUN_\w+_TESTS$/.test(n));
  if (!runVar) throw new Error('test-services.env: no RUN_<X>_TESTS');
  const lines = [...names.map(n => `${n}=${variables[n]}`), ''];
  return upsertBlock(
    text,
    runVar,
    lines,
    line => /^(RUN_\w+_TESTS)=/.exec(line)?.[1]
  );
}

/**
 * .github/component-label-map.yml: the `pkg:` label of the package, as
 * contrib's scripts/gen-component-label-map.mjs writes it for a package with
 * no workspace dependency (the check runs that script to compare).
 */
export function editComponentLabelMap(text: string, dir: string): string {
  const base = dir.replace(/^packages\//, '');
  const lines = [
    `pkg:${base}:`,
    '  - changed-files:',
    '      - any-glob-to-any-file:',
    `          - ${dir}/**`,
  ];
  return upsertBlock(
    text,
    base,
    lines,
    line => /^pkg:([\w.-]+):\s*$/.exec(line)?.[1],
    line => line.trim() === '' || /^(?!pkg:)\S/.test(line)
  );
}

/** The `pkg:<base>` block of a component-label-map.yml, or undefined. */
export function labelMapBlock(text: string, dir: string): string | undefined {
  const base = dir.replace(/^packages\//, '');
  const lines = text.split('\n');
  const start = lines.indexOf(`pkg:${base}:`);
  if (start === -1) return undefined;
  let end = start + 1;
  while (end < lines.length && /^\s+\S/.test(lines[end])) end++;
  return lines.slice(start, end).join('\n');
}
