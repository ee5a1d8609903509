/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { isWrapped } from '@opentelemetry/instrumentation';
import { CLIENT_OPERATIONS, STREAM_OPERATIONS } from '../../src/operations';

const require = createRequire(import.meta.url);
const libDir = dirname(
  require.resolve(process.env.AEROSPIKE_MODULE || 'aerospike')
);

/** Six calls, each one operation for the instrumentation (6 spans). */
export async function sixOperations(
  Aerospike: any,
  client: any,
  set: string
): Promise<void> {
  const key = new Aerospike.Key('test', set, 'k');
  await client.get(key);
  await new Promise<void>((resolve, reject) =>
    client.get(key, (err: unknown) => (err ? reject(err) : resolve()))
  );
  await client.append(key, { v: 'b' }); // calls operate internally
  await new Promise((resolve, reject) => {
    const stream = client.scan('test', set).foreach();
    stream.on('data', () => {});
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  await client.scan('test', set).results(); // calls foreach internally
  await client.batchGet([key, key]);
}

export function instrumentedFunctions(
  Aerospike: any
): Array<[string, any, string]> {
  const out: Array<[string, any, string]> = [];
  const add = (proto: any, methods: string[], file: string) => {
    for (const m of methods) {
      if (typeof proto[m] === 'function') out.push([`${file} ${m}`, proto, m]);
    }
  };
  add(
    Aerospike.Client.prototype,
    [...Object.keys(CLIENT_OPERATIONS), 'connect'],
    'client.js'
  );
  add(Aerospike.Query.prototype, Object.keys(STREAM_OPERATIONS), 'query.js');
  add(Aerospike.Scan.prototype, Object.keys(STREAM_OPERATIONS), 'scan.js');
  return out;
}

/** Every instrumented method is the client's own function, unwrapped. */
export function expectOriginals(Aerospike: any): Map<string, unknown> {
  const functions = new Map<string, unknown>();
  for (const [name, proto, method] of instrumentedFunctions(Aerospike)) {
    const fn = proto[method];
    const source = readFileSync(join(libDir, name.split(' ')[0]), 'utf8');
    expect(isWrapped(fn), name).toBe(false);
    expect(source.includes(Function.prototype.toString.call(fn)), name).toBe(
      true
    );
    functions.set(name, fn);
  }
  return functions;
}
