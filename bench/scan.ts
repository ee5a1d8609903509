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
  setupSdk,
} from './common.ts';
import { createFloor } from './floor.ts';
import { switchPerRecord } from './switch.ts';

// End to end, a whole scan in one client process (started by bench/run.ts):
//   node bench/scan.ts --variant sdk|instrumented|floor|with|resource
//     --hosts H --scans N
// Every variant registers the same recording SDK and context manager;
// `instrumented` adds the instrumentation, `floor` the hand-written floor
// around `foreach`, `with` and `resource` only the bare context switch per
// record of bench/switch.ts. Each scan streams all SCAN_RECORDS records of SCAN_SET
// (seeded by bench/run.ts) to a `data` handler that counts them, inside a
// parent span, as a request handler would. Prints `RESULT {json}` with the
// client's CPU µs per record over the measured scans.

export type ScanVariant =
  'sdk' | 'instrumented' | 'floor' | 'with' | 'resource';
const VARIANTS: ScanVariant[] = [
  'sdk',
  'instrumented',
  'floor',
  'with',
  'resource',
];

export interface ScanResult {
  variant: ScanVariant;
  cpuUsPerRecord: number;
  records: number;
}

async function main(): Promise<void> {
  const variant = argValue('variant') as ScanVariant;
  const hosts = argValue('hosts')!;
  const scans = Number(argValue('scans') ?? 5);
  if (!VARIANTS.includes(variant)) {
    throw new Error(`unknown variant ${variant}`);
  }
  setupSdk();
  if (variant === 'instrumented') {
    const { AerospikeInstrumentation } = loadInstrumentation();
    new AerospikeInstrumentation();
  }
  const Aerospike = require('aerospike');
  const client = await Aerospike.connect(clientConfig(hosts, 1));
  const [host, port] = clientConfig(hosts, 1).hosts.split(':');
  const floor =
    variant === 'floor' ? createFloor(host, Number(port)) : undefined;
  const tracer = trace.getTracer('bench');

  const scanOnce = () =>
    new Promise<number>((resolve, reject) => {
      const parent = tracer.startSpan('request');
      context.with(trace.setSpan(context.active(), parent), () => {
        const scan = client.scan(NAMESPACE, SCAN_SET);
        const stream = floor
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

  for (let i = 0; i < 2; i++) await scanOnce(); // warm-up
  let records = 0;
  const cpu = process.cpuUsage();
  for (let i = 0; i < scans; i++) records += await scanOnce();
  const micros = cpuMicros(cpu);
  await client.close();
  const out: ScanResult = {
    variant,
    cpuUsPerRecord: micros / records,
    records,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  // The SDK's timers must not hold the process.
  process.exit(0);
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
