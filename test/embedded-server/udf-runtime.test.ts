/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Unit tests of the embedded server's Lua record-UDF runtime (no client).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AsDouble,
  AsGeoJSON,
  AsMap,
  type Bins,
  type Value,
} from '../server/codec/values.ts';
import { ResultCode, ServerError } from '../server/engine/errors.ts';
import {
  LuaUdfRuntime,
  UdfExecutionError,
  UdfRegisterError,
  type UdfOutcome,
  type UdfRecord,
} from '../server/udf/runtime.ts';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'udf');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

function rec(bins: Record<string, Value> = {}, extra: Partial<UdfRecord> = {}) {
  const record: UdfRecord = {
    exists: true,
    bins: new Map(Object.entries(bins)) as Bins,
    gen: 7,
    ttl: 3600,
    digest: Buffer.alloc(20, 0xab),
    setName: 'demo',
    key: 'user-1',
    ...extra,
  };
  return record;
}

const missing = () =>
  rec({}, { exists: false, gen: 0, ttl: 0, setName: '', key: undefined });

function failure(fn: () => unknown): UdfExecutionError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UdfExecutionError);
    expect(e).toBeInstanceOf(ServerError);
    expect((e as ServerError).code).toBe(ResultCode.UDF_ERROR);
    return e as UdfExecutionError;
  }
  throw new Error('expected the UDF to fail');
}

function registerError(fn: () => unknown): UdfRegisterError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UdfRegisterError);
    return e as UdfRegisterError;
  }
  throw new Error('expected the registration to fail');
}

describe('LuaUdfRuntime: module registry', () => {
  it('registers, lists with SHA-1 hashes, replaces and removes modules', () => {
    const rt = new LuaUdfRuntime();
    const a = 'function f(rec) return 1 end';
    const b = 'function g(rec) return 2 end';
    rt.register('a.lua', a);
    rt.register('b.lua', b);
    expect(rt.list()).toEqual([
      { filename: 'a.lua', hash: sha1(a) },
      { filename: 'b.lua', hash: sha1(b) },
    ]);
    expect(rt.has('a.lua')).toBe(true);
    expect(rt.has('c.lua')).toBe(false);
    expect(rt.source('b.lua')).toBe(b);

    const a2 = 'function f(rec) return 10 end';
    rt.register('a.lua', a2);
    expect(rt.list().find(m => m.filename === 'a.lua')?.hash).toBe(sha1(a2));
    expect(rt.callRecordUdf('a', 'f', [], rec()).result).toBe(10);

    expect(rt.remove('a.lua')).toBe(true);
    expect(rt.remove('a.lua')).toBe(false);
    expect(rt.has('a.lua')).toBe(false);
    expect(failure(() => rt.callRecordUdf('a', 'f', [], rec())).message).toBe(
      'UDF: Execution Error 1'
    );
    rt.clear();
    expect(rt.list()).toEqual([]);
  });

  it('rejects invalid file names like udf-put does', () => {
    const rt = new LuaUdfRuntime();
    for (const name of ['noext', '.hidden.lua', 'a b.lua', 'x.', 'a;b.lua']) {
      const e = registerError(() => rt.register(name, 'return 1'));
      expect(e.infoResponse).toBe('error=invalid_filename');
    }
    expect(rt.list()).toEqual([]);
  });

  it('reports compile errors with file, line and base64 message', () => {
    const rt = new LuaUdfRuntime();
    const e = registerError(() =>
      rt.register('bad_syntax.lua', fixture('bad_syntax.lua'))
    );
    expect(e.code).toBe(ResultCode.PARAMETER_ERROR);
    expect(e.file).toBe('bad_syntax.lua');
    expect(e.line).toBe(3);
    expect(e.luaMessage).toMatch(/expected/);
    expect(e.message).toContain('bad_syntax.lua');
    expect(e.infoResponse).toBe(
      `error=compile_error;file=bad_syntax.lua;line=3;message=${Buffer.from(
        e.luaMessage
      ).toString('base64')}`
    );
    expect(rt.has('bad_syntax.lua')).toBe(false);
  });

  it('reports errors raised by the top level of a module', () => {
    const rt = new LuaUdfRuntime();
    const e = registerError(() =>
      rt.register('boot.lua', 'local x = 1\nerror("cannot start")\n')
    );
    expect(e.file).toBe('boot.lua');
    expect(e.line).toBe(2);
    expect(e.luaMessage).toBe('cannot start');
  });

  it('lets modules require other registered modules', () => {
    const rt = new LuaUdfRuntime();
    rt.register(
      'helpers.lua',
      'local M = {}\nfunction M.twice(x) return x * 2 end\nreturn M\n'
    );
    rt.register(
      'user.lua',
      'local h = require("helpers")\nfunction go(rec, v) return h.twice(v) end\n'
    );
    expect(rt.callRecordUdf('user', 'go', [21], rec()).result).toBe(42);
  });
});

describe('LuaUdfRuntime: record API', () => {
  let rt: LuaUdfRuntime;
  beforeEach(() => {
    rt = new LuaUdfRuntime();
    rt.register('udf_test.lua', fixture('udf_test.lua'));
    rt.register(
      'api.lua',
      `
function read(rec, bin) return rec[bin] end
function dotted(rec) return rec.a end
function set_only(rec, bin, v) rec[bin] = v return rec[bin] end
function update(rec, bin, v) rec[bin] = v return aerospike:update(rec) end
function create(rec, bin, v) rec[bin] = v return aerospike:create(rec) end
function exists(rec) return aerospike:exists(rec) end
function remove(rec) return aerospike:remove(rec) end
function digest(rec) return record.digest(rec) end
function names(rec) return list(record.bin_names(rec)) end
function numbins(rec) return record.numbins(rec) end
function ttl(rec) return record.ttl(rec) end
function setname(rec) return record.setname(rec) end
function key(rec) return record.key(rec) end
function long_name(rec) rec['a_very_long_bin_name'] = 1 return aerospike:update(rec) end
function two_updates(rec) rec.x = 1 aerospike:update(rec) rec.y = 2 aerospike:update(rec) return 0 end
function remove_then_read(rec) aerospike:remove(rec) return rec.a end
function log(rec) info('value %d', 5) aerospike:log(1, 'hello') return 1 end
`
    );
  });

  it('reads bins by index and field syntax', () => {
    const r = rec({ a: 1, s: 'str' });
    expect(rt.callRecordUdf('api', 'read', ['s'], r)).toEqual({
      result: 'str',
    });
    expect(rt.callRecordUdf('api', 'dotted', [], r).result).toBe(1);
    expect(rt.callRecordUdf('api', 'read', ['nope'], r).result).toBeNull();
    expect(rt.callRecordUdf('api', 'read', ['a'], missing()).result).toBe(null);
  });

  it('keeps bin writes local until aerospike:update', () => {
    const r = rec({ a: 1 });
    const out = rt.callRecordUdf('api', 'set_only', ['b', 2], r);
    expect(out).toEqual({ result: 2 });
    expect(r.bins.get('b')).toBeUndefined();
  });

  it('aerospike:update writes the full new bin set of an existing record', () => {
    const r = rec({ a: 1, b: 'x' });
    const out = rt.callRecordUdf('api', 'update', ['b', 'y'], r);
    expect(out.result).toBe(0);
    expect(out.write?.bins).toEqual(
      new Map<string, Value>([
        ['a', 1],
        ['b', 'y'],
      ])
    );
    expect(out.write?.ttl).toBeUndefined();
    expect(out.remove).toBeUndefined();
    // The input record is not modified.
    expect(r.bins.get('b')).toBe('x');
  });

  it('aerospike:update on a missing record returns -2 and writes nothing', () => {
    expect(rt.callRecordUdf('api', 'update', ['b', 1], missing())).toEqual({
      result: -2,
    });
  });

  it('aerospike:create makes a missing record and refuses an existing one', () => {
    const out = rt.callRecordUdf('api', 'create', ['b', 5], missing());
    expect(out).toEqual({
      result: 0,
      write: { bins: new Map([['b', 5]]) },
    });
    expect(rt.callRecordUdf('api', 'create', ['b', 5], rec({ a: 1 }))).toEqual({
      result: 1,
    });
  });

  it('aerospike:exists follows the record and aerospike:create', () => {
    expect(rt.callRecordUdf('api', 'exists', [], rec()).result).toBe(true);
    expect(rt.callRecordUdf('api', 'exists', [], missing()).result).toBe(false);
  });

  it('aerospike:remove removes existing records only', () => {
    expect(rt.callRecordUdf('api', 'remove', [], rec({ a: 1 }))).toEqual({
      result: 0,
      remove: true,
    });
    expect(rt.callRecordUdf('api', 'remove', [], missing())).toEqual({
      result: 1,
    });
    expect(
      rt.callRecordUdf('api', 'remove_then_read', [], rec({ a: 1 }))
    ).toEqual({ result: null, remove: true });
  });

  it('deleting the last bin removes the record', () => {
    const out = rt.callRecordUdf(
      'udf_test',
      'delete_bin',
      ['a'],
      rec({ a: 1 })
    );
    expect(out).toEqual({ result: 0, remove: true });
    const out2 = rt.callRecordUdf(
      'udf_test',
      'delete_bin',
      ['a'],
      rec({ a: 1, b: 2 })
    );
    expect(out2.write?.bins).toEqual(new Map([['b', 2]]));
  });

  it('several updates accumulate', () => {
    const out = rt.callRecordUdf('api', 'two_updates', [], rec({ a: 1 }));
    expect([...(out.write?.bins ?? [])]).toEqual([
      ['a', 1],
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('ignores bin names longer than 15 characters', () => {
    const out = rt.callRecordUdf('api', 'long_name', [], rec({ a: 1 }));
    expect(out.write?.bins).toEqual(new Map([['a', 1]]));
  });

  it('record.gen, ttl, digest, setname, key, bin_names, numbins', () => {
    const r = rec({ a: 1, b: 2 });
    expect(rt.callRecordUdf('udf_test', 'touch_gen', [], r).result).toBe(7);
    expect(
      rt.callRecordUdf('udf_test', 'touch_gen', [], missing()).result
    ).toBe(0);
    expect(rt.callRecordUdf('api', 'ttl', [], r).result).toBe(3600);
    // A record that never expires reports 0, as on a real server.
    expect(
      rt.callRecordUdf('api', 'ttl', [], rec({}, { ttl: -1 })).result
    ).toBe(0);
    expect(rt.callRecordUdf('api', 'digest', [], r).result).toEqual(
      Buffer.alloc(20, 0xab)
    );
    expect(rt.callRecordUdf('api', 'setname', [], r).result).toBe('demo');
    expect(
      rt.callRecordUdf('api', 'setname', [], rec({}, { setName: '' })).result
    ).toBeNull();
    expect(rt.callRecordUdf('api', 'key', [], r).result).toBe('user-1');
    expect(
      rt.callRecordUdf('api', 'key', [], rec({}, { key: undefined })).result
    ).toBeNull();
    expect(rt.callRecordUdf('api', 'names', [], r).result).toEqual(['a', 'b']);
    expect(rt.callRecordUdf('api', 'numbins', [], r).result).toBe(2);
    expect(rt.callRecordUdf('api', 'numbins', [], missing()).result).toBe(0);
    const m = rt.callRecordUdf('udf_test', 'meta', [], r).result as AsMap;
    expect(Object.fromEntries(m.entries as Array<[string, Value]>)).toEqual({
      exists: true,
      gen: 7,
      ttl: 3600,
      setname: 'demo',
      key: 'user-1',
      numbins: 2,
    });
  });

  it('record.set_ttl goes with the write', () => {
    const out = rt.callRecordUdf('udf_test', 'set_ttl', [100], rec({ a: 1 }));
    expect(out.write).toEqual({ bins: new Map([['a', 1]]), ttl: 100 });
    expect(
      rt.callRecordUdf('udf_test', 'set_ttl', [-1], rec({ a: 1 })).write
    ).toEqual({ bins: new Map([['a', 1]]), ttl: -1 });
    expect(rt.callRecordUdf('udf_test', 'set_ttl', [100], missing())).toEqual({
      result: -2,
    });
  });

  it('sends logging to the log sink', () => {
    const lines: Array<[number, string]> = [];
    const rt2 = new LuaUdfRuntime({ log: (l, m) => lines.push([l, m]) });
    rt2.register(
      'api.lua',
      'function log(rec) info("value %d", 5) aerospike:log(1, "hello") return 1 end'
    );
    expect(rt2.callRecordUdf('api', 'log', [], rec()).result).toBe(1);
    expect(lines).toEqual([
      [2, 'value 5'],
      [1, 'hello'],
    ]);
  });
});

describe('LuaUdfRuntime: value conversion', () => {
  const rt = new LuaUdfRuntime();
  rt.register('udf_test.lua', fixture('udf_test.lua'));
  rt.register(
    'conv.lua',
    `
function half(rec, v) return v / 2 end
function idiv(rec, v) return v // 2 end
function plus(rec, v) return v + 1 end
function kind(rec, v) return math.type(v) or type(v) end
function make_list(rec) local l = list{1, 'two', 3.5}; list.append(l, map{k = 'v'}); return l end
function make_map(rec) local m = map(); m['a'] = 1; m[2] = list{true}; return m end
function plain_table(rec) return {1, 2, 3} end
function the_record(rec) return rec end
function the_function(rec) return print end
function big_literal(rec) return 3000000000 + 1 end
function list_api(rec, l)
  list.append(l, 4)
  list.prepend(l, 0)
  local sum = 0
  for v in list.iterator(l) do sum = sum + v end
  return list{list.size(l), #l, l[1], l[list.size(l)], sum}
end
function map_api(rec, m)
  local keys = list()
  for k, v in map.pairs(m) do list.append(keys, k) end
  m['new'] = 1
  m['a'] = nil
  return list{map.size(m), keys, m['b'], m.new}
end
function store(rec, bin, v) rec[bin] = v aerospike:update(rec) return 0 end
function bytes_api(rec, b) return list{bytes.size(b), b[1], #b} end
`
  );
  const echo = (v: Value) =>
    rt.callRecordUdf('udf_test', 'echo', [v], rec()).result;

  it('round-trips scalars', () => {
    expect(echo(null)).toBeNull();
    expect(echo(true)).toBe(true);
    expect(echo(false)).toBe(false);
    expect(echo(0)).toBe(0);
    expect(echo(-42)).toBe(-42);
    expect(echo(2147483647)).toBe(2147483647);
    expect(echo(-2147483648)).toBe(-2147483648);
    expect(echo('héllo ✓')).toBe('héllo ✓');
    expect(echo('')).toBe('');
    expect(echo(Buffer.from([0, 1, 255]))).toEqual(Buffer.from([0, 1, 255]));
    expect(echo(new AsDouble(2.5))).toEqual(new AsDouble(2.5));
    expect(echo(new AsDouble(-0.125))).toEqual(new AsDouble(-0.125));
    // Whole doubles stay doubles (Lua floats).
    expect(echo(new AsDouble(2))).toEqual(new AsDouble(2));
    expect(echo(new AsDouble(3e9))).toEqual(new AsDouble(3e9));
    const geo = new AsGeoJSON('{"type":"Point","coordinates":[1,2]}');
    expect(echo(geo)).toBe(geo);
  });

  it('round-trips 64-bit integers', () => {
    expect(echo(2 ** 40)).toBe(2 ** 40);
    expect(echo(-(2 ** 52))).toBe(-(2 ** 52));
    expect(echo(2n ** 60n + 7n)).toBe(2n ** 60n + 7n);
    expect(echo(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(echo(2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
  });

  it('round-trips nested lists and maps', () => {
    const v: Value = [
      1,
      'a',
      [2, [3, new AsDouble(1.5)]],
      new AsMap([
        ['k', new AsMap([[1, [true, null, 'x']]])],
        [7, Buffer.from('b')],
      ]),
      [],
      new AsMap(),
    ];
    expect(echo(v)).toEqual(v);
    const ordered = new AsMap(
      [
        ['z', 1],
        ['a', 2],
      ],
      1
    );
    expect(echo(ordered)).toEqual(ordered);
  });

  it('converts Lua numbers: integers, floats, 64-bit results', () => {
    const call = (fn: string, v: Value) =>
      rt.callRecordUdf('conv', fn, [v], rec()).result;
    expect(call('half', 5)).toEqual(new AsDouble(2.5));
    expect(call('half', 4)).toEqual(new AsDouble(2));
    expect(call('idiv', 5)).toBe(2);
    expect(call('plus', 41)).toBe(42);
    expect(call('plus', new AsDouble(1.5))).toEqual(new AsDouble(2.5));
    expect(call('plus', 2 ** 40)).toBe(2 ** 40 + 1);
    expect(call('kind', 1)).toBe('integer');
    expect(call('kind', new AsDouble(1))).toBe('float');
    expect(call('kind', 'x')).toBe('string');
    expect(call('kind', [1])).toBe('table');
    expect(rt.callRecordUdf('conv', 'big_literal', [], rec()).result).toBe(
      3000000001
    );
  });

  it('converts Lua-built lists and maps; other tables become nil', () => {
    const c = (fn: string) => rt.callRecordUdf('conv', fn, [], rec()).result;
    expect(c('make_list')).toEqual([
      1,
      'two',
      new AsDouble(3.5),
      new AsMap([['k', 'v']]),
    ]);
    expect(c('make_map')).toEqual(
      new AsMap([
        ['a', 1],
        [2, [true]],
      ])
    );
    expect(c('plain_table')).toBeNull();
    expect(c('the_record')).toBeNull();
    expect(c('the_function')).toBeNull();
  });

  it('offers the list, map and bytes APIs', () => {
    expect(
      rt.callRecordUdf('conv', 'list_api', [[1, 2, 3]], rec()).result
    ).toEqual([5, 5, 0, 4, 10]);
    const m = new AsMap([
      ['a', 1],
      ['b', 'B'],
    ]);
    expect(rt.callRecordUdf('conv', 'map_api', [m], rec()).result).toEqual([
      2,
      ['a', 'b'],
      'B',
      1,
    ]);
    expect(
      rt.callRecordUdf('conv', 'bytes_api', [Buffer.from([9, 8])], rec()).result
    ).toEqual([2, 9, 2]);
  });

  it('stores converted values in bins', () => {
    const v = [1, new AsMap([['x', new AsDouble(0.5)]])];
    const out = rt.callRecordUdf('conv', 'store', ['l', v], rec({ a: 1 }));
    expect(out.write?.bins.get('l')).toEqual(v);
    // A bin read from the record is a copy: changing it in Lua does not touch
    // the caller's bins.
    const r = rec({ l: [1, 2] });
    rt.callRecordUdf('conv', 'list_api', [r.bins.get('l') ?? null], r);
    expect(r.bins.get('l')).toEqual([1, 2]);
  });
});

describe('LuaUdfRuntime: errors', () => {
  const rt = new LuaUdfRuntime();
  rt.register('udf_test.lua', fixture('udf_test.lua'));
  rt.register(
    'errs.lua',
    `
function call_nil(rec) local f = nil return f() end
function index_nil(rec) return rec.nope.field end
function table_error(rec) error({ code = 1 }) end
function number_error(rec) error(42) end
function after_update(rec) rec.x = 1 aerospike:update(rec) error('late') end
function bad_arg(rec) return list.size(5) end
`
  );

  it('returns the Lua error message with the server path and line', () => {
    const e = failure(() =>
      rt.callRecordUdf('udf_test', 'fail', ['boom'], rec())
    );
    expect(e.message).toMatch(
      /^\/opt\/aerospike\/usr\/udf\/lua\/udf_test\.lua:\d+: boom$/
    );
    expect(e.outcome).toBeUndefined();
  });

  it('reports runtime faults like a Lua 5.x VM', () => {
    expect(
      failure(() => rt.callRecordUdf('errs', 'call_nil', [], rec())).message
    ).toMatch(
      /^\/opt\/aerospike\/usr\/udf\/lua\/errs\.lua:2: attempt to call a nil value/
    );
    expect(
      failure(() => rt.callRecordUdf('errs', 'index_nil', [], rec())).message
    ).toMatch(/errs\.lua:3: attempt to index a nil value/);
    expect(
      failure(() => rt.callRecordUdf('errs', 'bad_arg', [], rec())).message
    ).toMatch(/bad argument #1 to 'size' \(List expected, got number\)/);
  });

  it('answers non-string error values the way the server does', () => {
    expect(
      failure(() => rt.callRecordUdf('errs', 'table_error', [], rec())).message
    ).toBe(
      'errs:0: in function table_error() - error() argument type not handled'
    );
    expect(
      failure(() => rt.callRecordUdf('errs', 'number_error', [], rec())).message
    ).toBe(
      'errs:0: in function number_error() - error() argument type not handled'
    );
  });

  it('unknown functions and modules', () => {
    expect(
      failure(() => rt.callRecordUdf('udf_test', 'no_such_fn', [], rec()))
        .message
    ).toBe('function not found');
    expect(
      failure(() => rt.callRecordUdf('no_such_module', 'echo', [], rec()))
        .message
    ).toBe('UDF: Execution Error 1');
  });

  it('keeps the updates applied before the error in the outcome', () => {
    const e = failure(() =>
      rt.callRecordUdf('errs', 'after_update', [], rec({ a: 1 }))
    );
    expect(e.message).toMatch(/errs\.lua:6: late$/);
    expect(e.outcome?.write?.bins).toEqual(
      new Map([
        ['a', 1],
        ['x', 1],
      ])
    );
  });
});

describe('LuaUdfRuntime: runaway code and caching', () => {
  it('aborts infinite loops with a UDF timeout', () => {
    const rt = new LuaUdfRuntime({ maxInstructions: 2_000_000 });
    rt.register('udf_test.lua', fixture('udf_test.lua'));
    rt.register(
      'loops.lua',
      `
local function spin() while true do end end
function swallow(rec) while true do pcall(spin) end end
function fine(rec) return 'ok' end
`
    );
    const start = Date.now();
    expect(
      failure(() => rt.callRecordUdf('udf_test', 'spin', [], rec())).message
    ).toBe('UDF Execution Timeout');
    // pcall cannot swallow the timeout.
    expect(
      failure(() => rt.callRecordUdf('loops', 'swallow', [], rec())).message
    ).toBe('UDF Execution Timeout');
    expect(Date.now() - start).toBeLessThan(10_000);
    // The module state is still usable.
    expect(rt.callRecordUdf('loops', 'fine', [], rec()).result).toBe('ok');
  });

  it('honours a per-call wall-clock budget', () => {
    const rt = new LuaUdfRuntime({ maxInstructions: 1e12 });
    rt.register('udf_test.lua', fixture('udf_test.lua'));
    const start = Date.now();
    expect(
      failure(() =>
        rt.callRecordUdf('udf_test', 'spin', [], rec(), { timeoutMs: 50 })
      ).message
    ).toBe('UDF Execution Timeout');
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('guards module top levels too', () => {
    const rt = new LuaUdfRuntime({ maxInstructions: 1_000_000 });
    const e = registerError(() => rt.register('hang.lua', 'while true do end'));
    expect(e.luaMessage).toBe('UDF Execution Timeout');
  });

  it('reuses the compiled module state: repeated calls are fast', () => {
    const rt = new LuaUdfRuntime();
    rt.register('udf_test.lua', fixture('udf_test.lua'));
    const r = rec({ count: 1 });
    rt.callRecordUdf('udf_test', 'echo', [0], r);
    const start = performance.now();
    for (let i = 0; i < 2000; i++) {
      expect(rt.callRecordUdf('udf_test', 'echo', [i], r).result).toBe(i);
    }
    // Creating a Lua state and loading the module costs milliseconds; a
    // cached call costs microseconds.
    expect(performance.now() - start).toBeLessThan(1500);
  });

  it('does not leak globals between calls', () => {
    const rt = new LuaUdfRuntime();
    rt.register(
      'g.lua',
      'function count(rec) counter = (counter or 0) + 1 return counter end'
    );
    expect(rt.callRecordUdf('g', 'count', [], rec()).result).toBe(1);
    expect(rt.callRecordUdf('g', 'count', [], rec()).result).toBe(1);
  });
});

describe('udf_test.lua fixture', () => {
  const rt = new LuaUdfRuntime();
  rt.register('udf_test.lua', fixture('udf_test.lua'));
  const call = (fn: string, args: Value[], r: UdfRecord): UdfOutcome =>
    rt.callRecordUdf('udf_test', fn, args, r);

  it('add_bin creates or updates', () => {
    expect(call('add_bin', ['b', 'v'], missing())).toEqual({
      result: 'v',
      write: { bins: new Map([['b', 'v']]) },
    });
    expect(call('add_bin', ['b', 2], rec({ a: 1 }))).toEqual({
      result: 2,
      write: {
        bins: new Map<string, Value>([
          ['a', 1],
          ['b', 2],
        ]),
      },
    });
  });

  it('get_bin, count_bins, remove_rec, touch_gen', () => {
    const r = rec({ a: 1, b: [1, 2] });
    expect(call('get_bin', ['b'], r)).toEqual({ result: [1, 2] });
    expect(call('count_bins', [], r)).toEqual({ result: 2 });
    expect(call('count_bins', [], missing())).toEqual({ result: 0 });
    expect(call('remove_rec', [], r)).toEqual({ result: 0, remove: true });
    expect(call('touch_gen', [], r)).toEqual({ result: 7 });
  });

  it('bump increments existing records and is a background step', () => {
    expect(call('bump', ['n'], rec({ n: 41 }))).toEqual({
      result: 42,
      write: { bins: new Map([['n', 42]]) },
    });
    expect(call('bump', [], rec({ a: 1 })).write?.bins.get('count')).toBe(1);
    expect(call('bump', ['n'], missing())).toEqual({ result: 1 });
    expect(
      rt.callBackgroundUdf('udf_test', 'bump', ['n'], missing())
    ).toBeNull();
    expect(
      rt.callBackgroundUdf('udf_test', 'bump', ['n'], rec({ n: 1 }))?.write
    ).toEqual({ bins: new Map([['n', 2]]) });
  });
});
