/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  MsgpackReader,
  compareValues,
  getListOrder,
  packValue,
  setListOrder,
  unpackValue,
} from '../server/codec/msgpack.ts';
import {
  AsDouble,
  AsGeoJSON,
  AsMap,
  type Value,
} from '../server/codec/values.ts';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('msgpack codec', () => {
  it('round-trips every value kind', () => {
    const ordered: Value[] = [1, 2];
    setListOrder(ordered, 1);
    const values: Value[] = [
      null,
      true,
      false,
      0,
      -1,
      127,
      -32,
      2 ** 40,
      -(2 ** 40),
      2n ** 63n - 1n,
      -(2n ** 63n),
      new AsDouble(2),
      new AsDouble(-1.25),
      '',
      'héllo',
      'x'.repeat(300),
      Buffer.from([0, 1, 2]),
      new AsGeoJSON('{"type":"Point","coordinates":[1,2]}'),
      [1, 'a', [2, [3]], new AsMap([['k', 'v']], 0)],
      new AsMap(
        [
          ['a', 1],
          [2, [true]],
        ],
        1
      ),
      ordered,
      Array.from({ length: 20 }, (_, i) => i),
    ];
    for (const v of values) {
      const back = unpackValue(packValue(v));
      expect(back).toEqual(v);
      expect(compareValues(back, v)).toBe(0);
    }
    expect(getListOrder(unpackValue(packValue(ordered)) as Value[])).toBe(1);
  });

  it('decodes integers as the C client encodes them', () => {
    // Captured: appendItems('l', [0, 127, 128, ..., -2^63]) (op args only).
    const items = hex(
      'dc0013007fcc80ccffcd0100cdffffce00010000ffe0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffffcf001fffffffffffffcf0020000000000001d38000000000000000'
    );
    const v = unpackValue(items);
    expect(v).toEqual([
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      -2147483648,
      -2147483649,
      2 ** 53 - 1,
      9007199254740993n,
      -9223372036854775808n,
    ]);
    expect(packValue(v).equals(items)).toBe(true);
  });

  it('reads particle-prefixed strings, blobs and GeoJSON', () => {
    expect(unpackValue(hex('a403616263'))).toBe('abc');
    expect(unpackValue(hex('a3040102'))).toEqual(Buffer.from([1, 2]));
    expect(unpackValue(hex('c4030401ff'))).toEqual(Buffer.from([1, 0xff]));
    const geo = unpackValue(hex('a71774797065223a')) as AsGeoJSON;
    expect(geo).toBeInstanceOf(AsGeoJSON);
    expect(packValue('b'.repeat(31)).subarray(0, 3).toString('hex')).toBe(
      'd92003'
    );
  });

  it('keeps the map order flag (client bin {a: 1, b: [2]})', () => {
    const wire = hex('83c70001c0a2036101a203629102');
    const m = unpackValue(wire) as AsMap;
    expect(m.order).toBe(1);
    expect(m.entries).toEqual([
      ['a', 1],
      ['b', [2]],
    ]);
    expect(packValue(m).equals(wire)).toBe(true);
    expect(packValue(new AsMap([['a', 1]], 0)).toString('hex')).toBe(
      '81a2036101'
    );
  });

  it('streams items, ext markers included', () => {
    const r = new MsgpackReader(hex('93ccff9110d4ff01'));
    expect(r.readArrayHeader()).toBe(3);
    expect(r.readInt()).toBe(255);
    expect(r.readValue()).toEqual([16]);
    expect(r.peekIsExt()).toBe(true);
    const ext = r.readExt();
    expect(ext.type).toBe(0xff);
    expect(r.remaining).toBe(0);
  });

  it('orders values like the server', () => {
    const sorted: Value[] = [
      null,
      false,
      true,
      -5,
      3,
      'a',
      'b',
      [1],
      new AsMap([], 0),
      Buffer.from([1]),
      new AsDouble(0.5),
    ];
    const shuffled = sorted.slice().reverse().sort(compareValues);
    expect(shuffled).toEqual(sorted);
  });

  it('rejects malformed input with a parameter error', () => {
    expect(() => unpackValue(hex('92'))).toThrow(/truncated/);
    expect(() => unpackValue(hex('c1'))).toThrow(/invalid/);
  });
});
