/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// CDT (list and map) operations: op types 3 (CDT_READ) and 4 (CDT_MODIFY).
//
// The op value (sent with particle type 4, blob) is a msgpack array:
//   [opcode, args...]                       plain op
//   [0xff, [ctxType, ctxValue, ...], [opcode, args...]]   op with a context
// List opcodes are 0..63, map opcodes 64..127. Context types: 0x10 list
// index, 0x11 list rank, 0x13 list value, 0x20 map index, 0x21 map rank,
// 0x22 map key, 0x23 map value; the 0xc0 bits ask to create a missing
// element (list: 0xc0 ordered, 0x80 unordered + pad, 0x40 unordered; map:
// 0x40 unordered, 0x80 key ordered, 0xc0 key/value ordered).

import { AsMap, type Value } from '../codec/values.ts';
import {
  MsgpackReader,
  type MsgpackItem,
  compareValues,
  getListOrder,
  setListOrder,
} from '../codec/msgpack.ts';
import { ResultCode, ServerError } from './errors.ts';
import {
  Args,
  type CdtOutcome,
  applyListOp,
  fail,
  isListRead,
  listOpName,
  rankOrder,
  resolveIndex,
} from './cdt-list.ts';
import { applyMapOp, isMapRead, mapOpName } from './cdt-map.ts';

export { ReturnType, ListOp, ListWriteFlags } from './cdt-list.ts';
export { MapOp, MapWriteFlags } from './cdt-map.ts';

const OP_CDT_READ = 3;
const OP_CDT_MODIFY = 4;

const CTX_LIST_INDEX = 0x10;
const CTX_LIST_RANK = 0x11;
const CTX_LIST_VALUE = 0x13;
const CTX_MAP_INDEX = 0x20;
const CTX_MAP_RANK = 0x21;
const CTX_MAP_KEY = 0x22;
const CTX_MAP_VALUE = 0x23;

interface CtxStep {
  type: number;
  value: Value;
}

/** A decoded CDT op payload. */
export interface CdtCall {
  opcode: number;
  args: MsgpackItem[];
  ctx: CtxStep[];
}

/** Decodes a CDT op payload (see the header comment for its forms). */
export function decodeCdtPayload(payload: Buffer): CdtCall {
  const r = new MsgpackReader(payload);
  let n = r.readArrayHeader();
  if (n < 1) fail(ResultCode.PARAMETER_ERROR, 'cdt: empty operation');
  let opcode = Number(r.readInt());
  const ctx: CtxStep[] = [];
  if (opcode === 0xff) {
    if (n !== 3) fail(ResultCode.PARAMETER_ERROR, 'cdt: malformed context');
    const m = r.readArrayHeader();
    if (m === 0 || m % 2) {
      fail(ResultCode.PARAMETER_ERROR, 'cdt: malformed context');
    }
    for (let i = 0; i < m; i += 2) {
      const type = Number(r.readInt());
      ctx.push({ type, value: r.readValue() });
    }
    n = r.readArrayHeader();
    if (n < 1) fail(ResultCode.PARAMETER_ERROR, 'cdt: empty operation');
    opcode = Number(r.readInt());
  }
  const args: MsgpackItem[] = [];
  for (let i = 1; i < n; i++) args.push(r.readItem());
  if (r.remaining) fail(ResultCode.PARAMETER_ERROR, 'cdt: trailing bytes');
  return { opcode, args, ctx };
}

function isListOpcode(code: number): boolean {
  return code < 64;
}

function opName(code: number): string {
  return isListOpcode(code) ? listOpName(code) : mapOpName(code);
}

/** Runs the op on a container of the right kind (or on an absent one). */
function runLeaf(code: number, args: Args, target: Value | undefined) {
  if (isListOpcode(code)) {
    if (target !== undefined && !Array.isArray(target)) {
      fail(ResultCode.BIN_TYPE_ERROR, `${args.op}: bin is not a list`);
    }
    return applyListOp(code, args, target);
  }
  if (target !== undefined && !(target instanceof AsMap)) {
    fail(ResultCode.BIN_TYPE_ERROR, `${args.op}: bin is not a map`);
  }
  return applyMapOp(code, args, target);
}

function emptyContainer(asList: boolean, flags: number): Value {
  if (asList) {
    const l: Value[] = [];
    setListOrder(l, flags === 0xc0 ? 1 : 0);
    return l;
  }
  return new AsMap([], flags === 0xc0 ? 3 : flags === 0x80 ? 1 : 0);
}

function ctxMissing(step: CtxStep): never {
  return fail(
    ResultCode.OP_NOT_APPLICABLE,
    `cdt context 0x${step.type.toString(16)}: element not found`
  );
}

/**
 * Walks the context down to the targeted element, runs the op there and
 * rebuilds the containers on the way back up (copy on write).
 */
function walk(
  value: Value | undefined,
  ctx: CtxStep[],
  k: number,
  code: number,
  args: Args,
  modify: boolean
): CdtOutcome {
  if (k === ctx.length) return runLeaf(code, args, value);
  const step = ctx[k];
  const base = step.type & 0x3f;
  const create = modify ? step.type & 0xc0 : 0;
  // The kind of container the next level needs, for element creation.
  const next = ctx[k + 1];
  const childIsList = next ? (next.type & 0x30) === 0x10 : isListOpcode(code);
  if (value === undefined) {
    if (!modify) return { value: undefined, result: null };
    if (!create) ctxMissing(step);
    value = emptyContainer((step.type & 0x30) === 0x10, 0);
  }
  if (
    base === CTX_LIST_INDEX ||
    base === CTX_LIST_RANK ||
    base === CTX_LIST_VALUE
  ) {
    if (!Array.isArray(value)) {
      fail(ResultCode.BIN_TYPE_ERROR, 'cdt context: element is not a list');
    }
    const list = value;
    let i: number;
    if (base === CTX_LIST_INDEX) {
      const idx = Number(step.value);
      i = resolveIndex(idx, list.length);
      if (i < 0) {
        if (!create || idx < 0) ctxMissing(step);
        // Out of bounds with a create flag: pad (0x80) or append.
        if (idx > list.length && create !== 0x80) ctxMissing(step);
        i = idx;
      }
    } else if (base === CTX_LIST_RANK) {
      const r = resolveIndex(Number(step.value), list.length);
      if (r < 0) ctxMissing(step);
      i = rankOrder(list)[r];
    } else {
      i = list.findIndex(e => compareValues(e, step.value) === 0);
      if (i < 0) ctxMissing(step);
    }
    const child =
      i < list.length ? list[i] : emptyContainer(childIsList, create);
    const out = walk(child, ctx, k + 1, code, args, modify);
    if (!modify || out.value === undefined)
      return { value: list, result: out.result };
    const copy = list.slice();
    setListOrder(copy, getListOrder(list));
    while (copy.length < i) copy.push(null);
    copy[i] = out.value;
    if (getListOrder(list) & 1) copy.sort(compareValues);
    return { value: copy, result: out.result };
  }
  if (
    base === CTX_MAP_INDEX ||
    base === CTX_MAP_RANK ||
    base === CTX_MAP_KEY ||
    base === CTX_MAP_VALUE
  ) {
    if (!(value instanceof AsMap)) {
      fail(ResultCode.BIN_TYPE_ERROR, 'cdt context: element is not a map');
    }
    const map = value;
    const byKey = map.entries.slice().sort((a, b) => compareValues(a[0], b[0]));
    let entry: [Value, Value] | undefined;
    if (base === CTX_MAP_INDEX) {
      const i = resolveIndex(Number(step.value), byKey.length);
      if (i < 0) ctxMissing(step);
      entry = byKey[i];
    } else if (base === CTX_MAP_RANK) {
      const r = resolveIndex(Number(step.value), byKey.length);
      if (r < 0) ctxMissing(step);
      entry = byKey[rankOrder(byKey.map(e => e[1]))[r]];
    } else if (base === CTX_MAP_KEY) {
      entry = map.entries.find(e => compareValues(e[0], step.value) === 0);
      if (!entry) {
        if (!create) ctxMissing(step);
        entry = [step.value, emptyContainer(childIsList, create)];
      }
    } else {
      entry = byKey.find(e => compareValues(e[1], step.value) === 0);
      if (!entry) ctxMissing(step);
    }
    const out = walk(entry[1], ctx, k + 1, code, args, modify);
    if (!modify || out.value === undefined)
      return { value: map, result: out.result };
    const found = map.entries.indexOf(entry);
    const entries = map.entries.slice();
    if (found >= 0) entries[found] = [entry[0], out.value];
    else entries.push([entry[0], out.value]);
    if (map.order & 1) entries.sort((a, b) => compareValues(a[0], b[0]));
    return { value: new AsMap(entries, map.order), result: out.result };
  }
  return fail(
    ResultCode.PARAMETER_ERROR,
    `cdt context: invalid type 0x${step.type.toString(16)}`
  );
}

/**
 * Applies a CDT_READ (3) or CDT_MODIFY (4) operation to a bin value.
 *
 * `current` is the bin's value (undefined when the bin is absent). Returns
 * the bin's new value (unchanged for reads; undefined when the bin stays
 * absent) and the op's result. A null result means "no value": the server
 * then sends no result bin unless the request asked to respond on all ops
 * (in which case a nil bin).
 */
export function applyCdtOp(
  opType: number,
  payload: Buffer,
  current: Value | undefined
): { binValue: Value | undefined; result: Value } {
  if (opType !== OP_CDT_READ && opType !== OP_CDT_MODIFY) {
    throw new ServerError(
      ResultCode.PARAMETER_ERROR,
      `cdt: unexpected op type ${opType}`
    );
  }
  const call = decodeCdtPayload(payload);
  const code = call.opcode;
  if (code < 0 || code > 127) {
    fail(ResultCode.PARAMETER_ERROR, `cdt: invalid opcode ${code}`);
  }
  const name = opName(code);
  const isRead = isListOpcode(code) ? isListRead(code) : isMapRead(code);
  if (opType === OP_CDT_READ && !isRead) {
    fail(
      ResultCode.PARAMETER_ERROR,
      `${name}: a modify operation sent as CDT_READ`
    );
  }
  const modify = opType === OP_CDT_MODIFY && !isRead;
  const args = new Args(call.args, name);
  const out = walk(current, call.ctx, 0, code, args, modify);
  return {
    binValue: modify && out.value !== undefined ? out.value : current,
    result: out.result,
  };
}
