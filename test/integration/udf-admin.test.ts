/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { onEmbedded, uniqueName } from '../helpers/backend.ts';
import { testUdfModule } from '../helpers/udf.ts';
import { onlySpan, setupTelemetry, useClient } from '../helpers/otel.ts';

const telemetry = setupTelemetry();
const { Aerospike } = telemetry;
const set = uniqueName('udf');
const {
  dir: udfDir,
  module: moduleName,
  file: udfFile,
} = testUdfModule('otel_udf');

const db = useClient(telemetry, async client => {
  for (let i = 0; i < 3; i++) await client.put(key(`r${i}`), { i });
});

afterAll(async () => {
  await db.client?.udfRemove(`${moduleName}.lua`).catch(() => {});
});

function key(id: string) {
  return new Aerospike.Key('test', set, id);
}

function spanNames(): string[] {
  return telemetry.aerospikeSpans().map(s => s.name);
}

describe('UDF', () => {
  it('traces udfRegister and the job it returns', async () => {
    const job = await db.client.udfRegister(udfFile);
    await job.wait(50);
    const [span] = telemetry.aerospikeSpans();
    expect(span.name).toBe('UDF REGISTER');
    expect(span.attributes['db.operation.name']).toBe('UDF REGISTER');
    // Job.wait polls info: not traced by default.
    expect(spanNames()).toEqual(['UDF REGISTER']);
  });

  it('traces apply with the stored procedure name, not its arguments', async () => {
    const result = await db.client.apply(key('r0'), {
      module: moduleName,
      funcname: 'echo',
      args: ['secret-argument'],
    });
    expect(result).toBe('secret-argument');
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`APPLY test.${set}`);
    expect(span.attributes['db.stored_procedure.name']).toBe(
      `${moduleName}.echo`
    );
    expect(JSON.stringify(span.attributes)).not.toContain('secret-argument');
  });

  it('marks a failing UDF as an error', async () => {
    const error = await db.client
      .apply(key('r0'), {
        module: moduleName,
        funcname: 'fail',
        args: ['lua says no'],
      })
      .catch((e: any) => e);
    expect(error.code).toBe(Aerospike.status.ERR_UDF);
    const span = onlySpan(telemetry);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('100');
    expect(span.attributes['db.response.status_code']).toBe('100');
    // The Lua error text echoes the argument: only the location is kept.
    expect(error.message).toContain('lua says no');
    // The embedded server words failures as a real one does; a server
    // version that words them otherwise still gets no argument recorded.
    expect(span.status.message).toMatch(
      onEmbedded
        ? new RegExp(`^UDF failed at ${moduleName}\\.lua:\\d+$`)
        : /^UDF failed/
    );
    expect(JSON.stringify(span.events)).not.toContain('lua says no');
  });

  it('traces batchApply', async () => {
    const results = await db.client.batchApply([key('r0'), key('r1')], {
      module: moduleName,
      funcname: 'add_bin',
      args: ['tag', 'x'],
    });
    expect(results.map((r: any) => r.status)).toEqual([0, 0]);
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`BATCH APPLY test.${set}`);
    expect(span.attributes['db.stored_procedure.name']).toBe(
      `${moduleName}.add_bin`
    );
    expect(span.attributes['db.operation.batch.size']).toBe(2);
  });

  it('traces a background scan with a UDF as SCAN APPLY', async () => {
    const scan = db.client.scan('test', set);
    const job = await scan.background(moduleName, 'add_bin', ['bg', 1]);
    await job.wait(20);
    const span = telemetry
      .aerospikeSpans()
      .find(s => s.name === `SCAN APPLY test.${set}`);
    expect(span?.attributes['db.stored_procedure.name']).toBe(
      `${moduleName}.add_bin`
    );
  });
});

describe('query UDFs', () => {
  it('traces a background query with a UDF as QUERY APPLY', async () => {
    const query = db.client.query('test', set);
    const job = await query.background(moduleName, 'add_bin', ['qbg', 2]);
    await job.wait(20);
    const span = telemetry
      .aerospikeSpans()
      .find(s => s.name === `QUERY APPLY test.${set}`);
    expect(span?.attributes['db.stored_procedure.name']).toBe(
      `${moduleName}.add_bin`
    );
  });

  it('traces query aggregation as QUERY AGGREGATE, whatever its outcome', async () => {
    const query = db.client.query('test', set);
    const outcome = await query.apply(moduleName, 'echo', [1]).then(
      () => 'ok',
      (e: any) => e
    );
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`QUERY AGGREGATE test.${set}`);
    expect(span.attributes['db.stored_procedure.name']).toBe(
      `${moduleName}.echo`
    );
    if (outcome !== 'ok') {
      // The client runs the reduce step itself: without the module in its
      // modlua path it fails with its own (negative) code, not the server's.
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['error.type']).toBe(String(outcome.code));
      expect(span.attributes['db.response.status_code']).toBe(
        outcome.code > 0 ? String(outcome.code) : undefined
      );
    }
  });
});

// Transactions arrived in aerospike 6.0.
describe.skipIf(typeof Aerospike.Transaction !== 'function')(
  'transactions (aerospike 6.0 and later)',
  () => {
    it('traces commit and abort, including a status returned synchronously', async () => {
      const txn = new Aerospike.Transaction();
      const status = await db.client.commit(txn);
      expect(typeof status).toBe('number');
      expect(spanNames()).toEqual(['COMMIT']);

      telemetry.resetSpans();
      // Committing again answers ALREADY_COMMITTED at once, without I/O.
      const again = db.client.commit(txn);
      expect(again).toBe(Aerospike.commitStatus.ALREADY_COMMITTED);
      const [span] = telemetry.aerospikeSpans();
      expect(span.name).toBe('COMMIT');
      expect(span.status.code).toBe(SpanStatusCode.UNSET);

      telemetry.resetSpans();
      await db.client.abort(new Aerospike.Transaction());
      expect(spanNames()).toEqual(['ABORT']);
    });
  }
);

describe('admin operations', () => {
  it('traces createIndex variants as one CREATE INDEX span and indexRemove as DROP INDEX', async () => {
    const index = uniqueName('idx').replace(/-/g, '_');
    const job = await db.client.createStringIndex({
      ns: 'test',
      set,
      bin: 'name',
      index,
    });
    await job.wait(20);
    expect(spanNames()).toEqual([`CREATE INDEX test.${set}`]);

    telemetry.resetSpans();
    await db.client.indexRemove('test', index);
    const span = onlySpan(telemetry);
    expect(span.name).toBe('DROP INDEX test');
    expect(span.attributes['db.namespace']).toBe('test');
  });

  it('traces truncate of a set', async () => {
    const truncated = uniqueName('trunc');
    await db.client.put(new Aerospike.Key('test', truncated, 'x'), { v: 1 });
    telemetry.resetSpans();
    await db.client.truncate('test', truncated, 0);
    const span = onlySpan(telemetry);
    expect(span.name).toBe(`TRUNCATE test.${truncated}`);
    expect(span.attributes['db.collection.name']).toBe(truncated);
  });

  it('traces udfRemove', async () => {
    const other = `${moduleName}_rm.lua`;
    const path = join(udfDir, other);
    writeFileSync(path, 'function f(rec) return 1 end\n');
    const job = await db.client.udfRegister(path);
    await job.wait(20);
    telemetry.resetSpans();
    const removeJob = await db.client.udfRemove(other);
    await removeJob?.wait?.(20);
    expect(spanNames()[0]).toBe('UDF REMOVE');
  });
});
