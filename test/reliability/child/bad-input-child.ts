/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { context, diag, DiagLogLevel, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { PATIENT_POLICIES } from '../../helpers/policies.ts';
import { BAD_INPUT_CASES } from '../bad-inputs.ts';
import { HOSTILE_CONFIGS } from '../hostile-configs.ts';
import { Recorder } from '../observe.ts';

// `node --import ./register-ts.mjs bad-input-child.ts <bare|config label>
// <hosts> <first case>`: runs the bad-input cases from the given index,
// printing one JSON line per event, synchronously, so that whatever was
// seen before the client kills the process survives:
//   {"started": i}  {"case": i, "observations": [...]}  {"diag": "..."}
//   {"spans": {"started": n, "ended": m}}  "done"

const [mode, hosts, first] = process.argv.slice(2);
function print(line: unknown): void {
  // stdout may be a non-blocking pipe: write until all of it is out.
  const buf = Buffer.from(JSON.stringify(line) + '\n');
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(1, buf, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}
const require = createRequire(import.meta.url);

let started = 0;
let ended = 0;
if (mode !== 'bare') {
  const config = HOSTILE_CONFIGS[mode];
  if (config === undefined) throw new Error(`unknown config ${mode}`);
  const log = (...a: unknown[]) => print({ diag: a.map(String).join(' ') });
  diag.setLogger(
    {
      error: log,
      warn: log,
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN
  );
  context.setGlobalContextManager(
    new AsyncLocalStorageContextManager().enable()
  );
  const provider = new TracerProvider({
    spanProcessors: [
      {
        onStart: () => void started++,
        onEnd: () => void ended++,
        forceFlush: async () => {},
        shutdown: async () => {},
      },
      new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  const { AerospikeInstrumentation } = await import('../../../src/index.ts');
  new AerospikeInstrumentation(config);
}
const Aerospike = require(process.env.AEROSPIKE_MODULE || 'aerospike');
print({ wrapped: Boolean(Aerospike.Client.prototype.get.__wrapped) });
const client = await Aerospike.connect({
  hosts,
  log: { level: -1 },
  policies: PATIENT_POLICIES,
});
for (let i = Number(first); i < BAD_INPUT_CASES.length; i++) {
  print({ started: i });
  const r = new Recorder(3000);
  await BAD_INPUT_CASES[i].run({ Aerospike, client, r });
  print({ case: i, observations: r.observations });
}
await client.close();
// Spans of calls whose callbacks never come can stay open: report them.
print({ spans: { started, ended } });
print('done');
