/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// `npm run bench:server [-- --seconds N --concurrency C]`: starts the
// embedded server in a child process and drives single-record `get`s at it
// from this process with the real client, then prints ops/s.

const require = createRequire(import.meta.url);
const Aerospike = require('aerospike');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 64);
const KEYS = 1000;

async function startChild(): Promise<{ hosts: string; stop(): void }> {
  const cli = fileURLToPath(new URL('../test/server/cli.ts', import.meta.url));
  const child = spawn(process.execPath, [cli, '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hosts = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', code => reject(new Error(`server exited (${code})`)));
  });
  return { hosts, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const server = await startChild();
  const client = await Aerospike.connect({
    hosts: server.hosts,
    log: { level: -1 },
    maxConnsPerNode: CONCURRENCY * 2,
  });
  try {
    const keys = Array.from(
      { length: KEYS },
      (_, i) => new Aerospike.Key('test', 'bench', i)
    );
    for (const k of keys) {
      await client.put(k, { i: 1, s: 'some string value', d: 1.5 });
    }
    // Warm-up: open the connections and let both JITs settle.
    let stop = Date.now() + 1000;
    let ops = 0;
    let errors = 0;
    const worker = async (id: number): Promise<void> => {
      let n = id;
      while (Date.now() < stop) {
        try {
          await client.get(keys[n % KEYS]);
          ops++;
        } catch {
          errors++;
        }
        n += CONCURRENCY;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));
    ops = 0;
    errors = 0;
    const start = Date.now();
    stop = start + SECONDS * 1000;
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));
    const elapsed = (Date.now() - start) / 1000;
    const rate = Math.round(ops / elapsed);
    console.log(
      `get: ${rate} ops/s (${ops} ops in ${elapsed.toFixed(1)} s, concurrency ${CONCURRENCY}, ${errors} errors)`
    );
  } finally {
    await client.close();
    server.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
