/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// CDT list operations, plus the helpers the map operations share (argument
// access, index arithmetic, return types).

import { AsDouble, AsMap, type Value } from '../codec/values.ts';
import {
  MsgpackExt,
  type MsgpackItem,
  compareValues,
  getListOrder,
  setListOrder,
} from '../codec/msgpack.ts';
import { ResultCode, ServerError } from './errors.ts';

/** Aerospike CDT element errors (not in ResultCode). */
export const ELEMENT_NOT_FOUND = ResultCode.ELEMENT_NOT_FOUND;
export const ELEMENT_EXISTS = ResultCode.ELEMENT_EXISTS;

/** Return types shared by list and map get/remove-by operations. */
export const ReturnType = {
  NONE: 0,
  INDEX: 1,
  REVERSE_INDEX: 2,
  RANK: 3,
  REVERSE_RANK: 4,
  COUNT: 5,
  KEY: 6,
  VALUE: 7,
  KEY_VALUE: 8,
  EXISTS: 13,
  UNORDERED_MAP: 16,
  ORDERED_MAP: 17,
  INVERTED: 0x10000,
} as const;

/** List write flags. */
export const ListWriteFlags = {
  ADD_UNIQUE: 1,
  INSERT_BOUNDED: 2,
  NO_FAIL: 4,
  PARTIAL: 8,
} as const;

/** What a CDT operation hands back to the engine. */
export interface CdtOutcome {
  /** New value of the container (undefined: unchanged / absent). */
  value: Value | undefined;
  /** The op's result (null: no result). */
  result: Value;
}

export function fail(code: number, message: string): never {
  throw new ServerError(code, message);
}

/** Positional access to an op's arguments (after the opcode). */
export class Args {
  readonly items: MsgpackItem[];
  readonly op: string;
  constructor(items: MsgpackItem[], op: string) {
    this.items = items;
    this.op = op;
  }

  has(i: number): boolean {
    return i < this.items.length;
  }

  private bad(i: number, what: string): never {
    return fail(
      ResultCode.PARAMETER_ERROR,
      `${this.op}: argument ${i + 1} must be ${what}`
    );
  }

  int(i: number, def?: number): number {
    if (!this.has(i)) {
      if (def !== undefined) return def;
      return this.bad(i, 'an integer');
    }
    const v = this.items[i];
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return this.bad(i, 'an integer');
  }

  /** An optional count: undefined when absent (means "to the end"). */
  count(i: number): number | undefined {
    if (!this.has(i) || this.items[i] === null) return undefined;
    const c = this.int(i);
    return c < 0 ? Number.MAX_SAFE_INTEGER : c;
  }

  value(i: number): Value {
    if (!this.has(i)) return this.bad(i, 'a value');
    const v = this.items[i];
    if (v instanceof MsgpackExt) return this.bad(i, 'a value');
    return v;
  }

  /** A value or an ext marker (range ends); undefined when absent. */
  item(i: number): MsgpackItem | undefined {
    return this.has(i) ? this.items[i] : undefined;
  }

  list(i: number): Value[] {
    const v = this.value(i);
    if (!Array.isArray(v)) return this.bad(i, 'a list');
    return v;
  }

  map(i: number): AsMap {
    const v = this.value(i);
    if (!(v instanceof AsMap)) return this.bad(i, 'a map');
    return v;
  }
}

/** Resolves a possibly negative single index; -1 when out of bounds. */
export function resolveIndex(index: number, n: number): number {
  const i = index < 0 ? index + n : index;
  return i < 0 || i >= n ? -1 : i;
}

/** Index range semantics of the server (clamped, never an error). */
export function resolveRange(
  index: number,
  count: number | undefined,
  n: number
): [number, number] {
  let c = count ?? Number.MAX_SAFE_INTEGER;
  if (index >= n) return [n, 0];
  let i = index;
  if (i < 0) {
    i += n;
    if (i < 0) {
      c = c > -i ? c + i : 0;
      i = 0;
    }
  }
  return [i, Math.max(0, Math.min(c, n - i))];
}

/** Range relative to a base rank/index (rel rank / rel index ops). */
export function resolveRelRange(
  base: number,
  rel: number,
  count: number | undefined,
  n: number
): [number, number] {
  let start = base + rel;
  let c = count ?? Number.MAX_SAFE_INTEGER;
  if (start < 0) {
    c = c > -start ? c + start : 0;
    start = 0;
  }
  if (start >= n) return [n, 0];
  return [start, Math.max(0, Math.min(c, n - start))];
}

/** Positions sorted by value (stable): rank order. */
export function rankOrder(values: Value[]): number[] {
  return values
    .map((_, i) => i)
    .sort((a, b) => compareValues(values[a], values[b]) || a - b);
}

/** begin <= v < end, where a missing end (or an ext marker) is infinity. */
export function inInterval(
  v: Value,
  begin: MsgpackItem | undefined,
  end: MsgpackItem | undefined
): boolean {
  if (begin !== undefined && !(begin instanceof MsgpackExt)) {
    if (compareValues(v, begin) < 0) return false;
  }
  if (end === undefined || end instanceof MsgpackExt) return true;
  return compareValues(v, end) < 0;
}

/** Complements a selection when the INVERTED bit is set. */
export function applyInverted(sel: number[], n: number, rt: number): number[] {
  if (!(rt & ReturnType.INVERTED)) return sel;
  const set = new Set(sel);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (!set.has(i)) out.push(i);
  return out;
}

/** The elements a get/remove-by op selected, in index order. */
export interface Selection {
  idx: number[];
  multi: boolean;
  /**
   * The order element results (values, keys) come in when it is not the
   * index order: rank selections follow the server's heap.
   */
  order?: number[];
  /**
   * Set when the selection is the rank range [start, start + count): rank
   * results are then that range (result_data_set_range() of base/cdt.c).
   */
  rankRange?: [number, number];
  /** The same for a selection that is an index range. */
  indexRange?: [number, number];
  /**
   * How many elements matched before any INVERTED flag was applied, for
   * ops whose existence result looks at the match rather than the
   * (possibly inverted) selection: the range ops.
   */
  matched?: number;
  /** Whether `idx` is the complement of what matched. */
  inverted?: boolean;
}

/**
 * Applies the INVERTED flag of `rt` to a multi-result selection, keeping
 * what range results need; an empty match is the empty range at 0
 * (result_data_set_not_found() of base/cdt.c).
 */
export function finishSelection(
  sel: Selection,
  n: number,
  rt: number,
  emptyIsRange = false
): Selection {
  const inverted = (rt & ReturnType.INVERTED) !== 0;
  const matched = sel.idx.length;
  const ranged = sel.rankRange !== undefined || sel.indexRange !== undefined;
  const out: Selection = {
    ...sel,
    idx: applyInverted(sel.idx, n, rt),
    matched: ranged ? matched : undefined,
    inverted,
  };
  if (inverted) out.order = undefined;
  if (matched === 0 && emptyIsRange) {
    out.rankRange ??= [0, 0];
    out.indexRange ??= [0, 0];
  }
  return out;
}

/**
 * An INVERTED index or rank range whose complement is one range is
 * answered as that range, not inverted ("Reduce to remove all / tail
 * section / head section" in base/particle_list.c and particle_map.c).
 */
export function reduceInverted(
  start: number,
  count: number,
  n: number,
  rt: number
): [number, number, number] {
  if (!(rt & ReturnType.INVERTED)) return [start, count, rt];
  const plain = rt & ~ReturnType.INVERTED;
  if (count === 0) return [0, n, plain];
  if (start === 0) return [count, n - count, plain];
  if (start + count >= n) return [0, start, plain];
  return [start, count, rt];
}

/**
 * Heap selection of ranks [start, start + count), as
 * order_heap_init_build_by_range_temp() of base/cdt.c does it: a min-heap
 * when the range is nearer the low end (its picks come out highest rank
 * first), else a max-heap (lowest first). Returns the picked positions in
 * that order; ties fall where the heap puts them, as on a real node.
 */
export function heapRankSelect(
  values: Value[],
  start: number,
  count: number
): { positions: number[]; minHeap: boolean } {
  const n = values.length;
  const tail = n - start - count;
  const minHeap = start <= tail;
  const discard = minHeap ? start : tail;
  const wanted = minHeap ? -1 : 1;
  const cmp = (a: number, b: number) =>
    Math.sign(compareValues(values[a], values[b]));
  const heap = Array.from({ length: n }, (_, i) => i);
  let filled = n;
  const heapify = (at: number) => {
    for (;;) {
      const c1 = 2 * at + 1;
      const c2 = c1 + 1;
      if (c1 >= filled) return;
      let child = c1;
      if (c2 < filled) {
        const c = cmp(heap[c1], heap[c2]);
        child = c === wanted || c === 0 ? c1 : c2;
      }
      if (cmp(heap[child], heap[at]) !== wanted) return;
      [heap[at], heap[child]] = [heap[child], heap[at]];
      at = child;
    }
  };
  for (let i = Math.floor(filled / 2) - 1; i >= 0; i--) heapify(i);
  let end = n - 1;
  for (let k = 0; k < count + discard; k++) {
    const top = heap[0];
    heap[0] = heap[--filled];
    heapify(0);
    heap[end--] = top;
  }
  return { positions: heap.slice(filled, filled + count), minHeap };
}

/** Single-result ops take no INVERTED flag: code 26 (base/particle_*.c). */
export function singleResult(rt: number, op: string): void {
  if (rt & ReturnType.INVERTED) {
    fail(
      ResultCode.OP_NOT_APPLICABLE,
      `${op}: INVERTED flag not supported for single result ops`
    );
  }
}

/** The range [start, start + count), reversed or complemented as asked. */
function rangeList(
  range: [number, number],
  n: number,
  inverted: boolean,
  reverse: boolean
): number[] {
  let [start, count] = range;
  const spans: Array<[number, number]> = inverted
    ? [
        [0, start],
        [start + count, n - start - count],
      ]
    : [[start, count]];
  const out: number[] = [];
  for ([start, count] of spans) {
    if (reverse) start = n - start - count;
    for (let i = 0; i < count; i++) out.push(start + i);
  }
  return out;
}

/**
 * The results a node computes from the selection's shape rather than its
 * elements (result_data_set_index_rank_count() of base/cdt.c): existence
 * of a match, and indexes or ranks of a selection that is a range.
 * Undefined when the elements decide.
 */
export function rangeResultOf(
  rt: number,
  sel: Selection,
  n: number
): Value | undefined {
  const base = rt & ~ReturnType.INVERTED;
  const inverted = sel.inverted ?? false;
  const range =
    base === ReturnType.RANK || base === ReturnType.REVERSE_RANK
      ? sel.rankRange
      : base === ReturnType.INDEX || base === ReturnType.REVERSE_INDEX
        ? sel.indexRange
        : undefined;
  const reverse =
    base === ReturnType.REVERSE_RANK || base === ReturnType.REVERSE_INDEX;
  if (!sel.multi) {
    if (range === undefined) return undefined;
    const [start, count] = range;
    if (!count) return -1;
    return reverse ? n - start - 1 : start;
  }
  if (base === ReturnType.EXISTS && sel.matched !== undefined) {
    return inverted ? sel.matched === 0 : sel.matched > 0;
  }
  if (range === undefined) return undefined;
  return rangeList(range, n, inverted, reverse);
}

/** Builds a list op's result from a selection. */
export function listResult(
  rt: number,
  sel: Selection,
  values: Value[],
  op: string
): Value {
  const n = values.length;
  const base = rt & ~ReturnType.INVERTED;
  const idx = sel.idx;
  let ranks: number[] | undefined;
  const rankOf = (i: number): number => {
    if (!ranks) {
      ranks = new Array<number>(n);
      rankOrder(values).forEach((pos, r) => (ranks![pos] = r));
    }
    return ranks[i];
  };
  const many = (f: (i: number) => Value): Value =>
    sel.multi ? idx.map(f) : idx.length ? f(idx[0]) : null;
  const fromRange = rangeResultOf(rt, sel, n);
  if (fromRange !== undefined) return fromRange;
  switch (base) {
    case ReturnType.NONE:
      return null;
    case ReturnType.INDEX:
      return sel.multi || idx.length ? many(i => i) : -1;
    case ReturnType.REVERSE_INDEX:
      return sel.multi || idx.length ? many(i => n - 1 - i) : -1;
    case ReturnType.RANK:
      return sel.multi || idx.length ? many(rankOf) : -1;
    case ReturnType.REVERSE_RANK:
      return sel.multi || idx.length ? many(i => n - 1 - rankOf(i)) : -1;
    case ReturnType.COUNT:
      return idx.length;
    case ReturnType.VALUE:
      if (sel.order !== undefined) return sel.order.map(i => values[i]);
      return many(i => values[i]);
    case ReturnType.EXISTS:
      return idx.length > 0;
    default:
      return fail(
        ResultCode.PARAMETER_ERROR,
        `${op}: invalid return type ${rt}`
      );
  }
}

function isNumeric(v: Value): boolean {
  return (
    typeof v === 'number' || typeof v === 'bigint' || v instanceof AsDouble
  );
}

/** Adds a delta to a numeric element (CDT increment semantics). */
export function addNumbers(
  current: Value | undefined,
  delta: Value,
  op: string
): Value {
  if (!isNumeric(delta)) {
    fail(ResultCode.PARAMETER_ERROR, `${op}: delta must be a number`);
  }
  if (current === undefined || current === null) return delta;
  if (!isNumeric(current)) {
    fail(ResultCode.BIN_TYPE_ERROR, `${op}: element is not a number`);
  }
  if (current instanceof AsDouble || delta instanceof AsDouble) {
    if (!(current instanceof AsDouble) || !(delta instanceof AsDouble)) {
      fail(ResultCode.BIN_TYPE_ERROR, `${op}: integer/double mismatch`);
    }
    return new AsDouble(current.value + delta.value);
  }
  const sum = BigInt(current as number | bigint) + BigInt(delta as number);
  const wrapped = BigInt.asIntN(64, sum);
  return wrapped <= BigInt(Number.MAX_SAFE_INTEGER) &&
    wrapped >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(wrapped)
    : wrapped;
}

export const ListOp = {
  SET_TYPE: 0,
  APPEND: 1,
  APPEND_ITEMS: 2,
  INSERT: 3,
  INSERT_ITEMS: 4,
  POP: 5,
  POP_RANGE: 6,
  REMOVE: 7,
  REMOVE_RANGE: 8,
  SET: 9,
  TRIM: 10,
  CLEAR: 11,
  INCREMENT: 12,
  SORT: 13,
  SIZE: 16,
  GET: 17,
  GET_RANGE: 18,
  GET_BY_INDEX: 19,
  GET_BY_VALUE: 20,
  GET_BY_RANK: 21,
  GET_ALL_BY_VALUE: 22,
  GET_ALL_BY_VALUE_LIST: 23,
  GET_BY_INDEX_RANGE: 24,
  GET_BY_VALUE_INTERVAL: 25,
  GET_BY_RANK_RANGE: 26,
  GET_BY_VALUE_REL_RANK_RANGE: 27,
  REMOVE_BY_INDEX: 32,
  REMOVE_BY_VALUE: 33,
  REMOVE_BY_RANK: 34,
  REMOVE_ALL_BY_VALUE: 35,
  REMOVE_ALL_BY_VALUE_LIST: 36,
  REMOVE_BY_INDEX_RANGE: 37,
  REMOVE_BY_VALUE_INTERVAL: 38,
  REMOVE_BY_RANK_RANGE: 39,
  REMOVE_BY_VALUE_REL_RANK_RANGE: 40,
} as const;

const LIST_OP_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ListOp).map(([k, v]) => [v, `list ${k.toLowerCase()}`])
);

export function listOpName(code: number): string {
  return LIST_OP_NAMES[code] ?? `list op ${code}`;
}

/** Whether a list opcode reads only. */
export function isListRead(code: number): boolean {
  return code >= 16 && code < 32;
}

/** List opcodes that create the list when the bin (or element) is absent. */
export function listOpCreates(code: number): boolean {
  return (
    code === ListOp.SET_TYPE ||
    code === ListOp.APPEND ||
    code === ListOp.APPEND_ITEMS ||
    code === ListOp.INSERT ||
    code === ListOp.INSERT_ITEMS ||
    code === ListOp.SET ||
    code === ListOp.INCREMENT
  );
}

function newList(items: Value[], order: number): Value[] {
  setListOrder(items, order);
  return items;
}

function sortedInsertPos(list: Value[], v: Value): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareValues(list[mid], v) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contains(list: Value[], v: Value): boolean {
  return list.some(e => compareValues(e, v) === 0);
}

/**
 * Adds items (append / append-items / insert / insert-items), honouring
 * ADD_UNIQUE, NO_FAIL and PARTIAL. Returns the list size.
 */
function addItems(
  list: Value[],
  items: Value[],
  at: number | undefined,
  flags: number,
  op: string
): Value[] {
  const ordered = getListOrder(list) & 1;
  let toAdd = items;
  if (flags & ListWriteFlags.ADD_UNIQUE) {
    const kept: Value[] = [];
    for (const it of items) {
      if (contains(list, it) || contains(kept, it)) {
        if (!(flags & ListWriteFlags.NO_FAIL)) {
          fail(ELEMENT_EXISTS, `${op}: element already exists`);
        }
        if (!(flags & ListWriteFlags.PARTIAL)) return list;
        continue;
      }
      kept.push(it);
    }
    toAdd = kept;
  }
  const out = list.slice();
  setListOrder(out, getListOrder(list));
  if (ordered) {
    for (const it of toAdd) out.splice(sortedInsertPos(out, it), 0, it);
    return out;
  }
  if (at === undefined) {
    out.push(...toAdd);
    return out;
  }
  while (out.length < at) out.push(null);
  out.splice(at, 0, ...toAdd);
  return out;
}

/** Where an insert goes; undefined means "do nothing" (NO_FAIL). */
function insertPos(
  index: number,
  n: number,
  flags: number,
  op: string
): number | undefined {
  const i = index < 0 ? index + n : index;
  const bounded = flags & ListWriteFlags.INSERT_BOUNDED;
  if (i < 0 || (bounded && i > n)) {
    if (flags & ListWriteFlags.NO_FAIL) return undefined;
    fail(
      ResultCode.OP_NOT_APPLICABLE,
      `${op}: index ${index} out of bounds for size ${n}`
    );
  }
  return i;
}

function valueSelection(
  values: Value[],
  pred: (v: Value) => boolean
): number[] {
  const out: number[] = [];
  values.forEach((v, i) => {
    if (pred(v)) out.push(i);
  });
  return out;
}

/**
 * A rank range of a list (packed_list_get_remove_by_rank_range() of
 * base/particle_list.c): an ordered list answers in index (= rank) order,
 * an unordered one in the order of the heap selection.
 */
function listRankRange(
  values: Value[],
  start: number,
  count: number
): Selection {
  const rankRange: [number, number] = [start, count];
  if (count === 0) return { idx: [], multi: true, rankRange };
  if (getListOrder(values) & 1) {
    const idx = Array.from({ length: count }, (_, k) => start + k);
    return { idx, multi: true, rankRange };
  }
  const { positions } = heapRankSelect(values, start, count);
  const idx = positions.slice().sort((a, b) => a - b);
  return { idx, multi: true, order: positions, rankRange };
}

/**
 * Selects elements for a get/remove-by op. Returns undefined for a single
 * index/rank out of bounds (the server answers OP_NOT_APPLICABLE).
 */
function listSelect(
  code: number,
  args: Args,
  values: Value[],
  op: string
): Selection {
  const n = values.length;
  const rt = args.int(0);
  const base = code >= 32 ? code - 13 : code; // remove-by -> get-by opcode
  let sel: Selection;
  switch (base) {
    case ListOp.GET_BY_INDEX:
    case ListOp.GET_BY_RANK: {
      singleResult(rt, op);
      const i = resolveIndex(args.int(1), n);
      if (i < 0) {
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${op}: index ${args.int(1)} out of bounds for size ${n}`
        );
      }
      if (base === ListOp.GET_BY_INDEX) {
        return { idx: [i], multi: false, indexRange: [i, 1] };
      }
      const pos =
        getListOrder(values) & 1
          ? i
          : heapRankSelect(values, i, 1).positions[0];
      return { idx: [pos], multi: false, rankRange: [i, 1] };
    }
    case ListOp.GET_BY_VALUE:
    case ListOp.GET_ALL_BY_VALUE: {
      // The matches of one value are one rank range.
      const v = args.value(1);
      const idx = valueSelection(values, e => compareValues(e, v) === 0);
      const below = values.filter(e => compareValues(e, v) < 0).length;
      const found = finishSelection(
        { idx, multi: true, rankRange: [below, idx.length] },
        n,
        rt,
        true
      );
      return { ...found, matched: undefined };
    }
    case ListOp.GET_ALL_BY_VALUE_LIST: {
      const list = args.list(1);
      sel = {
        idx: valueSelection(values, e => contains(list, e)),
        multi: true,
      };
      break;
    }
    case ListOp.GET_BY_INDEX_RANGE: {
      const [s0, c0] = resolveRange(args.int(1), args.count(2), n);
      const [s, c, rt2] = reduceInverted(s0, c0, n, rt);
      const idx = Array.from({ length: c }, (_, k) => s + k);
      return finishSelection({ idx, multi: true, indexRange: [s, c] }, n, rt2);
    }
    case ListOp.GET_BY_VALUE_INTERVAL: {
      const b = args.item(1);
      const e = args.item(2);
      const idx = valueSelection(values, v => inInterval(v, b, e));
      const below =
        b === undefined || b instanceof MsgpackExt
          ? 0
          : values.filter(v => compareValues(v, b) < 0).length;
      sel = { idx, multi: true, rankRange: [below, idx.length] };
      break;
    }
    case ListOp.GET_BY_RANK_RANGE: {
      const [s, c] = resolveRange(args.int(1), args.count(2), n);
      sel = listRankRange(values, s, c);
      break;
    }
    case ListOp.GET_BY_VALUE_REL_RANK_RANGE: {
      const v = args.value(1);
      const baseRank = values.filter(e => compareValues(e, v) < 0).length;
      const [s, c] = resolveRelRange(baseRank, args.int(2), args.count(3), n);
      sel = listRankRange(values, s, c);
      break;
    }
    default:
      return fail(ResultCode.PARAMETER_ERROR, `${op}: invalid opcode ${code}`);
  }
  return finishSelection(sel, n, rt);
}

function removePositions(list: Value[], idx: number[]): Value[] {
  const drop = new Set(idx);
  const out = list.filter((_, i) => !drop.has(i));
  setListOrder(out, getListOrder(list));
  return out;
}

/**
 * Applies one list op to `list` (undefined when the bin / element is absent).
 * Never mutates its input.
 */
export function applyListOp(
  code: number,
  args: Args,
  list: Value[] | undefined
): CdtOutcome {
  const op = listOpName(code);
  if (list === undefined) {
    if (code === ListOp.SORT) {
      // list_modify_optype(): sort needs a live bin.
      fail(ResultCode.BIN_TYPE_ERROR, `${op}: no list to sort`);
    }
    if (isListRead(code) || !listOpCreates(code)) {
      // Nothing to read or remove from: no result, bin untouched.
      if (!LIST_OP_NAMES[code]) {
        fail(ResultCode.PARAMETER_ERROR, `${op}: unknown list operation`);
      }
      return { value: undefined, result: null };
    }
    let order = 0;
    // append / append-items: [value, order, flags]; increment:
    // [index, delta, order, flags].
    if (code === ListOp.APPEND || code === ListOp.APPEND_ITEMS) {
      order = args.int(1, 0);
    } else if (code === ListOp.INCREMENT) {
      order = args.int(2, 0);
    }
    list = newList([], order & 1);
  }
  const n = list.length;
  switch (code) {
    case ListOp.SET_TYPE: {
      const order = args.int(0) & 1;
      const out = list.slice();
      if (order) out.sort(compareValues);
      return { value: newList(out, order), result: null };
    }
    case ListOp.APPEND: {
      const out = addItems(
        list,
        [args.value(0)],
        undefined,
        args.int(2, 0),
        op
      );
      return { value: out, result: out.length };
    }
    case ListOp.APPEND_ITEMS: {
      const out = addItems(list, args.list(0), undefined, args.int(2, 0), op);
      return { value: out, result: out.length };
    }
    case ListOp.INSERT:
    case ListOp.INSERT_ITEMS: {
      if (getListOrder(list) & 1) {
        fail(ResultCode.OP_NOT_APPLICABLE, `${op}: list is ordered`);
      }
      const flags = args.int(2, 0);
      const at = insertPos(args.int(0), n, flags, op);
      if (at === undefined) return { value: list, result: n };
      const items = code === ListOp.INSERT ? [args.value(1)] : args.list(1);
      const out = addItems(list, items, at, flags, op);
      return { value: out, result: out.length };
    }
    case ListOp.POP:
    case ListOp.REMOVE: {
      const i = resolveIndex(args.int(0), n);
      if (i < 0) {
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${op}: index ${args.int(0)} out of bounds for size ${n}`
        );
      }
      return {
        value: removePositions(list, [i]),
        result: code === ListOp.POP ? list[i] : 1,
      };
    }
    case ListOp.POP_RANGE:
    case ListOp.REMOVE_RANGE: {
      const [s, c] = resolveRange(args.int(0), args.count(1), n);
      const removed = list.slice(s, s + c);
      const out = list.slice(0, s).concat(list.slice(s + c));
      setListOrder(out, getListOrder(list));
      return {
        value: out,
        result: code === ListOp.POP_RANGE ? removed : removed.length,
      };
    }
    case ListOp.SET: {
      if (getListOrder(list) & 1) {
        fail(ResultCode.OP_NOT_APPLICABLE, `${op}: list is ordered`);
      }
      const flags = args.int(2, 0);
      const index = args.int(0);
      const i = index < 0 ? index + n : index;
      if (i < 0 || (flags & ListWriteFlags.INSERT_BOUNDED && i >= n)) {
        if (flags & ListWriteFlags.NO_FAIL)
          return { value: list, result: null };
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${op}: index ${index} out of bounds for size ${n}`
        );
      }
      const v = args.value(1);
      if (flags & ListWriteFlags.ADD_UNIQUE) {
        if (list.some((e, k) => k !== i && compareValues(e, v) === 0)) {
          if (flags & ListWriteFlags.NO_FAIL) {
            return { value: list, result: null };
          }
          fail(ELEMENT_EXISTS, `${op}: element already exists`);
        }
      }
      const out = list.slice();
      setListOrder(out, getListOrder(list));
      while (out.length < i) out.push(null);
      out[i] = v;
      return { value: out, result: null };
    }
    case ListOp.TRIM: {
      const [s, c] = resolveRange(args.int(0), args.count(1), n);
      const out = list.slice(s, s + c);
      setListOrder(out, getListOrder(list));
      return { value: out, result: n - out.length };
    }
    case ListOp.CLEAR:
      return { value: newList([], getListOrder(list)), result: null };
    case ListOp.INCREMENT: {
      const index = args.int(0);
      const i = index < 0 ? index + n : index;
      if (i < 0) {
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${op}: index ${index} out of bounds for size ${n}`
        );
      }
      const delta = args.has(1) ? args.value(1) : 1;
      const next = addNumbers(i < n ? list[i] : undefined, delta, op);
      let out = list.slice();
      setListOrder(out, getListOrder(list));
      while (out.length < i) out.push(null);
      out[i] = next;
      if (getListOrder(list) & 1) out = newList(out.sort(compareValues), 1);
      return { value: out, result: next };
    }
    case ListOp.SORT: {
      const flags = args.int(0, 0);
      // list_sort(): order_index_sorted_mark_dup_eles() finds duplicates
      // in ascending order only; a descending sort that has some to drop
      // fails.
      const sorted = list.slice().sort(compareValues);
      const hasDuplicates = sorted.some(
        (v, k) => k > 0 && compareValues(v, sorted[k - 1]) === 0
      );
      if ((flags & 3) === 3 && hasDuplicates) {
        fail(
          ResultCode.PARAMETER_ERROR,
          `${op}: duplicates are dropped from ascending sorts only`
        );
      }
      let out = list.slice().sort(compareValues);
      if (flags & 1) out.reverse(); // DESCENDING
      if (flags & 2) {
        out = out.filter(
          (v, k) => k === 0 || compareValues(v, out[k - 1]) !== 0
        );
      }
      return { value: newList(out, getListOrder(list)), result: null };
    }
    case ListOp.SIZE:
      return { value: list, result: n };
    case ListOp.GET: {
      const i = resolveIndex(args.int(0), n);
      if (i < 0) {
        fail(
          ResultCode.OP_NOT_APPLICABLE,
          `${op}: index ${args.int(0)} out of bounds for size ${n}`
        );
      }
      return { value: list, result: list[i] };
    }
    case ListOp.GET_RANGE: {
      const [s, c] = resolveRange(args.int(0), args.count(1), n);
      return { value: list, result: list.slice(s, s + c) };
    }
    default:
      break;
  }
  if (
    code >= ListOp.GET_BY_INDEX &&
    code <= ListOp.REMOVE_BY_VALUE_REL_RANK_RANGE
  ) {
    if (
      code > ListOp.GET_BY_VALUE_REL_RANK_RANGE &&
      code < ListOp.REMOVE_BY_INDEX
    ) {
      fail(ResultCode.PARAMETER_ERROR, `${op}: unknown list operation`);
    }
    const sel = listSelect(code, args, list, op);
    const result = listResult(args.int(0), sel, list, op);
    if (code < ListOp.REMOVE_BY_INDEX) return { value: list, result };
    return { value: removePositions(list, sel.idx), result };
  }
  return fail(ResultCode.PARAMETER_ERROR, `${op}: unknown list operation`);
}
