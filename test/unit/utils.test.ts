/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_OPERATIONS, streamOperations } from '../../src/operations';
import type { OperationSpec } from '../../src/internal-types';
import {
  countOkEntries,
  describeError,
  errorMessage,
  keyAttributeValue,
  operationName,
  querySummary,
  readBatchKeys,
  readProcedure,
  readTarget,
  sanitizeConfig,
} from '../../src/utils';

class AerospikeError extends Error {
  code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

/** A table row with only the fields readTarget reads. */
const row = (target: OperationSpec['target']): OperationSpec => ({
  operation: 'X',
  target,
  result: 'none',
  completion: 'call',
});

describe('describeError', () => {
  it('types an AerospikeError by its status code, as db.response.status_code', () => {
    expect(describeError(new AerospikeError('nf', 2))).toEqual({
      'error.type': '2',
      'db.response.status_code': '2',
    });
    // A UDF failure's text is Lua's, whatever it looks like: no peer read.
    expect(
      describeError(new AerospikeError('10.0.0.7:3100 in users.lua:3', 100))
    ).toEqual({
      'error.type': '100',
      'db.response.status_code': '100',
    });
  });

  it('gives client-side codes as error.type only: the server did not answer them', () => {
    expect(describeError(new AerospikeError('Not connected.', -1))).toEqual({
      'error.type': '-1',
    });
    expect(describeError(new AerospikeError('Batch failed', -16))).toEqual({
      'error.type': '-16',
    });
  });

  it('adds the node the message names as network.peer.*', () => {
    expect(
      describeError(
        new AerospikeError(
          '10.0.0.7:3100 Record does not exist in database.',
          2
        )
      )
    ).toEqual({
      'error.type': '2',
      'db.response.status_code': '2',
      'network.peer.address': '10.0.0.7',
      'network.peer.port': 3100,
    });
    expect(
      describeError(
        new AerospikeError(
          'Client timeout: iterations=2 lastNode=[::1]:3000',
          9
        )
      )
    ).toMatchObject({
      'network.peer.address': '::1',
      'network.peer.port': 3000,
    });
  });

  it('uses the class name of other errors, and _OTHER when there is none', () => {
    expect(describeError(new TypeError('bad'))).toEqual({
      'error.type': 'TypeError',
    });
    // An error whose code is not a number, or is 0, is typed by its class.
    expect(describeError(new AerospikeError('x', 0))).toEqual({
      'error.type': 'AerospikeError',
    });
    expect(describeError(Object.create(null))).toEqual({
      'error.type': '_OTHER',
    });
    expect(describeError('text')).toEqual({ 'error.type': '_OTHER' });
    expect(describeError(42)).toEqual({ 'error.type': '_OTHER' });
  });
});

describe('keyAttributeValue', () => {
  const digest = Buffer.from('0123456789abcdef0123', 'latin1');
  it.each([
    [{ ns: 'test', key: 'user-1' }, 'user-1'],
    [{ ns: 'test', key: 42 }, 42],
    [{ ns: 'test', key: 12345678901234567890n }, '12345678901234567890'],
    [{ ns: 'test', key: Buffer.from([0xca, 0xfe]) }, 'cafe'],
    [{ ns: 'test', digest }, digest.toString('hex')],
  ])('renders key #%#', (key, expected) => {
    expect(keyAttributeValue(key)).toEqual(expected);
  });

  it.each([null, undefined, 'k', {}, { key: {} }])(
    'returns nothing for %j',
    key => {
      expect(keyAttributeValue(key)).toBeUndefined();
    }
  );
});

describe('readTarget', () => {
  it('reads a key', () => {
    const key = { ns: 'test', set: 'users', key: 1 };
    expect(readTarget(row('key'), [key], undefined)).toEqual({
      namespace: 'test',
      set: 'users',
      key,
    });
  });

  it('survives a key that is not an object', () => {
    expect(readTarget(row('key'), [null], undefined)).toEqual({ key: null });
    expect(readTarget(row('key'), [], undefined)).toEqual({ key: undefined });
  });

  it('names what every key of a batch shares, and its size', () => {
    const keys = [
      { ns: 'test', set: 'a' },
      { ns: 'test', set: 'a' },
    ];
    expect(readTarget(row('keys'), [keys], undefined)).toEqual({
      namespace: 'test',
      set: 'a',
      batchSize: 2,
    });
    expect(
      readTarget(row('keys'), [[...keys, { ns: 'test', set: 'b' }]], undefined)
    ).toEqual({ namespace: 'test', set: undefined, batchSize: 3 });
    expect(
      readTarget(row('keys'), [[...keys, { ns: 'bar', set: 'a' }]], undefined)
    ).toEqual({ namespace: undefined, set: undefined, batchSize: 3 });
  });

  it('reads batch records through their key, tolerating junk entries', () => {
    const records = [{ key: { ns: 'test', set: 's' } }, null, 7];
    expect(readTarget(row('records'), [records], undefined)).toEqual({
      namespace: undefined,
      set: undefined,
      batchSize: 3,
    });
    expect(readTarget(row('records'), [[]], undefined)).toEqual({
      namespace: undefined,
      set: undefined,
      batchSize: 0,
    });
    expect(readTarget(row('records'), ['nope'], undefined)).toEqual({});
  });

  it('reads namespace and set arguments, index options and queries', () => {
    expect(
      readTarget(row('namespaceSet'), ['test', 'users'], undefined)
    ).toEqual({
      namespace: 'test',
      set: 'users',
    });
    expect(readTarget(row('namespaceSet'), ['test', null], undefined)).toEqual({
      namespace: 'test',
      set: undefined,
    });
    expect(readTarget(row('namespace'), ['test', 'idx'], undefined)).toEqual({
      namespace: 'test',
    });
    expect(
      readTarget(
        row('indexOptions'),
        [{ ns: 'test', set: 's', bin: 'b' }],
        null
      )
    ).toEqual({ namespace: 'test', set: 's' });
    expect(
      readTarget(row('queryObject'), [], { ns: 'test', set: 'q' })
    ).toEqual({
      namespace: 'test',
      set: 'q',
    });
    expect(readTarget(row('none'), ['x'], undefined)).toEqual({});
  });
});

describe('batch calls (semantic-conventions #3811)', () => {
  const k = (id: string, set = 'users', ns = 'test') => ({ ns, set, key: id });
  const READ = 0;
  const WRITE = 1;
  const APPLY = 2;
  const REMOVE = 3;
  const udf = { module: 'profiles', funcname: 'touch', args: [] };

  /** What the wrapper derives from a call of `method` with `args`. */
  function model(method: string, args: unknown[]) {
    const spec = CLIENT_OPERATIONS[method];
    const target = readTarget(spec, args, undefined);
    const operation = operationName(spec, target);
    return {
      operation,
      summary: querySummary(operation, target.namespace, target.set),
      batchSize:
        target.batchSize === 1 ? undefined : (target.batchSize ?? undefined),
      procedure: target.procedure,
    };
  }

  it.each([
    ['batchGet', 'GET', [[k('a'), k('b')]]],
    ['batchExists', 'EXISTS', [[k('a'), k('b')]]],
    ['batchSelect', 'SELECT', [[k('a'), k('b')], ['name']]],
    ['batchRemove', 'REMOVE', [[k('a'), k('b')]]],
    ['batchApply', 'APPLY', [[k('a'), k('b')], udf]],
  ])(
    '%s of two keys is a batch of two %s',
    (method, entry, args: unknown[]) => {
      expect(model(method, args)).toMatchObject({
        operation: `BATCH ${entry}`,
        summary: `BATCH ${entry} test.users`,
        batchSize: 2,
      });
    }
  );

  it.each([
    ['batchGet', 'GET', [[k('a')]]],
    ['batchExists', 'EXISTS', [[k('a')]]],
    ['batchSelect', 'SELECT', [[k('a')], ['name']]],
    ['batchRemove', 'REMOVE', [[k('a')]]],
    ['batchApply', 'APPLY', [[k('a')], udf]],
  ])(
    '%s of one key is that one %s, not a batch',
    (method, entry, args: unknown[]) => {
      expect(model(method, args)).toEqual({
        operation: entry,
        summary: `${entry} test.users`,
        batchSize: undefined,
        procedure: undefined,
      });
    }
  );

  it('keeps the key of a one-entry batch, for captureKey', () => {
    const key = k('a');
    const spec = CLIENT_OPERATIONS.batchRead;
    expect(readTarget(spec, [[{ key, readAllBins: true }]], null).key).toBe(
      key
    );
    expect(readTarget(spec, [[{ key }, { key }]], null).key).toBeUndefined();
  });

  it.each([
    ['batchGet', 'BATCH GET'],
    ['batchExists', 'BATCH EXISTS'],
    ['batchRead', 'BATCH READ'],
    ['batchWrite', 'BATCH WRITE'],
  ])('%s of nothing is an empty batch: %s, size 0', (method, operation) => {
    expect(model(method, [[]])).toMatchObject({
      operation,
      summary: operation,
      batchSize: 0,
    });
  });

  it('names batchRead entries as the C client sends a single record', () => {
    const read = (record: object) =>
      model('batchRead', [[{ key: k('a'), ...record }]]).operation;
    expect(read({ readAllBins: true })).toBe('GET');
    expect(read({ bins: ['name'] })).toBe('SELECT');
    expect(read({ bins: ['name'], readAllBins: true })).toBe('SELECT');
    expect(read({ ops: [] })).toBe('OPERATE');
    expect(read({ ops: [{}], readAllBins: true })).toBe('OPERATE');
    expect(read({})).toBe('EXISTS');
    expect(read({ bins: [] })).toBe('EXISTS');
    // batchRead reads every record whatever its type says.
    expect(read({ type: WRITE, readAllBins: true })).toBe('GET');
  });

  it('gives batchRead BATCH {op} when all entries agree, BATCH READ otherwise', () => {
    const all = [
      { key: k('a'), readAllBins: true },
      { key: k('b'), readAllBins: true },
    ];
    expect(model('batchRead', [all])).toEqual({
      operation: 'BATCH GET',
      summary: 'BATCH GET test.users',
      batchSize: 2,
      procedure: undefined,
    });
    const mixed = [...all, { key: k('c', 'other'), bins: ['name'] }];
    expect(model('batchRead', [mixed])).toEqual({
      operation: 'BATCH READ',
      summary: 'BATCH READ test',
      batchSize: 3,
      procedure: undefined,
    });
  });

  it('names batchWrite entries by their type', () => {
    const write = (record: object) =>
      model('batchWrite', [[{ key: k('a'), ...record }]]);
    expect(write({ type: READ, readAllBins: true }).operation).toBe('GET');
    expect(write({ type: WRITE, ops: [] }).operation).toBe('OPERATE');
    expect(write({ type: APPLY, udf })).toMatchObject({
      operation: 'APPLY',
      procedure: 'profiles.touch',
    });
    expect(write({ type: REMOVE }).operation).toBe('REMOVE');
    // An entry the client rejects names nothing: the method's term stays.
    expect(write({ type: 99 }).operation).toBe('BATCH WRITE');
  });

  it('gives batchWrite the UDF its entries share, only when they all call it', () => {
    const apply = (id: string, fn = 'touch') => ({
      type: APPLY,
      key: k(id),
      udf: { module: 'profiles', funcname: fn },
    });
    expect(model('batchWrite', [[apply('a'), apply('b')]])).toEqual({
      operation: 'BATCH APPLY',
      summary: 'BATCH APPLY test.users',
      batchSize: 2,
      procedure: 'profiles.touch',
    });
    expect(
      model('batchWrite', [[apply('a'), apply('b', 'other')]])
    ).toMatchObject({ operation: 'BATCH APPLY', procedure: undefined });
    expect(
      model('batchWrite', [[apply('a'), { type: REMOVE, key: k('b') }]])
    ).toEqual({
      operation: 'BATCH WRITE',
      summary: 'BATCH WRITE test.users',
      batchSize: 2,
      procedure: undefined,
    });
  });

  it('leaves single-record and stream operations as the table names them', () => {
    expect(model('get', [k('a')]).operation).toBe('GET');
    const query = streamOperations('QUERY').foreach;
    expect(operationName(query, {})).toBe('QUERY');
  });
});

describe('readBatchKeys', () => {
  it('returns the keys as passed', () => {
    const keys = [{ ns: 'test' }];
    expect(readBatchKeys('keys', [keys])).toBe(keys);
    const key = { ns: 'test' };
    expect(readBatchKeys('records', [[{ key }, null]])).toEqual([
      key,
      undefined,
    ]);
    expect(readBatchKeys('records', [undefined])).toBeUndefined();
  });
});

describe('readProcedure', () => {
  it('reads module.function', () => {
    expect(
      readProcedure('udfObjectArg1', [{}, { module: 'm', funcname: 'f' }])
    ).toBe('m.f');
    expect(readProcedure('moduleFunctionArgs', ['m', 'f'])).toBe('m.f');
  });
  it('returns nothing when incomplete', () => {
    expect(readProcedure('udfObjectArg1', [{}, null])).toBeUndefined();
    expect(
      readProcedure('udfObjectArg1', [{}, { module: 'm' }])
    ).toBeUndefined();
    expect(readProcedure('moduleFunctionArgs', ['m'])).toBeUndefined();
  });
});

describe('querySummary', () => {
  it('names operation, namespace and set', () => {
    expect(querySummary('GET', 'test', 'users')).toBe('GET test.users');
    expect(querySummary('BATCH READ', 'test', undefined)).toBe(
      'BATCH READ test'
    );
    expect(querySummary('INFO', undefined, undefined)).toBe('INFO');
    expect(querySummary('INFO', undefined, 'ignored')).toBe('INFO');
  });
});

describe('countOkEntries', () => {
  it('counts entries whose status is OK', () => {
    expect(
      countOkEntries([{ status: 0 }, { status: 2 }, { status: 0 }, null])
    ).toBe(2);
    expect(countOkEntries([])).toBe(0);
    expect(countOkEntries(undefined)).toBeUndefined();
  });
});

describe('errorMessage', () => {
  it('keeps the message of ordinary errors', () => {
    expect(errorMessage(new Error('Record does not exist'), '2')).toEqual({
      text: 'Record does not exist',
      redacted: false,
    });
    expect(errorMessage('text')).toEqual({ text: 'text', redacted: false });
    expect(errorMessage(42)).toEqual({ text: undefined, redacted: false });
  });

  it('keeps only the location of a UDF failure', () => {
    expect(
      errorMessage(
        new Error(
          '127.0.0.1:3000 /opt/aerospike/usr/udf/lua/users.lua:12: bad secret-42'
        ),
        '100'
      )
    ).toEqual({ text: 'UDF failed at users.lua:12', redacted: true });
    expect(errorMessage(new Error('UDF: Execution Error 1'), '100')).toEqual({
      text: 'UDF failed',
      redacted: true,
    });
  });
});

describe('sanitizeConfig', () => {
  it('keeps valid options untouched', () => {
    const requestHook = () => {};
    const config = { captureKey: true, traceInfo: false, requestHook };
    const warnings: string[] = [];
    expect(sanitizeConfig(config, w => warnings.push(w))).toEqual(config);
    expect(warnings).toEqual([]);
  });

  it('drops options of the wrong type, warning once for each', () => {
    const warnings: string[] = [];
    const clean = sanitizeConfig(
      {
        captureKey: 'yes',
        captureReturnedRows: 'no',
        requireParentSpan: null,
        traceInfo: 1,
        responseHook: 42,
        errorHook: {},
        enabled: true,
      },
      w => warnings.push(w)
    );
    expect(clean).toEqual({ enabled: true });
    expect(warnings).toHaveLength(6);
    expect(warnings).toContain(
      'aerospike: ignoring config.captureReturnedRows: expected a boolean'
    );
    expect(warnings[0]).toBe(
      'aerospike: ignoring config.requireParentSpan: expected a boolean'
    );
  });

  it('replaces a config that is not an object', () => {
    const warnings: string[] = [];
    expect(sanitizeConfig('captureKey', w => warnings.push(w))).toEqual({});
    expect(warnings).toHaveLength(1);
    expect(sanitizeConfig(undefined, w => warnings.push(w))).toEqual({});
    expect(warnings).toHaveLength(1);
  });
});
