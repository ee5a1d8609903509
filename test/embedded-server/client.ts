/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import Aerospike from 'aerospike';

// Shared bits of the embedded-server suites.

/** A quiet client with room for the suites' concurrency. */
export async function connectClient(
  hosts: string,
  extra: Record<string, unknown> = {}
): Promise<any> {
  return Aerospike.connect({
    hosts,
    log: { level: -1 },
    maxConnsPerNode: 300,
    ...extra,
  });
}

/** Calls `fn` with a node-style callback and resolves with its result. */
export function viaCallback<T>(
  fn: (cb: (err: any, result?: T) => void) => void
): Promise<T> {
  return new Promise((resolve, reject) =>
    fn((err, result) => (err ? reject(err) : resolve(result as T)))
  );
}

/** Waits until `check` returns true (polling), or fails after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 5000
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 20));
  }
}
