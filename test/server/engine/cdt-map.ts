/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// CDT map operations. Index operations follow key order whatever the map's
// own order (as the server does); rank operations follow value order.

import { AsDouble, AsMap, type Value } from '../codec/values.ts';
import { MsgpackExt, compareValues } from '../codec/msgpack.ts';
import { ResultCode } from './errors.ts';
import {
  Args,
  type CdtOutcome,
  ELEMENT_EXISTS,
  ELEMENT_NOT_FOUND,
  ReturnType,
  type Selection,
  addNumbers,
  fail,
  heapRankSelect,
  finishSelection,
  reduceInverted,
  rangeResultOf,
  inInterval,
  rankOrder,
  resolveIndex,
  singleResult,
  resolveRange,
  resolveRelRange,
} from './cdt-list.ts';

export const MapOp = {
  SET_TYPE: 64,
  ADD: 65,
  ADD_ITEMS: 66,
  PUT: 67,
  PUT_ITEMS: 68,
  REPLACE: 69,
  REPLACE_ITEMS: 70,
  INCREMENT: 73,
  DECREMENT: 74,
  CLEAR: 75,
  REMOVE_BY_KEY: 76,
  REMOVE_BY_INDEX: 77,
  REMOVE_BY_VALUE: 78,
  REMOVE_BY_RANK: 79,
  REMOVE_BY_KEY_LIST: 81,
  REMOVE_ALL_BY_VALUE: 82,
  REMOVE_BY_VALUE_LIST: 83,
  REMOVE_BY_KEY_INTERVAL: 84,
  REMOVE_BY_INDEX_RANGE: 85,
  REMOVE_BY_VALUE_INTERVAL: 86,
  REMOVE_BY_RANK_RANGE: 87,
  REMOVE_BY_KEY_REL_INDEX_RANGE: 88,
  REMOVE_BY_VALUE_REL_RANK_RANGE: 89,
  SIZE: 96,
  GET_BY_KEY: 97,
  GET_BY_INDEX: 98,
  GET_BY_VALUE: 99,
  GET_BY_RANK: 100,
  GET_ALL_BY_VALUE: 102,
  GET_BY_KEY_INTERVAL: 103,
  GET_BY_INDEX_RANGE: 104,
  GET_BY_VALUE_INTERVAL: 105,
  GET_BY_RANK_RANGE: 106,
  GET_BY_KEY_LIST: 107,
  GET_BY_VALUE_LIST: 108,
  GET_BY_KEY_REL_INDEX_RANGE: 109,
  GET_BY_VALUE_REL_RANK_RANGE: 110,
} as const;

/** Map flags (aerospike-common as_msgpack.h). */
const MAP_K_ORDERED = 1;
const MAP_PRESERVE_ORDER = 0x08;

/** Map write flags. */
export const MapWriteFlags = {
  CREATE_ONLY: 1,
  UPDATE_ONLY: 2,
  NO_FAIL: 4,
  PARTIAL: 8,
} as const;

const MAP_OP_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(MapOp).map(([k, v]) => [v, `map ${k.toLowerCase()}`])
);

export function mapOpName(code: number): string {
  return MAP_OP_NAMES[code] ?? `map op ${code}`;
}

export function isMapRead(code: number): boolean {
  return code >= 96;
}

/** Map opcodes that create the map when the bin (or element) is absent. */
export function mapOpCreates(code: number): boolean {
  return code >= MapOp.SET_TYPE && code <= MapOp.DECREMENT;
}

// remove-by opcode -> the get-by opcode with the same selection.
const REMOVE_TO_GET: Record<number, number> = {
  [MapOp.REMOVE_BY_KEY]: MapOp.GET_BY_KEY,
  [MapOp.REMOVE_BY_INDEX]: MapOp.GET_BY_INDEX,
  [MapOp.REMOVE_BY_VALUE]: MapOp.GET_BY_VALUE,
  [MapOp.REMOVE_BY_RANK]: MapOp.GET_BY_RANK,
  [MapOp.REMOVE_BY_KEY_LIST]: MapOp.GET_BY_KEY_LIST,
  [MapOp.REMOVE_ALL_BY_VALUE]: MapOp.GET_ALL_BY_VALUE,
  [MapOp.REMOVE_BY_VALUE_LIST]: MapOp.GET_BY_VALUE_LIST,
  [MapOp.REMOVE_BY_KEY_INTERVAL]: MapOp.GET_BY_KEY_INTERVAL,
  [MapOp.REMOVE_BY_INDEX_RANGE]: MapOp.GET_BY_INDEX_RANGE,
  [MapOp.REMOVE_BY_VALUE_INTERVAL]: MapOp.GET_BY_VALUE_INTERVAL,
  [MapOp.REMOVE_BY_RANK_RANGE]: MapOp.GET_BY_RANK_RANGE,
  [MapOp.REMOVE_BY_KEY_REL_INDEX_RANGE]: MapOp.GET_BY_KEY_REL_INDEX_RANGE,
  [MapOp.REMOVE_BY_VALUE_REL_RANK_RANGE]: MapOp.GET_BY_VALUE_REL_RANK_RANGE,
};

function negate(v: Value, op: string): Value {
  if (typeof v === 'number' || typeof v === 'bigint') return -v;
  if (v instanceof AsDouble) return new AsDouble(-v.value);
  return fail(ResultCode.PARAMETER_ERROR, `${op}: delta must be a number`);
}

function findKey(entries: Array<[Value, Value]>, key: Value): number {
  return entries.findIndex(([k]) => compareValues(k, key) === 0);
}

function sortByKey(entries: Array<[Value, Value]>): Array<[Value, Value]> {
  return entries.slice().sort((a, b) => compareValues(a[0], b[0]));
}

/** Puts entries one by one under the write flags; returns the new map. */
function putEntries(
  map: AsMap,
  items: Array<[Value, Value]>,
  flags: number,
  op: string
): AsMap {
  const entries = map.entries.slice();
  for (const [k, v] of items) {
    const at = findKey(entries, k);
    let problem: string | undefined;
    let code = 0;
    if (at >= 0 && flags & MapWriteFlags.CREATE_ONLY) {
      problem = 'key already exists';
      code = ELEMENT_EXISTS;
    } else if (at < 0 && flags & MapWriteFlags.UPDATE_ONLY) {
      problem = 'key not found';
      code = ELEMENT_NOT_FOUND;
    }
    if (problem) {
      if (!(flags & MapWriteFlags.NO_FAIL)) fail(code, `${op}: ${problem}`);
      if (!(flags & MapWriteFlags.PARTIAL)) return map;
      continue;
    }
    if (at >= 0) entries[at] = [k, v];
    else entries.push([k, v]);
  }
  return new AsMap(map.order & 1 ? sortByKey(entries) : entries, map.order);
}

function mapSelect(
  code: number,
  args: Args,
  byKey: Array<[Value, Value]>
): Selection {
  const n = byKey.length;
  const rt = args.int(0);
  const keys = byKey.map(e => e[0]);
  const values = byKey.map(e => e[1]);
  // Equal values rank by key (for the heap, entries are [value, key]).
  const ranked: Value[] = byKey.map(([k, v]) => [v, k]);
  const where = (pred: (k: Value, v: Value) => boolean): number[] => {
    const out: number[] = [];
    byKey.forEach(([k, v], i) => {
      if (pred(k, v)) out.push(i);
    });
    return out;
  };
  // packed_map_get_remove_by_rank_range() (base/particle_map.c): the heap
  // picks, put back in ascending rank order.
  // An inverted range whose complement is one range becomes that range.
  const rankRange = (s0: number, c0: number): Selection => {
    const [s, c, rt2] = reduceInverted(s0, c0, n, rt);
    if (c === 0) {
      return finishSelection(
        { idx: [], multi: true, rankRange: [s, c] },
        n,
        rt2
      );
    }
    const { positions, minHeap } = heapRankSelect(ranked, s, c);
    const order = minHeap ? positions.reverse() : positions;
    const sel: Selection = {
      idx: order.slice().sort((a, b) => a - b),
      multi: true,
      order,
      rankRange: [s, c],
    };
    return finishSelection(sel, n, rt2);
  };
  let idx: number[];
  switch (code) {
    case MapOp.GET_BY_KEY: {
      // A single result: INVERTED is refused once the key is found.
      const k = args.value(1);
      const idx = where(x => compareValues(x, k) === 0);
      if (idx.length) singleResult(rt, mapOpName(code));
      return { idx, multi: false };
    }
    case MapOp.GET_BY_INDEX:
    case MapOp.GET_BY_RANK: {
      // packed_map_get_remove_by_index_range() / _by_rank_range(): a
      // single index or rank out of bounds is code 26.
      singleResult(rt, mapOpName(code));
      const i = resolveIndex(args.int(1), n);
      if (i < 0) {
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${mapOpName(code)}: ${args.int(1)} out of bounds for ${n} entries`
        );
      }
      if (code === MapOp.GET_BY_INDEX) return { idx: [i], multi: false };
      const pos = heapRankSelect(ranked, i, 1).positions[0];
      return { idx: [pos], multi: false, rankRange: [i, 1] };
    }
    case MapOp.GET_BY_VALUE:
    case MapOp.GET_ALL_BY_VALUE: {
      const v = args.value(1);
      idx = where((_, x) => compareValues(x, v) === 0);
      return finishSelection({ idx, multi: true }, n, rt, true);
    }
    case MapOp.GET_BY_KEY_LIST: {
      // packed_map_get_remove_all_by_key_list_ordered(): no rank results.
      const base = rt & ~ReturnType.INVERTED;
      if (base === ReturnType.RANK || base === ReturnType.REVERSE_RANK) {
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${mapOpName(code)}: result type ${rt} not supported`
        );
      }
      const list = args.list(1);
      idx = where(k => list.some(x => compareValues(x, k) === 0));
      break;
    }
    case MapOp.GET_BY_VALUE_LIST: {
      const list = args.list(1);
      idx = where((_, v) => list.some(x => compareValues(x, v) === 0));
      break;
    }
    case MapOp.GET_BY_KEY_INTERVAL: {
      const b = args.item(1);
      const e = args.item(2);
      idx = where(k => inInterval(k, b, e));
      // Keys in order: the matches are one index range.
      const start = idx.length ? idx[0] : 0;
      return finishSelection(
        { idx, multi: true, indexRange: [start, idx.length] },
        n,
        rt
      );
    }
    case MapOp.GET_BY_VALUE_INTERVAL: {
      const b = args.item(1);
      const e = args.item(2);
      idx = where((_, v) => inInterval(v, b, e));
      // The matches are the rank range [values below b, +matches).
      const below =
        b === undefined || b instanceof MsgpackExt
          ? 0
          : values.filter(v => compareValues(v, b) < 0).length;
      return finishSelection(
        { idx, multi: true, rankRange: [below, idx.length] },
        n,
        rt
      );
    }
    case MapOp.GET_BY_INDEX_RANGE: {
      const [s0, c0] = resolveRange(args.int(1), args.count(2), n);
      const [s, c, rt2] = reduceInverted(s0, c0, n, rt);
      idx = Array.from({ length: c }, (_, k) => s + k);
      return finishSelection({ idx, multi: true, indexRange: [s, c] }, n, rt2);
    }
    case MapOp.GET_BY_RANK_RANGE: {
      const [s, c] = resolveRange(args.int(1), args.count(2), n);
      return rankRange(s, c);
    }
    case MapOp.GET_BY_KEY_REL_INDEX_RANGE: {
      const k = args.value(1);
      const base = keys.filter(x => compareValues(x, k) < 0).length;
      const [s, c] = resolveRelRange(base, args.int(2), args.count(3), n);
      idx = Array.from({ length: c }, (_, j) => s + j);
      return finishSelection({ idx, multi: true, indexRange: [s, c] }, n, rt);
    }
    case MapOp.GET_BY_VALUE_REL_RANK_RANGE: {
      const v = args.value(1);
      const base = values.filter(x => compareValues(x, v) < 0).length;
      const [s, c] = resolveRelRange(base, args.int(2), args.count(3), n);
      return rankRange(s, c);
    }
    default:
      return fail(ResultCode.PARAMETER_ERROR, `map op ${code}: unknown`);
  }
  return finishSelection({ idx, multi: true }, n, rt);
}

function mapResult(
  rt: number,
  sel: Selection,
  byKey: Array<[Value, Value]>,
  op: string
): Value {
  const n = byKey.length;
  const base = rt & ~ReturnType.INVERTED;
  const idx = sel.idx;
  let ranks: number[] | undefined;
  const rankOf = (i: number): number => {
    if (!ranks) {
      ranks = new Array<number>(n);
      rankOrder(byKey.map(e => e[1])).forEach((p, r) => (ranks![p] = r));
    }
    return ranks[i];
  };
  const ordered = sel.order ?? idx;
  const pick = (f: (i: number) => Value, missing: Value): Value =>
    sel.multi ? ordered.map(f) : idx.length ? f(idx[0]) : missing;
  const fromRange = rangeResultOf(rt, sel, n);
  if (fromRange !== undefined) return fromRange;
  // Rank lists come out in rank order.
  const sortedRanks = (f: (i: number) => number): Value =>
    sel.multi
      ? sel.inverted
        ? idx.map(f)
        : idx.map(f).sort((a, b) => a - b)
      : idx.length
        ? f(idx[0])
        : -1;
  switch (base) {
    case ReturnType.NONE:
      return null;
    case ReturnType.INDEX:
      return pick(i => i, -1);
    case ReturnType.REVERSE_INDEX:
      return pick(i => n - 1 - i, -1);
    case ReturnType.RANK:
      return sortedRanks(rankOf);
    case ReturnType.REVERSE_RANK:
      return sortedRanks(i => n - 1 - rankOf(i));
    case ReturnType.COUNT:
      return idx.length;
    case ReturnType.KEY:
      return pick(i => byKey[i][0], null);
    case ReturnType.VALUE:
      return pick(i => byKey[i][1], null);
    case ReturnType.EXISTS:
      return idx.length > 0;
    case ReturnType.KEY_VALUE:
    case ReturnType.UNORDERED_MAP:
    case ReturnType.ORDERED_MAP:
      // result_map_type_to_map_flags() (base/cdt.h): KEY_VALUE is a map
      // flagged "preserve order", which clients decode as a flat list
      // [k1, v1, k2, v2, ...]; ORDERED_MAP is key ordered.
      return new AsMap(
        (base === ReturnType.ORDERED_MAP ? idx : ordered).map(i => [
          byKey[i][0],
          byKey[i][1],
        ]),
        base === ReturnType.ORDERED_MAP
          ? MAP_K_ORDERED
          : base === ReturnType.UNORDERED_MAP
            ? 0
            : MAP_PRESERVE_ORDER
      );
    default:
      return fail(
        ResultCode.PARAMETER_ERROR,
        `${op}: invalid return type ${rt}`
      );
  }
}

/**
 * Applies one map op to `map` (undefined when the bin / element is absent).
 * Never mutates its input.
 */
export function applyMapOp(
  code: number,
  args: Args,
  map: AsMap | undefined
): CdtOutcome {
  const op = mapOpName(code);
  if (!MAP_OP_NAMES[code]) {
    fail(ResultCode.PARAMETER_ERROR, `${op}: unknown map operation`);
  }
  if (map === undefined) {
    if (!mapOpCreates(code)) return { value: undefined, result: null };
    let attr = 0;
    switch (code) {
      case MapOp.SET_TYPE:
        attr = args.int(0);
        break;
      case MapOp.ADD:
      case MapOp.PUT:
        attr = args.int(2, 0);
        break;
      case MapOp.ADD_ITEMS:
      case MapOp.PUT_ITEMS:
      case MapOp.INCREMENT:
      case MapOp.DECREMENT:
        attr = args.int(code >= MapOp.INCREMENT ? 2 : 1, 0);
        break;
      default:
        break;
    }
    map = new AsMap([], attr & 3);
  }
  switch (code) {
    case MapOp.SET_TYPE: {
      const order = args.int(0) & 3;
      const entries = order & 1 ? sortByKey(map.entries) : map.entries.slice();
      return { value: new AsMap(entries, order), result: null };
    }
    case MapOp.ADD:
    case MapOp.PUT:
    case MapOp.REPLACE: {
      const flags =
        code === MapOp.ADD
          ? MapWriteFlags.CREATE_ONLY
          : code === MapOp.REPLACE
            ? MapWriteFlags.UPDATE_ONLY
            : args.int(3, 0);
      const out = putEntries(map, [[args.value(0), args.value(1)]], flags, op);
      return { value: out, result: out.entries.length };
    }
    case MapOp.ADD_ITEMS:
    case MapOp.PUT_ITEMS:
    case MapOp.REPLACE_ITEMS: {
      const flags =
        code === MapOp.ADD_ITEMS
          ? MapWriteFlags.CREATE_ONLY
          : code === MapOp.REPLACE_ITEMS
            ? MapWriteFlags.UPDATE_ONLY
            : args.int(2, 0);
      const out = putEntries(map, args.map(0).entries, flags, op);
      return { value: out, result: out.entries.length };
    }
    case MapOp.INCREMENT:
    case MapOp.DECREMENT: {
      const key = args.value(0);
      const raw = args.has(1) && args.value(1) !== null ? args.value(1) : 1;
      const delta = code === MapOp.DECREMENT ? negate(raw, op) : raw;
      const at = findKey(map.entries, key);
      const next = addNumbers(
        at >= 0 ? map.entries[at][1] : undefined,
        delta,
        op
      );
      const out = putEntries(map, [[key, next]], 0, op);
      return { value: out, result: next };
    }
    case MapOp.CLEAR:
      return { value: new AsMap([], map.order), result: null };
    case MapOp.SIZE:
      return { value: map, result: map.entries.length };
    default:
      break;
  }
  const getCode = REMOVE_TO_GET[code] ?? code;
  const byKey = sortByKey(map.entries);
  const sel = mapSelect(getCode, args, byKey);
  const result = mapResult(args.int(0), sel, byKey, op);
  if (isMapRead(code)) return { value: map, result };
  const drop = new Set(sel.idx.map(i => byKey[i]));
  const entries = map.entries.filter(e => !drop.has(e));
  return { value: new AsMap(entries, map.order), result };
}
