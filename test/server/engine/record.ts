/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { Info1, Info2, Info3, OpType, type MsgOp } from '../codec/message.ts';
import { decodeParticle } from '../codec/particles.ts';
import { unpackValue } from '../codec/msgpack.ts';
import {
  AsDouble,
  ParticleType,
  type Bins,
  type Value,
} from '../codec/values.ts';
import {
  MAX_TTL,
  StoredRecord,
  TTL_DONT_UPDATE,
  TTL_NEVER_EXPIRE,
  nowVoidClock,
  type Namespace,
} from '../store/store.ts';
import { applyCdtOp } from './cdt.ts';
import type {
  UdfExecutionError,
  UdfOutcome,
  UdfRecord,
} from '../udf/runtime.ts';
import type { ServerContext } from './context.ts';
import type { ReplyBin } from './encode.ts';
import { ResultCode, ServerError } from './errors.ts';

// Single-record commands: read, exists, write, delete, operate and record
// UDFs. Batch entries run through the same code.

export interface KeyRequest {
  ns: Namespace;
  setName: string;
  digest: Buffer;
  /** The key field's bytes (particle type + value) when the client sent it. */
  keyField: Buffer | undefined;
  info1: number;
  info2: number;
  info3: number;
  generation: number;
  recordTtl: number;
  ops: MsgOp[];
  udf?: { module: string; fn: string; args: Buffer | undefined };
}

export interface KeyResult {
  code: number;
  gen: number;
  voidTime: number;
  /** Bins to send back: a list, a whole stored record, or none. */
  bins: ReplyBin[] | StoredRecord | undefined;
}

const MAX_BIN_NAME = 15;
const MAX_GEN = 0xffff;

function fail(code: number): KeyResult {
  return { code, gen: 0, voidTime: 0, bins: undefined };
}

/** Runs one key command against the store. Throws ServerError on bad input. */
export function executeKey(ctx: ServerContext, req: KeyRequest): KeyResult {
  if (req.udf !== undefined) return executeUdf(ctx, req);
  // remove() sends WRITE|DELETE without ops; operate's delete is an op.
  if ((req.info2 & Info2.DELETE) !== 0 && req.ops.length === 0) {
    return executeDelete(req);
  }
  if ((req.info2 & Info2.WRITE) !== 0) return executeWrite(ctx, req);
  return executeRead(ctx, req);
}

function executeRead(ctx: ServerContext, req: KeyRequest): KeyResult {
  const rec = req.ns.get(req.digest);
  if (rec === undefined) return fail(ResultCode.KEY_NOT_FOUND);
  const meta = { code: 0, gen: rec.gen, voidTime: rec.voidTime };
  if (req.ops.length === 0) {
    if ((req.info1 & Info1.NOBINDATA) !== 0) return { ...meta, bins: [] };
    if ((req.info1 & Info1.GET_ALL) !== 0) return { ...meta, bins: rec };
    return { ...meta, bins: [] };
  }
  const respondAll = (req.info2 & Info2.RESPOND_ALL_OPS) !== 0;
  const out: ReplyBin[] = [];
  for (const op of req.ops) {
    switch (op.opType) {
      case OpType.READ:
        readBin(rec.bins, op.name, respondAll, out);
        break;
      case OpType.CDT_READ: {
        const r = applyCdtOp(OpType.CDT_READ, op.value, rec.bins.get(op.name));
        out.push({ name: op.name, value: r.result });
        break;
      }
      default:
        throw unsupportedOp(ctx, op, (req.info2 & Info2.WRITE) !== 0);
    }
  }
  if ((req.info1 & Info1.GET_ALL) !== 0 && !hasAllRead(req.ops)) {
    for (const [name, value] of rec.bins) out.push({ name, value });
  }
  return { ...meta, bins: out };
}

function hasAllRead(ops: MsgOp[]): boolean {
  return ops.some(o => o.opType === OpType.READ && o.name === '');
}

function readBin(
  bins: Bins,
  name: string,
  respondAll: boolean,
  out: ReplyBin[]
): void {
  if (name === '') {
    for (const [n, value] of bins) out.push({ name: n, value });
    return;
  }
  const v = bins.get(name);
  if (v !== undefined) out.push({ name, value: v });
  else if (respondAll) out.push({ name, value: null });
}

const OP_NAMES: Record<number, string> = {
  7: 'EXP_READ',
  8: 'EXP_MODIFY',
  12: 'BIT_READ',
  13: 'BIT_MODIFY',
  15: 'HLL_READ',
  16: 'HLL_MODIFY',
};

function unsupportedOp(
  ctx: ServerContext,
  op: MsgOp,
  isWrite: boolean
): ServerError {
  const known = OP_NAMES[op.opType];
  if (known !== undefined) {
    ctx.log(`unsupported op ${known} (${op.opType}) on bin '${op.name}'`);
    return new ServerError(
      ResultCode.UNSUPPORTED_FEATURE,
      `unsupported op ${known}`
    );
  }
  ctx.log(
    `unexpected op type ${op.opType} on bin '${op.name}' in a ${isWrite ? 'write' : 'read'} command`
  );
  return new ServerError(
    ResultCode.PARAMETER_ERROR,
    `bad op type ${op.opType}`
  );
}

function generationOk(req: KeyRequest, rec: StoredRecord): boolean {
  if ((req.info2 & Info2.GENERATION) !== 0) {
    return rec.gen === req.generation;
  }
  if ((req.info2 & Info2.GENERATION_GT) !== 0) {
    return req.generation > rec.gen;
  }
  return true;
}

function executeDelete(req: KeyRequest): KeyResult {
  const rec = req.ns.get(req.digest);
  if (rec === undefined) return fail(ResultCode.KEY_NOT_FOUND);
  if (!generationOk(req, rec)) return fail(ResultCode.GENERATION_ERROR);
  req.ns.delete(req.digest);
  return { code: 0, gen: 0, voidTime: 0, bins: undefined };
}

/** The void time a write leaves on a record (throws on a ttl too long). */
export function voidTimeFor(
  ns: Namespace,
  ttl: number,
  existing: StoredRecord | undefined,
  now: number
): number {
  if (ttl === TTL_DONT_UPDATE) {
    if (existing !== undefined) return existing.voidTime;
    ttl = 0;
  }
  if (ttl === TTL_NEVER_EXPIRE) return 0;
  if (ttl === 0) return ns.defaultTtl === 0 ? 0 : now + ns.defaultTtl;
  if (ttl > MAX_TTL) {
    throw new ServerError(
      ResultCode.PARAMETER_ERROR,
      `ttl ${ttl} exceeds max-ttl ${MAX_TTL}`
    );
  }
  return now + ttl;
}

function nextGen(existing: StoredRecord | undefined): number {
  if (existing === undefined) return 1;
  return existing.gen >= MAX_GEN ? 1 : existing.gen + 1;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function opValue(op: MsgOp): Value {
  return decodeParticle(op.particleType, op.value);
}

function checkBinName(name: string): void {
  if (Buffer.byteLength(name) > MAX_BIN_NAME) {
    throw new ServerError(
      ResultCode.BIN_NAME_TOO_LONG,
      `bin name '${name}' too long`
    );
  }
}

function isIntegerValue(v: Value): v is number | bigint {
  return (
    typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))
  );
}

function normalizeInt(v: bigint): number | bigint {
  const w = BigInt.asIntN(64, v);
  return w >= BigInt(Number.MIN_SAFE_INTEGER) &&
    w <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(w)
    : w;
}

function increment(current: Value | undefined, op: MsgOp): Value {
  const delta = opValue(op);
  if (op.particleType === ParticleType.INTEGER && isIntegerValue(delta)) {
    if (current === undefined) return delta;
    if (!isIntegerValue(current)) {
      throw new ServerError(ResultCode.BIN_TYPE_ERROR, 'incr: bin not integer');
    }
    if (typeof current === 'number' && typeof delta === 'number') {
      const sum = current + delta;
      if (Number.isSafeInteger(sum)) return sum;
    }
    return normalizeInt(BigInt(current) + BigInt(delta));
  }
  if (op.particleType === ParticleType.DOUBLE && delta instanceof AsDouble) {
    if (current === undefined) return delta;
    if (!(current instanceof AsDouble)) {
      throw new ServerError(ResultCode.BIN_TYPE_ERROR, 'incr: bin not double');
    }
    return new AsDouble(current.value + delta.value);
  }
  throw new ServerError(
    ResultCode.BIN_TYPE_ERROR,
    `incr with particle type ${op.particleType}`
  );
}

function concat(current: Value | undefined, op: MsgOp, before: boolean): Value {
  const v = opValue(op);
  if (typeof v === 'string') {
    if (current === undefined) return v;
    if (typeof current !== 'string') {
      throw new ServerError(ResultCode.BIN_TYPE_ERROR, 'bin not a string');
    }
    return before ? v + current : current + v;
  }
  if (Buffer.isBuffer(v)) {
    if (current === undefined) return v;
    if (!Buffer.isBuffer(current)) {
      throw new ServerError(ResultCode.BIN_TYPE_ERROR, 'bin not a blob');
    }
    return before ? Buffer.concat([v, current]) : Buffer.concat([current, v]);
  }
  throw new ServerError(
    ResultCode.BIN_TYPE_ERROR,
    `append/prepend of particle type ${op.particleType}`
  );
}

function executeWrite(ctx: ServerContext, req: KeyRequest): KeyResult {
  const ns = req.ns;
  const now = nowVoidClock();
  const existing = ns.get(req.digest, now);
  const { info2, info3 } = req;
  if (existing !== undefined) {
    if ((info2 & Info2.CREATE_ONLY) !== 0) return fail(ResultCode.KEY_EXISTS);
    if (!generationOk(req, existing)) return fail(ResultCode.GENERATION_ERROR);
  } else if ((info3 & (Info3.UPDATE_ONLY | Info3.REPLACE_ONLY)) !== 0) {
    return fail(ResultCode.KEY_NOT_FOUND);
  }
  const replace =
    (info3 & (Info3.CREATE_OR_REPLACE | Info3.REPLACE_ONLY)) !== 0;
  const bins: Bins =
    existing === undefined || replace ? new Map() : new Map(existing.bins);
  const respondAll = (info2 & Info2.RESPOND_ALL_OPS) !== 0;
  const out: ReplyBin[] = [];
  let touched = false;
  let deleted = false;
  let wrote = false;

  for (const op of req.ops) {
    switch (op.opType) {
      case OpType.READ:
        if (existing === undefined && !wrote) {
          // Reading a record that does not exist yet: nothing to return.
          if (respondAll) out.push({ name: op.name, value: null });
        } else {
          readBin(bins, op.name, respondAll, out);
        }
        break;
      case OpType.WRITE: {
        checkBinName(op.name);
        const v = opValue(op);
        if (v === null) bins.delete(op.name);
        else bins.set(op.name, v);
        wrote = true;
        if (respondAll) out.push({ name: op.name, value: null });
        break;
      }
      case OpType.INCR:
        checkBinName(op.name);
        bins.set(op.name, increment(bins.get(op.name), op));
        wrote = true;
        if (respondAll) out.push({ name: op.name, value: null });
        break;
      case OpType.APPEND:
      case OpType.PREPEND:
        checkBinName(op.name);
        bins.set(
          op.name,
          concat(bins.get(op.name), op, op.opType === OpType.PREPEND)
        );
        wrote = true;
        if (respondAll) out.push({ name: op.name, value: null });
        break;
      case OpType.TOUCH:
        if (existing === undefined) return fail(ResultCode.KEY_NOT_FOUND);
        touched = true;
        if (respondAll) out.push({ name: op.name, value: null });
        break;
      case OpType.DELETE:
        bins.clear();
        deleted = true;
        if (respondAll) out.push({ name: op.name, value: null });
        break;
      case OpType.CDT_READ: {
        const r = applyCdtOp(OpType.CDT_READ, op.value, bins.get(op.name));
        out.push({ name: op.name, value: r.result });
        break;
      }
      case OpType.CDT_MODIFY: {
        checkBinName(op.name);
        const r = applyCdtOp(OpType.CDT_MODIFY, op.value, bins.get(op.name));
        if (r.binValue === undefined || r.binValue === null) {
          bins.delete(op.name);
        } else {
          bins.set(op.name, r.binValue);
        }
        wrote = true;
        if (respondAll || r.result !== null) {
          out.push({ name: op.name, value: r.result });
        }
        break;
      }
      default:
        throw unsupportedOp(ctx, op, true);
    }
  }

  if (bins.size === 0) {
    // A record left without bins does not exist (a real server deletes it).
    if (existing !== undefined) ns.delete(req.digest);
    if (existing === undefined && !deleted && req.ops.length > 0 && !wrote) {
      return fail(ResultCode.KEY_NOT_FOUND);
    }
    return { code: 0, gen: 0, voidTime: 0, bins: out };
  }
  void touched;
  const voidTime = voidTimeFor(ns, req.recordTtl, existing, now);
  const rec =
    existing !== undefined && !deleted
      ? existing
      : new StoredRecord(req.digest, req.setName);
  if (rec !== existing && existing !== undefined) {
    rec.keyField = existing.keyField;
  }
  rec.bins = bins;
  rec.gen = deleted ? 1 : nextGen(existing);
  rec.voidTime = voidTime;
  rec.lastUpdateNs = nowNs();
  rec.wire = undefined;
  if (req.keyField !== undefined) rec.keyField = req.keyField;
  if (rec !== existing) ns.put(rec);
  return { code: 0, gen: rec.gen, voidTime, bins: out };
}

function udfRecordOf(
  req: KeyRequest,
  existing: StoredRecord | undefined,
  now: number
): UdfRecord {
  const keyField = req.keyField ?? existing?.keyField;
  return {
    exists: existing !== undefined,
    bins: existing !== undefined ? new Map(existing.bins) : new Map(),
    gen: existing?.gen ?? 0,
    ttl:
      existing === undefined
        ? 0
        : existing.voidTime === 0
          ? -1
          : Math.max(existing.voidTime - now, 0),
    digest: req.digest,
    setName: req.setName,
    key:
      keyField !== undefined
        ? decodeParticle(keyField[0], keyField.subarray(1))
        : undefined,
  };
}

/** Commits what a UDF did to its record; returns the record's new meta. */
function commitUdf(
  req: KeyRequest,
  existing: StoredRecord | undefined,
  outcome: UdfOutcome,
  now: number
): { gen: number; voidTime: number } {
  const ns = req.ns;
  if (outcome.remove) {
    if (existing !== undefined) ns.delete(req.digest);
    return { gen: 0, voidTime: 0 };
  }
  if (outcome.write === undefined) {
    return { gen: existing?.gen ?? 0, voidTime: existing?.voidTime ?? 0 };
  }
  const bins = outcome.write.bins;
  if (bins.size === 0) {
    if (existing !== undefined) ns.delete(req.digest);
    return { gen: 0, voidTime: 0 };
  }
  for (const name of bins.keys()) checkBinName(name);
  const ttl = outcome.write.ttl;
  // UDF ttls are raw: -1 never expire, -2 leave unchanged, 0 default.
  const voidTime =
    ttl === undefined
      ? voidTimeFor(ns, req.recordTtl, existing, now)
      : voidTimeFor(ns, ttl >>> 0, existing, now);
  const rec = existing ?? new StoredRecord(req.digest, req.setName);
  rec.bins = new Map(bins);
  rec.gen = nextGen(existing);
  rec.voidTime = voidTime;
  rec.lastUpdateNs = nowNs();
  rec.wire = undefined;
  if (req.keyField !== undefined) rec.keyField = req.keyField;
  if (rec !== existing) ns.put(rec);
  return { gen: rec.gen, voidTime };
}

function udfArgs(req: KeyRequest): Value[] {
  const args = req.udf!.args;
  if (args === undefined || args.length === 0) return [];
  const v = unpackValue(args);
  if (!Array.isArray(v)) {
    throw new ServerError(ResultCode.PARAMETER_ERROR, 'UDF args not a list');
  }
  return v;
}

function executeUdf(ctx: ServerContext, req: KeyRequest): KeyResult {
  const udf = req.udf!;
  const now = nowVoidClock();
  const existing = req.ns.get(req.digest, now);
  const args = udfArgs(req);
  const record = udfRecordOf(req, existing, now);
  let outcome: UdfOutcome;
  try {
    outcome = ctx.udf.callRecordUdf(udf.module, udf.fn, args, record);
  } catch (err) {
    if (err instanceof ServerError && err.code === ResultCode.UDF_ERROR) {
      // A real server keeps the updates applied before the failure.
      const partial = (err as UdfExecutionError).outcome;
      if (partial !== undefined) commitUdf(req, existing, partial, now);
      return {
        code: ResultCode.UDF_ERROR,
        gen: 0,
        voidTime: 0,
        bins: [{ name: 'FAILURE', value: err.message }],
      };
    }
    throw err;
  }
  const meta = commitUdf(req, existing, outcome, now);
  return {
    code: 0,
    gen: meta.gen,
    voidTime: meta.voidTime,
    bins: [{ name: 'SUCCESS', value: outcome.result }],
  };
}

/**
 * One record of a background UDF job: missing records are skipped (a real
 * server never creates records from a background job). Returns true when
 * the UDF succeeded.
 */
export function executeBackgroundUdf(
  ctx: ServerContext,
  req: KeyRequest
): boolean {
  const udf = req.udf!;
  const now = nowVoidClock();
  const existing = req.ns.get(req.digest, now);
  if (existing === undefined) return false;
  const record = udfRecordOf(req, existing, now);
  try {
    const outcome = ctx.udf.callBackgroundUdf(
      udf.module,
      udf.fn,
      udfArgs(req),
      record
    );
    if (outcome === null) return false;
    commitUdf(req, existing, outcome, now);
    return true;
  } catch (err) {
    const partial = (err as UdfExecutionError).outcome;
    if (partial !== undefined) commitUdf(req, existing, partial, now);
    if (err instanceof ServerError) return false;
    throw err;
  }
}
