/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { applyCdtOp, decodeCdtPayload } from '../server/engine/cdt.ts';
import { getListOrder } from '../server/codec/msgpack.ts';
import { AsDouble, AsMap, type Value } from '../server/codec/values.ts';

// Payloads captured from the aerospike 6.7.1 client (the op value bytes of
// CDT ops; the client sends them with particle type 4, blob).
const P = {
  append1: '920101', // lists.append('l', 1)
  appendStr: '9201a403616263', // lists.append('l', 'abc')
  appendOrderedUnique: '9401050101', // {order: ORDERED, writeFlags: ADD_UNIQUE}
  appendUniqueNoFail: '9401050005', // writeFlags ADD_UNIQUE | NO_FAIL
  appendItems: '92029601a20361cb4004000000000000c3c0a3040102',
  insert: '930301a20378', // insert('l', 1, 'x')
  insertItems: '930401920708', // insertItems('l', 1, [7, 8])
  insertBounded: '940301a2037802',
  get2: '921102', // get('l', 2)
  getNeg: '9211ff', // get('l', -1)
  getRange: '93120102', // getRange('l', 1, 2)
  getRangeAll: '921201', // getRange('l', 1)
  size: '9110',
  pop0: '920500',
  popRange: '93060002',
  remove0: '920700',
  removeRange: '93080002',
  clear: '910b',
  set: '930901a20379', // set('l', 1, 'y')
  trim: '930a0102', // trim('l', 1, 2)
  increment: '930c0105', // increment('l', 1, 5)
  incrementDbl: '930c01cb3ff8000000000000',
  sortDropDup: '920d02',
  setOrder: '920001',
  getByIndexValue: '93130701', // getByIndex('l', 1, VALUE)
  getByIndexRangeIndex: '9418010102', // getByIndexRange('l', 1, 2, INDEX)
  getByValueIndex: '93160103', // getByValue('l', 3, INDEX)
  getByValueListCount: '931705920304',
  getByValueRange: '9419070105', // getByValueRange('l', 1, 5, VALUE)
  getByValueRangeNil: '941907c005',
  getByValueRelRankRange: '951b07030102',
  getByRank0: '93150700',
  getByRankRange: '941a070002',
  removeByIndexValue: '93200701',
  removeByIndexRangeNone: '9425000102',
  removeByValueCount: '93230503',
  removeByValueCountInverted: '9323ce0001000503',
  removeByValueRange: '9426070103',
  getByIndexExists: '93130d01',
  ctxAppend: '93ccff921001920101', // append('l', 1) in ctx listIndex(1)
  ctxGet: '93ccff9422a2036b10ff921100', // get(0) in mapKey('k'), listIndex(-1)
  ctxCreate: '93ccff94ccd001cca2a2036b920101',
  mapPut: '9443a203610100', // maps.put('m', 'a', 1)
  mapPutOrdered: '9443a203610101',
  mapPutUpdateOnly: '9345a2036101', // writeMode UPDATE_ONLY -> replace
  mapPutCreateOnly: '9441a203610100', // writeMode CREATE_ONLY -> add
  mapPutFlags: '9543a20361010005', // CREATE_ONLY | NO_FAIL
  mapPutItems: '934484c70001c0a2036101a20362a20378a20363cb400400000000000000',
  mapPutItemsUpdateOnly: '944482c70001c0a20361010002',
  mapIncrement: '9449a203610200', // increment('m', 'a', 2)
  mapIncrementDbl: '9449a20361cb400400000000000000',
  mapDecrement: '944aa203610200',
  mapClear: '914b',
  mapSize: '9160',
  mapSetPolicy: '924001',
  mapGetByKey: '936107a20361', // getByKey('m', 'a', VALUE)
  mapGetByKeyKV: '936108a20361',
  mapGetByKeyList: '936b0792a20361a20362',
  mapGetByKeyRange: '946706a20361a20363', // ['a', 'c') KEY
  mapGetByKeyRangeOpen: '936706a20361',
  mapGetByKeyRelIndexRange: '956d06a203610102',
  mapGetByValue: '93660601', // value 1, KEY
  mapGetByValueRange: '9469060103',
  mapGetByIndex: '93620800', // index 0, KEY_VALUE
  mapGetByIndexRange: '9468080002',
  mapGetByRank: '93640700',
  mapGetByRankRange: '946a070002',
  mapRemoveByKey: '934c07a20361',
  mapRemoveByKeyList: '93510091a20361',
  mapRemoveByKeyRange: '945405a20361a20363',
  mapRemoveByValue: '93520601',
  mapRemoveByIndex: '934d0600',
  mapRemoveByRankRange: '9457060001',
  mapGetOrderedMap: '946711a20361a2037a',
  mapCtxPut: '93ccff9222a6036f757465729443a203610100', // ctx mapKey('outer')
};

function run(opType: number, h: string, current: Value | undefined) {
  return applyCdtOp(opType, Buffer.from(h, 'hex'), current);
}
const read = (h: string, cur: Value | undefined) => run(3, h, cur);
const modify = (h: string, cur: Value | undefined) => run(4, h, cur);
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
};

describe('cdt payload decoding', () => {
  it('decodes plain and context forms', () => {
    expect(decodeCdtPayload(Buffer.from(P.getRange, 'hex'))).toEqual({
      opcode: 18,
      args: [1, 2],
      ctx: [],
    });
    expect(decodeCdtPayload(Buffer.from(P.ctxGet, 'hex'))).toEqual({
      opcode: 17,
      args: [0],
      ctx: [
        { type: 0x22, value: 'k' },
        { type: 0x10, value: -1 },
      ],
    });
  });
});

describe('cdt list operations', () => {
  const L: Value[] = [1, 2, 3, 4, 3];

  it('append / append-items / insert return the new size', () => {
    expect(modify(P.append1, undefined)).toEqual({ binValue: [1], result: 1 });
    expect(modify(P.appendStr, [1])).toEqual({
      binValue: [1, 'abc'],
      result: 2,
    });
    const items = modify(P.appendItems, []);
    expect(items.result).toBe(6);
    expect(items.binValue).toEqual([
      1,
      'a',
      new AsDouble(2.5),
      true,
      null,
      Buffer.from([1, 2]),
    ]);
    expect(modify(P.insert, [1, 2])).toEqual({
      binValue: [1, 'x', 2],
      result: 3,
    });
    expect(modify(P.insertItems, [1, 2]).binValue).toEqual([1, 7, 8, 2]);
    expect(modify(P.insert, []).binValue).toEqual([null, 'x']);
    expect(codeOf(() => modify(P.insertBounded, []))).toBe(26);
  });

  it('honours list order and ADD_UNIQUE', () => {
    const created = modify(P.appendOrderedUnique, undefined);
    expect(created.binValue).toEqual([5]);
    expect(getListOrder(created.binValue as Value[])).toBe(1);
    const again = modify(P.append1, created.binValue);
    expect(again.binValue).toEqual([1, 5]);
    expect(codeOf(() => modify(P.appendOrderedUnique, [5]))).toBe(24);
    // [1, 5, 0, 5]: order 0 (unordered), flags ADD_UNIQUE | NO_FAIL.
    expect(
      getListOrder(modify(P.appendUniqueNoFail, undefined).binValue as Value[])
    ).toBe(0);
    expect(modify(P.appendUniqueNoFail, [5])).toEqual({
      binValue: [5],
      result: 1,
    });
  });

  it('reads by index and range', () => {
    expect(read(P.get2, L)).toEqual({ binValue: L, result: 3 });
    expect(read(P.getNeg, L).result).toBe(3);
    expect(read(P.getRange, L).result).toEqual([2, 3]);
    expect(read(P.getRangeAll, L).result).toEqual([2, 3, 4, 3]);
    expect(read(P.size, L).result).toBe(5);
    expect(codeOf(() => read(P.get2, [1]))).toBe(26);
    expect(read(P.size, undefined)).toEqual({
      binValue: undefined,
      result: null,
    });
  });

  it('pops, removes, sets, trims, clears and increments', () => {
    expect(modify(P.pop0, L)).toEqual({ binValue: [2, 3, 4, 3], result: 1 });
    expect(modify(P.popRange, L)).toEqual({
      binValue: [3, 4, 3],
      result: [1, 2],
    });
    expect(modify(P.remove0, L)).toEqual({ binValue: [2, 3, 4, 3], result: 1 });
    expect(modify(P.removeRange, L).result).toBe(2);
    expect(modify(P.set, L)).toEqual({
      binValue: [1, 'y', 3, 4, 3],
      result: null,
    });
    expect(modify(P.trim, L)).toEqual({ binValue: [2, 3], result: 3 });
    expect(modify(P.clear, L)).toEqual({ binValue: [], result: null });
    expect(modify(P.increment, L)).toEqual({
      binValue: [1, 7, 3, 4, 3],
      result: 7,
    });
    expect(modify(P.incrementDbl, [1, new AsDouble(1)]).result).toEqual(
      new AsDouble(2.5)
    );
    expect(codeOf(() => modify(P.increment, [1, 'x']))).toBe(12);
    expect(codeOf(() => modify(P.pop0, []))).toBe(26);
    expect(modify(P.sortDropDup, L).binValue).toEqual([1, 2, 3, 4]);
    const ordered = modify(P.setOrder, [3, 1, 2]).binValue as Value[];
    expect(ordered).toEqual([1, 2, 3]);
    expect(getListOrder(ordered)).toBe(1);
  });

  it('gets and removes by index, value and rank with return types', () => {
    expect(read(P.getByIndexValue, L).result).toBe(2);
    expect(read(P.getByIndexRangeIndex, L).result).toEqual([1, 2]);
    expect(read(P.getByValueIndex, L).result).toEqual([2, 4]);
    expect(read(P.getByValueListCount, L).result).toBe(3);
    expect(read(P.getByValueRange, L).result).toEqual([1, 2, 3, 4, 3]);
    expect(read(P.getByValueRangeNil, L).result).toEqual([1, 2, 3, 4, 3]);
    // value 3, rank +1, count 2: ranks 3 and 4 of [1,2,3,3,4], in the order
    // of the node's heap selection (a max-heap here: lowest rank first)
    expect(read(P.getByValueRelRankRange, L).result).toEqual([3, 4]);
    expect(read(P.getByRank0, L).result).toBe(1);
    // ranks 0 and 1 by a min-heap: highest rank first, as a node answers
    expect(read(P.getByRankRange, L).result).toEqual([2, 1]);
    expect(read(P.getByIndexExists, L).result).toBe(true);
    expect(modify(P.removeByIndexValue, L)).toEqual({
      binValue: [1, 3, 4, 3],
      result: 2,
    });
    expect(modify(P.removeByIndexRangeNone, L)).toEqual({
      binValue: [1, 4, 3],
      result: null,
    });
    expect(modify(P.removeByValueCount, L)).toEqual({
      binValue: [1, 2, 4],
      result: 2,
    });
    expect(modify(P.removeByValueCountInverted, L)).toEqual({
      binValue: [3, 3],
      result: 3,
    });
    expect(modify(P.removeByValueRange, L)).toEqual({
      binValue: [3, 4, 3],
      result: [1, 2],
    });
  });

  it('rejects a list op on a map bin and unknown opcodes', () => {
    expect(codeOf(() => modify(P.append1, new AsMap()))).toBe(12);
    expect(codeOf(() => read(P.size, 'str'))).toBe(12);
    expect(codeOf(() => modify('91 3f'.replace(' ', ''), []))).toBe(4);
    const err = (() => {
      try {
        modify('913f', []);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/list op 63/);
  });

  it('applies contexts', () => {
    expect(modify(P.ctxAppend, [[0], [1]])).toEqual({
      binValue: [[0], [1, 1]],
      result: 2,
    });
    const m = new AsMap([['k', [[5], [6, 7]]]], 1);
    expect(read(P.ctxGet, m).result).toBe(6);
    expect(codeOf(() => read(P.ctxGet, new AsMap()))).toBe(26);
    const created = modify(P.ctxCreate, [[0]]);
    expect(created.result).toBe(1);
    const outer = created.binValue as Value[];
    expect(outer[0]).toEqual([0]);
    expect((outer[1] as AsMap).entries).toEqual([['k', [1]]]);
  });
});

describe('cdt map operations', () => {
  const M = () =>
    new AsMap(
      [
        ['a', 1],
        ['b', 3],
        ['c', 2],
      ],
      1
    );

  it('put / put-items return the size and honour write modes', () => {
    const put = modify(P.mapPut, undefined);
    expect(put.result).toBe(1);
    expect((put.binValue as AsMap).entries).toEqual([['a', 1]]);
    expect((put.binValue as AsMap).order).toBe(0);
    expect((modify(P.mapPutOrdered, undefined).binValue as AsMap).order).toBe(
      1
    );
    expect(codeOf(() => modify(P.mapPutUpdateOnly, new AsMap()))).toBe(23);
    expect(codeOf(() => modify(P.mapPutCreateOnly, M()))).toBe(24);
    expect(modify(P.mapPutFlags, M()).result).toBe(3);
    const items = modify(P.mapPutItems, new AsMap([['z', 0]], 0));
    expect(items.result).toBe(4);
    expect((items.binValue as AsMap).entries).toEqual([
      ['z', 0],
      ['a', 1],
      ['b', 'x'],
      ['c', new AsDouble(2.5)],
    ]);
    expect(codeOf(() => modify(P.mapPutItemsUpdateOnly, new AsMap()))).toBe(23);
  });

  it('increments, decrements, clears and sizes', () => {
    expect(modify(P.mapIncrement, M()).result).toBe(3);
    expect(modify(P.mapIncrement, undefined).result).toBe(2);
    expect(
      modify(P.mapIncrementDbl, new AsMap([['a', new AsDouble(1)]])).result
    ).toEqual(new AsDouble(3.5));
    expect(modify(P.mapDecrement, M()).result).toBe(-1);
    expect(codeOf(() => modify(P.mapIncrement, new AsMap([['a', 'x']])))).toBe(
      12
    );
    const cleared = modify(P.mapClear, M());
    expect(cleared.result).toBe(null);
    expect((cleared.binValue as AsMap).entries).toEqual([]);
    expect(read(P.mapSize, M()).result).toBe(3);
    expect(
      modify(
        P.mapSetPolicy,
        new AsMap([
          ['b', 1],
          ['a', 2],
        ])
      ).binValue
    ).toEqual(
      new AsMap(
        [
          ['a', 2],
          ['b', 1],
        ],
        1
      )
    );
  });

  it('gets by key, value, index and rank', () => {
    expect(read(P.mapGetByKey, M()).result).toBe(1);
    expect(read(P.mapGetByKey, new AsMap()).result).toBe(null);
    // KEY_VALUE: a map flagged "preserve order" (0x08), a flat list to clients.
    expect(read(P.mapGetByKeyKV, M()).result).toEqual(
      new AsMap([['a', 1]], 0x08)
    );
    expect(read(P.mapGetByKeyList, M()).result).toEqual([1, 3]);
    expect(read(P.mapGetByKeyRange, M()).result).toEqual(['a', 'b']);
    expect(read(P.mapGetByKeyRangeOpen, M()).result).toEqual(['a', 'b', 'c']);
    expect(read(P.mapGetByKeyRelIndexRange, M()).result).toEqual(['b', 'c']);
    expect(read(P.mapGetByValue, M()).result).toEqual(['a']);
    expect(read(P.mapGetByValueRange, M()).result).toEqual(['a', 'c']);
    expect(read(P.mapGetByIndex, M()).result).toEqual(
      new AsMap([['a', 1]], 0x08)
    );
    expect(read(P.mapGetByIndexRange, M()).result).toEqual(
      new AsMap(
        [
          ['a', 1],
          ['b', 3],
        ],
        0x08
      )
    );
    expect(read(P.mapGetByRank, M()).result).toBe(1);
    expect(read(P.mapGetByRankRange, M()).result).toEqual([1, 2]);
    expect(read(P.mapGetOrderedMap, M()).result).toEqual(M());
    expect(read(P.mapGetByKey, undefined).result).toBe(null);
    expect(codeOf(() => read(P.mapGetByKey, [1]))).toBe(12);
  });

  it('removes by key, value, index and rank', () => {
    const byKey = modify(P.mapRemoveByKey, M());
    expect(byKey.result).toBe(1);
    expect((byKey.binValue as AsMap).entries.map(e => e[0])).toEqual([
      'b',
      'c',
    ]);
    expect(modify(P.mapRemoveByKeyList, M()).result).toBe(null);
    expect(modify(P.mapRemoveByKeyRange, M()).result).toBe(2);
    expect(modify(P.mapRemoveByValue, M()).result).toEqual(['a']);
    expect(modify(P.mapRemoveByIndex, M()).result).toBe('a');
    const byRank = modify(P.mapRemoveByRankRange, M());
    expect(byRank.result).toEqual(['a']);
    expect((byRank.binValue as AsMap).entries).toEqual([
      ['b', 3],
      ['c', 2],
    ]);
    expect(modify(P.mapRemoveByKey, undefined)).toEqual({
      binValue: undefined,
      result: null,
    });
  });

  it('applies a map context', () => {
    const out = modify(P.mapCtxPut, new AsMap([['outer', new AsMap()]], 1));
    expect(out.result).toBe(1);
    const inner = (out.binValue as AsMap).entries[0][1] as AsMap;
    expect(inner.entries).toEqual([['a', 1]]);
    expect(codeOf(() => modify(P.mapCtxPut, new AsMap()))).toBe(26);
  });
});

describe('cdt operations through the real client', () => {
  const { Key, lists, maps, status } = Aerospike;
  const set = uniqueName('cdt');
  const key = (k: string) => new Key('test', set, k);
  let backend: Backend;
  let client: any;

  beforeAll(async () => {
    backend = await startBackend();
    client = await Aerospike.connect({
      hosts: backend.hosts,
      log: { level: -1 },
    });
  });

  afterAll(async () => {
    await client?.close();
    await backend?.close();
  });

  const errCode = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      return (e as { code: number }).code;
    }
    return undefined;
  };

  it('list append / append-items return the new size', async () => {
    const k = key('list-append');
    let rec = await client.operate(k, [lists.append('l', 1)]);
    expect(rec.bins.l).toBe(1);
    rec = await client.operate(k, [lists.appendItems('l', ['a', 2.5])]);
    expect(rec.bins.l).toBe(3);
    rec = await client.operate(k, [lists.insert('l', 0, 'first')]);
    expect(rec.bins.l).toBe(4);
    expect((await client.get(k)).bins.l).toEqual(['first', 1, 'a', 2.5]);
  });

  it('list reads: get, getRange, size, by-value / by-rank', async () => {
    const k = key('list-read');
    await client.put(k, { l: [5, 3, 9, 3] });
    const rec = await client.operate(k, [
      lists.get('l', -1),
      lists.getRange('l', 1, 2),
      lists.size('l'),
    ]);
    // Several results for one bin: the client keeps the last one.
    expect(rec.bins.l).toBe(4);
    expect((await client.operate(k, [lists.get('l', 0)])).bins.l).toBe(5);
    expect(
      (await client.operate(k, [lists.getRange('l', 1, 2)])).bins.l
    ).toEqual([3, 9]);
    expect(
      (
        await client.operate(k, [
          lists.getByValue('l', 3, lists.returnType.INDEX),
        ])
      ).bins.l
    ).toEqual([1, 3]);
    expect(
      (
        await client.operate(k, [
          lists.getByRankRange('l', 0, 2, lists.returnType.VALUE),
        ])
      ).bins.l
    ).toEqual([3, 3]);
    expect(
      (
        await client.operate(k, [
          lists.getByIndex('l', 2, lists.returnType.VALUE),
        ])
      ).bins.l
    ).toBe(9);
  });

  it('list modifies: pop, remove, set, increment, clear', async () => {
    const k = key('list-modify');
    await client.put(k, { l: [1, 2, 3, 4] });
    expect((await client.operate(k, [lists.pop('l', 0)])).bins.l).toBe(1);
    expect(
      (await client.operate(k, [lists.popRange('l', 0, 2)])).bins.l
    ).toEqual([2, 3]);
    await client.operate(k, [lists.appendItems('l', [5, 6])]);
    expect((await client.operate(k, [lists.remove('l', 0)])).bins.l).toBe(1);
    await client.operate(k, [lists.set('l', 0, 50)]);
    expect((await client.operate(k, [lists.increment('l', 0, 5)])).bins.l).toBe(
      55
    );
    expect(
      (
        await client.operate(k, [
          lists.removeByValue('l', 6, lists.returnType.COUNT),
        ])
      ).bins.l
    ).toBe(1);
    expect((await client.get(k)).bins.l).toEqual([55]);
    await client.operate(k, [lists.clear('l')]);
    expect((await client.get(k)).bins.l).toEqual([]);
  });

  it('list errors carry the server codes', async () => {
    const k = key('list-errors');
    await client.put(k, { s: 'text', l: [1] });
    expect(await errCode(client.operate(k, [lists.append('s', 1)]))).toBe(
      status.ERR_BIN_INCOMPATIBLE_TYPE
    );
    expect(await errCode(client.operate(k, [lists.get('l', 5)]))).toBe(
      status.ERR_OP_NOT_APPLICABLE
    );
  });

  it('map put / put-items return the size; get-by-key returns the value', async () => {
    const k = key('map');
    let rec = await client.operate(k, [maps.put('m', 'a', 1)]);
    expect(rec.bins.m).toBe(1);
    rec = await client.operate(k, [maps.putItems('m', { b: 2, c: 'x' })]);
    expect(rec.bins.m).toBe(3);
    rec = await client.operate(k, [
      maps.getByKey('m', 'b', maps.returnType.VALUE),
    ]);
    expect(rec.bins.m).toBe(2);
    rec = await client.operate(k, [
      maps.getByKey('m', 'zz', maps.returnType.VALUE),
    ]);
    expect(rec.bins.m).toBe(null);
    rec = await client.operate(k, [maps.increment('m', 'a', 10)]);
    expect(rec.bins.m).toBe(11);
    rec = await client.operate(k, [maps.size('m')]);
    expect(rec.bins.m).toBe(3);
    rec = await client.operate(k, [
      maps.removeByKey('m', 'c', maps.returnType.VALUE),
    ]);
    expect(rec.bins.m).toBe('x');
    expect((await client.get(k)).bins.m).toEqual({ a: 11, b: 2 });
    rec = await client.operate(k, [
      maps.getByKeyRange('m', 'a', 'b', maps.returnType.KEY),
    ]);
    expect(rec.bins.m).toEqual(['a']);
    rec = await client.operate(k, [maps.clear('m')]);
    expect(rec.bins.m).toBe(null);
    expect((await client.get(k)).bins.m).toEqual({});
  });

  it('map write modes answer element errors', async () => {
    const k = key('map-modes');
    await client.put(k, { m: { a: 1 } });
    expect(
      await errCode(
        client.operate(k, [
          maps.put('m', 'a', 2, { writeFlags: maps.writeFlags.CREATE_ONLY }),
        ])
      )
    ).toBe(status.ERR_FAIL_ELEMENT_EXISTS);
    expect(
      await errCode(
        client.operate(k, [
          maps.put('m', 'z', 2, { writeFlags: maps.writeFlags.UPDATE_ONLY }),
        ])
      )
    ).toBe(status.ERR_FAIL_ELEMENT_NOT_FOUND);
  });

  it('ordered lists and maps keep their order on the wire', async () => {
    const k = key('ordered');
    const policy = { order: lists.order.ORDERED };
    await client.operate(k, [lists.appendItems('l', [3, 1, 2], policy)]);
    await client.operate(k, [lists.append('l', 0)]);
    await client.operate(k, [
      maps.putItems('m', { b: 1, a: 2 }, { order: maps.order.KEY_ORDERED }),
    ]);
    const { bins } = await client.get(k);
    expect(bins.l).toEqual([0, 1, 2, 3]);
    expect(Object.keys(bins.m)).toEqual(['a', 'b']);
  });

  it('ops inside a context', async () => {
    const k = key('ctx');
    await client.put(k, { m: { inner: [1, 2] } });
    const rec = await client.operate(k, [
      lists.append('m', 3).withContext((ctx: any) => ctx.addMapKey('inner')),
    ]);
    expect(rec.bins.m).toBe(3);
    expect((await client.get(k)).bins.m).toEqual({ inner: [1, 2, 3] });
  });
});
