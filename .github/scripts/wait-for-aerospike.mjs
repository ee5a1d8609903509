/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Waits until the Aerospike server at $AEROSPIKE_HOSTS (first host) answers
// info with a partition generation and serves namespace `test`: the service
// port opens before the partitions are ready. Plain info protocol, no client.
//
//   node .github/scripts/wait-for-aerospike.mjs [timeoutSeconds]

import { Socket } from 'node:net';

const hosts = process.env.AEROSPIKE_HOSTS ?? '127.0.0.1:3000';
const first = hosts.split(',')[0];
const colon = first.lastIndexOf(':');
const host = first.slice(0, colon).replace(/^\[|\]$/g, '');
const port = Number(first.slice(colon + 1));
const timeoutMs = Number(process.argv[2] ?? 120) * 1000;

function info(text) {
  return new Promise((resolve, reject) => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = 2; // protocol version
    head[1] = 1; // info message
    head.writeUIntBE(body.length, 2, 6);
    const sock = new Socket();
    const chunks = [];
    sock.setTimeout(2000, () => sock.destroy(new Error('info timeout')));
    sock.on('error', reject);
    sock.on('data', chunk => {
      chunks.push(chunk);
      const all = Buffer.concat(chunks);
      if (all.length >= 8 && all.length >= 8 + all.readUIntBE(2, 6)) {
        sock.destroy();
        resolve(all.subarray(8).toString('utf8'));
      }
    });
    sock.connect(port, host, () => sock.write(Buffer.concat([head, body])));
  });
}

const deadline = Date.now() + timeoutMs;
let last = '';
for (;;) {
  last = await info('build\npartition-generation\nnamespaces\n').catch(err =>
    String(err.message)
  );
  const gen = /partition-generation\t(-?\d+)/.exec(last);
  if (gen && Number(gen[1]) >= 0 && /namespaces\t.*\btest\b/.test(last)) {
    const build = /build\t(\S+)/.exec(last)?.[1] ?? 'unknown';
    console.log(`aerospike ${build} ready at ${host}:${port}`);
    break;
  }
  if (Date.now() > deadline) {
    console.error(`aerospike at ${host}:${port} not ready: ${last}`);
    process.exit(1);
  }
  await new Promise(r => setTimeout(r, 1000));
}
