/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Where `key` goes among `keys`, a list sorted in parts (contrib's lists
 * group resource detectors before instrumentations, say): next to the keys
 * sharing the longest prefix with it, in their order. Returns the index of
 * the key to insert before, or `keys.length` to append.
 */
export function insertionIndex(keys: readonly string[], key: string): number {
  if (keys.length === 0) return 0;
  const common = (a: string) => {
    let n = 0;
    while (n < a.length && n < key.length && a[n] === key[n]) n++;
    return n;
  };
  const best = Math.max(...keys.map(common));
  const neighbours = keys
    .map((k, index) => ({ k, index }))
    .filter(({ k }) => common(k) === best);
  const next = neighbours.find(({ k }) => k > key);
  return next ? next.index : neighbours[neighbours.length - 1].index + 1;
}
