/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { MatrixEntry } from './source.ts';

// .tav.yml for contrib's test-all-versions: the `aerospike` releases of this
// repository's version matrix (.ci/matrix.mjs), grouped by the Node.js
// versions they ship prebuilt binaries for (a version runs in the matrix on
// the newest Node.js major it has a binary for; older majors down to the
// package's minimum have binaries too).

export function generateTav(matrix: MatrixEntry[], engines: string): string {
  const minNode = Number(/(\d+)/.exec(engines)?.[1] ?? 22);
  const groups = new Map<number, string[]>();
  for (const { version, node } of matrix) {
    groups.set(node, [...(groups.get(node) ?? []), version]);
  }
  const blocks = [...groups]
    .sort(([a], [b]) => a - b)
    .map(([node, versions]) => {
      const sorted = versions.sort((a, b) =>
        a.localeCompare(b, 'en', { numeric: true })
      );
      const nodes =
        node === minNode
          ? `Node.js ${node} only`
          : `Node.js ${minNode} to ${node}`;
      return [
        `  # ${sorted.join(', ')}: prebuilt binaries for ${nodes}.`,
        '  - versions:',
        `      include: '${sorted.join(' || ')}'`,
        `    node: '>=${minNode} <${node + 1}'`,
        '    commands: npm test',
      ].join('\n');
    });
  return `aerospike:\n${blocks.join('\n')}\n`;
}
