/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { onEmbedded, startBackend, uniqueName } from '../helpers/backend.ts';
import { BAD_INPUT_CASES } from './bad-inputs.ts';
import { HOSTILE_CONFIGS } from './hostile-configs.ts';
import { orderInsensitive } from './observe.ts';
import type { Observation } from './observe.ts';

// (3) Bad input: every kind of bad argument in BAD_INPUT_CASES runs with the
// bare client, then instrumented with the default config, with hooks that
// all throw and with invalid config values. The client's behaviour (what
// each call returns, throws, rejects with, passes to its callback, emits)
// must be the same every time; where the bare client kills the process
// (native aborts and segfaults, uncaught exceptions from the application's
// own callbacks), the instrumented one must die the same way. Every case
// runs in child processes for that reason: a series restarts after the
// case that killed it. Whatever goes wrong inside the instrumentation must
// go to the diag logger, and the instrumentation must not throw.

const childDir = fileURLToPath(new URL('./child/', import.meta.url));
/** This run's set: the children write there (bad-inputs.ts BAD_SET). */
const set = uniqueName('bad_input');
const CONFIG_LABELS = Object.keys(HOSTILE_CONFIGS);

const NATIVE_CRASH = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGFPE']);

let backend: Awaited<ReturnType<typeof startBackend>>;

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  await backend?.close();
});

type CaseResult =
  | { observations: unknown[] }
  | {
      died: { status: number | null; signal: string | null; uncaught?: string };
    };

/** On a real node, scan and query records in an order of no importance. */
function comparable(result: CaseResult): CaseResult {
  if (onEmbedded || !('observations' in result)) return result;
  return {
    observations: (result.observations as Observation[]).map(orderInsensitive),
  };
}

interface Series {
  results: CaseResult[];
  diag: string[];
  wrapped: boolean[];
  children: number;
  openSpans: number;
}

function runChild(
  mode: string,
  first: number
): Promise<{
  lines: any[];
  status: number | null;
  signal: string | null;
  stderr: string;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        './register-ts.mjs',
        'bad-input-child.ts',
        mode,
        backend.hosts,
        String(first),
      ],
      {
        cwd: childDir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, BAD_INPUT_SET: set },
      }
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', c => (stdout += c));
    child.stderr.on('data', c => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      try {
        const lines = stdout
          .split('\n')
          .filter(Boolean)
          .map(l => JSON.parse(l));
        resolve({ lines, status, signal, stderr });
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** All cases in one mode, restarting after each case that kills the child. */
/**
 * Every series starts from an empty set: a reset embedded server, or on a
 * real server the set truncated (what the previous series wrote).
 */
async function emptySet(): Promise<void> {
  if (backend.embedded !== undefined) {
    backend.embedded.reset();
    return;
  }
  const client = await Aerospike.connect({
    hosts: backend.hosts,
    log: { level: -1 },
  });
  try {
    // A node truncates what was written before the current millisecond.
    await new Promise(r => setTimeout(r, 5));
    await client.truncate('test', set, 0);
    for (let i = 0; i < 250; i++) {
      if ((await client.scan('test', set).results()).length === 0) return;
      await new Promise(r => setTimeout(r, 20));
    }
    throw new Error(`set ${set} not empty after truncate`);
  } finally {
    await client.close();
  }
}

async function runSeries(mode: string): Promise<Series> {
  await emptySet();
  const series: Series = {
    results: [],
    diag: [],
    wrapped: [],
    children: 0,
    openSpans: 0,
  };
  let first = 0;
  while (first < BAD_INPUT_CASES.length) {
    const { lines, status, signal, stderr } = await runChild(mode, first);
    series.children++;
    let last = -1;
    let done = false;
    for (const line of lines) {
      if (line === 'done') done = true;
      else if ('wrapped' in line) series.wrapped.push(line.wrapped);
      else if ('diag' in line) series.diag.push(line.diag);
      else if ('started' in line) last = line.started;
      else if ('case' in line)
        series.results[line.case] = { observations: line.observations };
      else if ('spans' in line)
        series.openSpans += line.spans.started - line.spans.ended;
    }
    if (done) break;
    if (last < first) {
      throw new Error(`child (${mode}) died before case ${first}: ${stderr}`);
    }
    series.results[last] = {
      died: {
        status,
        // Which of SIGSEGV and SIGABRT a native crash raises varies from
        // run to run (bare too): both are the same outcome here.
        signal: signal && NATIVE_CRASH.has(signal) ? 'native crash' : signal,
        uncaught: /^\w*Error: .*$/m.exec(stderr)?.[0],
      },
    };
    first = last + 1;
  }
  return series;
}

describe('bad input', () => {
  let bare: Series;
  const runs = new Map<string, Series>();

  beforeAll(async () => {
    bare = await runSeries('bare');
    for (const label of CONFIG_LABELS) runs.set(label, await runSeries(label));
  }, 180_000);

  it('the bare series ran every case, some of which kill the bare client', () => {
    expect(bare.results).toHaveLength(BAD_INPUT_CASES.length);
    expect(bare.wrapped.every(w => w === false)).toBe(true);
    expect(bare.diag).toEqual([]);
    const died = BAD_INPUT_CASES.filter((_, i) => 'died' in bare.results[i]);
    const calls = bare.results.reduce(
      (n, r) => n + ('observations' in r ? r.observations.length : 0),
      0
    );
    console.log(
      `bad input: ${BAD_INPUT_CASES.length} kinds of bad argument, ` +
        `${calls} calls observed bare, ${died.length} kinds kill the bare ` +
        `client: ${died.map(c => c.name).join('; ')}`
    );
    expect(
      BAD_INPUT_CASES.length + CONFIG_LABELS.length - 1
    ).toBeGreaterThanOrEqual(50);
  });

  for (const label of CONFIG_LABELS) {
    it(`behaves exactly like the bare client (${label})`, () => {
      const run = runs.get(label)!;
      expect(run.wrapped.every(w => w === true)).toBe(true);
      expect(run.results).toHaveLength(BAD_INPUT_CASES.length);
      for (let i = 0; i < BAD_INPUT_CASES.length; i++) {
        expect(comparable(run.results[i]), BAD_INPUT_CASES[i].name).toEqual(
          comparable(bare.results[i])
        );
      }
      // Problems of the instrumentation's own went to the diag logger.
      for (const m of run.diag) {
        expect(m).toMatch(
          /^@opentelemetry\/instrumentation-aerospike aerospike: /
        );
      }
      console.log(
        `bad input (${label}): ${BAD_INPUT_CASES.length} kinds identical to ` +
          `bare in ${run.children} child processes; ${run.diag.length} diag ` +
          `messages (${[...new Set(run.diag.map(d => d.split(' aerospike: ')[1]?.split(' Error')[0]))].join('; ')})`
      );
    });
  }

  it('reports each throwing hook through the diag logger', () => {
    const messages = runs.get('hooks that throw')!.diag;
    for (const hook of ['requestHook', 'responseHook', 'errorHook']) {
      expect(messages.some(m => m.includes(`${hook} threw`))).toBe(true);
    }
  });
});
