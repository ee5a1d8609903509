/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { context, trace } from '@opentelemetry/api';
import {
  argValue,
  clientConfig,
  cpuMicros,
  loadInstrumentation,
  NAMESPACE,
  require,
  SCAN_RECORDS,
  SCAN_SET,
  SCAN_VARIANTS,
  setupSdk,
} from './common.ts';
import type { ScanVariant } from './common.ts';
import { createFloor } from './floor.ts';
import { switchPerRecord } from './switch.ts';

// End to end, whole scans in one client process (started by bench/run.ts):
//   node bench/scan.ts --hosts H --rounds N
// The recording SDK and context manager are registered once; each round
// runs one scan per variant, in an order rotated every round, and measures
// the CPU µs per record of each scan: `sdk` (the instrumentation disabled:
// the client's own methods), `instrumented` (enabled), `floor` (disabled,
// the hand-written floor around `foreach`), `with` and `resource`
// (disabled, only the bare context switch per record of bench/switch.ts).
// Back-to-back scans in one process keep the machine's drift out of the
// per-round differences. Each scan streams all SCAN_RECORDS records of
// SCAN_SET (seeded by bench/run.ts) to a `data` handler that counts them,
// inside a parent span, as a request handler would. Prints `RESULT {json}`.

export interface ScanResult {
  /** Per variant, CPU µs per record of each round's scan. */
  cpuUsPerRecord: Record<ScanVariant, number[]>;
}

async function main(): Promise<void> {
  const hosts = argValue('hosts')!;
  const rounds = Number(argValue('rounds') ?? 5);
  setupSdk();
  const { AerospikeInstrumentation } = loadInstrumentation();
  const instrumentation = new AerospikeInstrumentation();
  const Aerospike = require('aerospike');
  const client = await Aerospike.connect(clientConfig(hosts, 1));
  const [host, port] = clientConfig(hosts, 1).hosts.split(':');
  const floor = createFloor(host, Number(port));
  const tracer = trace.getTracer('bench');

  const scanOnce = (variant: ScanVariant) =>
    new Promise<number>((resolve, reject) => {
      const parent = tracer.startSpan('request');
      context.with(trace.setSpan(context.active(), parent), () => {
        const scan = client.scan(NAMESPACE, SCAN_SET);
        const stream =
          variant === 'floor'
            ? floor.stream('SCAN', scan, () => scan.foreach())
            : variant === 'with' || variant === 'resource'
              ? switchPerRecord(variant, scan.foreach())
              : scan.foreach();
        let records = 0;
        stream.on('data', () => {
          records++;
        });
        stream.on('error', reject);
        stream.on('end', () => {
          parent.end();
          if (records !== SCAN_RECORDS) {
            reject(new Error(`scan streamed ${records} records`));
          } else resolve(records);
        });
      });
    });
  const measure = async (variant: ScanVariant) => {
    if (variant === 'instrumented') instrumentation.enable();
    else instrumentation.disable();
    const cpu = process.cpuUsage();
    const records = await scanOnce(variant);
    return cpuMicros(cpu) / records;
  };

  for (const v of SCAN_VARIANTS) await measure(v); // warm-up
  const out = Object.fromEntries(
    SCAN_VARIANTS.map(v => [v, [] as number[]])
  ) as ScanResult['cpuUsPerRecord'];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < SCAN_VARIANTS.length; i++) {
      const v = SCAN_VARIANTS[(i + r) % SCAN_VARIANTS.length];
      out[v].push(await measure(v));
    }
  }
  await client.close();
  const result: ScanResult = { cpuUsPerRecord: out };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // The SDK's timers must not hold the process.
  process.exit(0);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
