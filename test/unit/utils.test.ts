/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  buildStatusNames,
  countOkEntries,
  describeError,
  errorMessage,
  keyAttributeValue,
  parseServerAddress,
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

describe('parseServerAddress', () => {
  it.each([
    ['10.0.0.1:3100', '10.0.0.1', 3100],
    ['db.example:3000,db2.example:3000', 'db.example', 3000],
    ['  db.example:4000 , other:1', 'db.example', 4000],
    ['db.example', 'db.example', 3000],
    ['db.example:tls-name:4333', 'db.example', 4333],
    ['[::1]:3001', '::1', 3001],
    ['[2001:db8::1]:tls:4333', '2001:db8::1', 4333],
    ['[::1]', '::1', 3000],
    ['2001:db8::1', '2001:db8::1', 3000],
  ])('parses the first host of %j', (hosts, address, port) => {
    expect(parseServerAddress({ hosts })).toEqual({
      serverAddress: address,
      serverPort: port,
    });
  });

  it('uses config.port for hosts without a port', () => {
    expect(parseServerAddress({ hosts: 'db', port: 3500 })).toEqual({
      serverAddress: 'db',
      serverPort: 3500,
    });
    expect(parseServerAddress({ hosts: [{ addr: 'db' }], port: 3500 })).toEqual(
      { serverAddress: 'db', serverPort: 3500 }
    );
  });

  it('reads the first host of a host array, IPv6 without brackets', () => {
    expect(
      parseServerAddress({
        hosts: [
          { addr: '[::1]', port: 3100 },
          { addr: 'other', port: 1 },
        ],
      })
    ).toEqual({ serverAddress: '::1', serverPort: 3100 });
    expect(
      parseServerAddress({ hosts: [{ addr: '192.168.1.1', tlsname: 'x' }] })
    ).toEqual({ serverAddress: '192.168.1.1', serverPort: 3000 });
  });

  it.each([
    undefined,
    null,
    42,
    {},
    { hosts: '' },
    { hosts: [] },
    { hosts: [null] },
    { hosts: [{}] },
    { hosts: '[::1' },
  ])('returns nothing for unusable config %j', config => {
    expect(parseServerAddress(config)).toEqual({});
  });

  it('ignores an invalid port and falls back to the default', () => {
    expect(parseServerAddress({ hosts: 'db:notaport' })).toEqual({
      serverAddress: 'db',
      serverPort: 3000,
    });
    expect(parseServerAddress({ hosts: 'db:70000' })).toEqual({
      serverAddress: 'db',
      serverPort: 3000,
    });
  });
});

describe('buildStatusNames and describeError', () => {
  const status = {
    AEROSPIKE_ERR_RECORD_NOT_FOUND: 2,
    ERR_RECORD_NOT_FOUND: 2,
    AEROSPIKE_ERR_ENTERPRISE_ONLY: 25,
    ERR_ENTERPRISE_ONLY: 25,
    ERR_FAIL_ENTERPRISE_ONLY: 25,
    ERR_TIMEOUT: 9,
    OK: 0,
    notACode: 'x',
  };
  const names = buildStatusNames(status);

  it('maps codes to unprefixed constant names, first name winning', () => {
    expect(names.get(2)).toBe('ERR_RECORD_NOT_FOUND');
    expect(names.get(25)).toBe('ERR_ENTERPRISE_ONLY');
    expect(names.get(9)).toBe('ERR_TIMEOUT');
    expect(names.size).toBe(4);
  });

  it('describes an AerospikeError by its status name and code', () => {
    expect(describeError(new AerospikeError('nf', 2), names)).toEqual({
      errorType: 'ERR_RECORD_NOT_FOUND',
      statusCode: '2',
    });
  });

  it('falls back to the class name for unknown codes', () => {
    expect(describeError(new AerospikeError('x', 12345), names)).toEqual({
      errorType: 'AerospikeError',
      statusCode: '12345',
    });
  });

  it('uses the class name of other errors, without a status code', () => {
    expect(describeError(new TypeError('bad'), names)).toEqual({
      errorType: 'TypeError',
    });
    expect(describeError(Object.create(null), names)).toEqual({
      errorType: 'Error',
    });
    expect(describeError('text', names)).toEqual({ errorType: 'Error' });
    expect(describeError(42, names)).toEqual({ errorType: 'number' });
  });

  it('tolerates a missing status table', () => {
    expect(buildStatusNames(undefined).size).toBe(0);
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
    expect(readTarget('key', [key], undefined)).toEqual({
      namespace: 'test',
      set: 'users',
      key,
    });
  });

  it('survives a key that is not an object', () => {
    expect(readTarget('key', [null], undefined)).toEqual({ key: null });
    expect(readTarget('key', [], undefined)).toEqual({ key: undefined });
  });

  it('names what every key of a batch shares, and its size', () => {
    const keys = [
      { ns: 'test', set: 'a' },
      { ns: 'test', set: 'a' },
    ];
    expect(readTarget('keys', [keys], undefined)).toEqual({
      namespace: 'test',
      set: 'a',
      batchSize: 2,
    });
    expect(
      readTarget('keys', [[...keys, { ns: 'test', set: 'b' }]], undefined)
    ).toEqual({ namespace: 'test', set: undefined, batchSize: 3 });
    expect(
      readTarget('keys', [[...keys, { ns: 'bar', set: 'a' }]], undefined)
    ).toEqual({ namespace: undefined, set: undefined, batchSize: 3 });
  });

  it('reads batch records through their key, tolerating junk entries', () => {
    const records = [{ key: { ns: 'test', set: 's' } }, null, 7];
    expect(readTarget('records', [records], undefined)).toEqual({
      namespace: undefined,
      set: undefined,
      batchSize: 3,
    });
    expect(readTarget('records', [[]], undefined)).toEqual({
      namespace: undefined,
      set: undefined,
      batchSize: 0,
    });
    expect(readTarget('records', ['nope'], undefined)).toEqual({});
  });

  it('reads namespace and set arguments, index options and queries', () => {
    expect(readTarget('namespaceSet', ['test', 'users'], undefined)).toEqual({
      namespace: 'test',
      set: 'users',
    });
    expect(readTarget('namespaceSet', ['test', null], undefined)).toEqual({
      namespace: 'test',
      set: undefined,
    });
    expect(readTarget('namespace', ['test', 'idx'], undefined)).toEqual({
      namespace: 'test',
    });
    expect(
      readTarget('indexOptions', [{ ns: 'test', set: 's', bin: 'b' }], null)
    ).toEqual({ namespace: 'test', set: 's' });
    expect(readTarget('queryObject', [], { ns: 'test', set: 'q' })).toEqual({
      namespace: 'test',
      set: 'q',
    });
    expect(readTarget('none', ['x'], undefined)).toEqual({});
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
        requireParentSpan: null,
        traceInfo: 1,
        responseHook: 42,
        errorHook: {},
        enabled: true,
      },
      w => warnings.push(w)
    );
    expect(clean).toEqual({ enabled: true });
    expect(warnings).toHaveLength(5);
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
