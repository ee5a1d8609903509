/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// Zero-code entry point:
//
//   node --require @opentelemetry/instrumentation-aerospike/register app.js
//   node --import @opentelemetry/instrumentation-aerospike/register app.mjs
//
// Starts the OpenTelemetry Node SDK configured by the standard OTEL_*
// environment variables, with this instrumentation (and the set of
// @opentelemetry/auto-instrumentations-node when that is installed). It is
// CommonJS on purpose: one implementation serves `--require` and `--import`
// (importing a CommonJS file is fine), and it can resolve its own optional
// dependencies synchronously, before the application's first line runs.
import * as nodeModule from 'node:module';
import { pathToFileURL } from 'node:url';
import { isInternalThread } from 'node:worker_threads';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { withoutOtherCopies } from './register-utils';
import { PACKAGE_NAME } from './version';

const PREFIX = `${PACKAGE_NAME}/register:`;
const STARTED = Symbol.for(`${PACKAGE_NAME}/register`);
const requireHere = nodeModule.createRequire(__filename);

/** `require` that answers undefined when `name` itself is not installed. */
function loadOptional<T>(name: string): T | undefined {
  try {
    return requireHere(name) as T;
  } catch (err) {
    const firstLine = String((err as Error)?.message).split('\n')[0];
    if (
      (err as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' &&
      firstLine.includes(`'${name}'`)
    ) {
      return undefined;
    }
    throw err;
  }
}

function envFlag(name: string): boolean {
  return process.env[name]?.trim().toLowerCase() === 'true';
}

function envList(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * The import-in-the-middle loader hook, for the other instrumentations' ES
 * module support. `aerospike` itself does not need it: an `import` of the
 * CommonJS package still loads its inner files with `require`, and that is
 * where this instrumentation patches.
 */
function registerEsmHook(): void {
  if (typeof nodeModule.register !== 'function') return;
  nodeModule.register(
    pathToFileURL(
      requireHere.resolve('@opentelemetry/instrumentation/hook.mjs')
    )
  );
}

/** Shuts the SDK down once, whoever asks first. */
function shutdownOnce(sdk: NodeSDK): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= sdk.shutdown().catch(err => {
      process.stderr.write(`${PREFIX} shutdown failed: ${String(err)}\n`);
    }));
}

function start(): void {
  // The loader-hooks thread runs `--require` preloads again: not there.
  if (isInternalThread) return;
  const g = globalThis as Record<symbol, unknown>;
  if (g[STARTED]) return; // both --require and --import
  g[STARTED] = true;
  if (envFlag('OTEL_SDK_DISABLED')) return;

  const missing = ['@opentelemetry/api', '@opentelemetry/sdk-node'].filter(
    name => !loadOptional(name)
  );
  if (missing.length > 0) {
    const are = missing.length > 1 ? 'are' : 'is';
    process.stderr.write(
      `${PREFIX} ${missing.join(' and ')} ${are} not installed, so ` +
        `telemetry is off; install with: npm install ${missing.join(' ')}\n`
    );
    return;
  }
  const { NodeSDK: Sdk } = requireHere(
    '@opentelemetry/sdk-node'
  ) as typeof import('@opentelemetry/sdk-node');
  const { AerospikeInstrumentation } = requireHere(
    './instrumentation'
  ) as typeof import('./instrumentation');
  const auto = loadOptional<{
    getNodeAutoInstrumentations(): Instrumentation[];
  }>('@opentelemetry/auto-instrumentations-node');

  if (auto) registerEsmHook();

  const own = envList('OTEL_NODE_DISABLED_INSTRUMENTATIONS').includes(
    'aerospike'
  )
    ? []
    : [new AerospikeInstrumentation()];
  const instrumentations = withoutOtherCopies(
    own,
    auto ? auto.getNodeAutoInstrumentations() : []
  );

  const sdk = new Sdk({ instrumentations });
  sdk.start();
  const shutdown = shutdownOnce(sdk);

  // Natural exit: the loop is empty; flushing keeps it alive until done,
  // then the process exits with the application's exit code.
  process.once('beforeExit', () => void shutdown());
  // A signal: flush, then let the default action (or the application's own
  // listeners, when it has any) decide, exactly as without this module.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown().finally(() => {
        if (process.listenerCount(signal) === 0) {
          process.kill(process.pid, signal);
        }
      });
    });
  }
}

start();
