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
import { flatRecordSize } from '../store/flat-size.ts';
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
    return executeDelete(ctx, req);
  }
  if ((req.info2 & Info2.WRITE) !== 0) return executeWrite(ctx, req);
  return executeRead(ctx, req);
}

/**
 * A set name or stored key that disagrees with the record's (a digest
 * given with another set, or a digest collision): code 4 / 19, as
 * set_name_check() and check_msg_key() (transaction/rw_utils.c) answer.
 */
function identityError(
  req: KeyRequest,
  rec: StoredRecord,
  onUpdate: boolean
): number {
  // A read or delete may leave the set out; an update may not.
  if (
    req.setName === ''
      ? onUpdate && rec.setName !== ''
      : req.setName !== rec.setName
  ) {
    return ResultCode.PARAMETER_ERROR;
  }
  if (
    req.keyField !== undefined &&
    rec.keyField !== undefined &&
    !req.keyField.equals(rec.keyField)
  ) {
    return ResultCode.KEY_MISMATCH;
  }
  return ResultCode.OK;
}

// read_local() (transaction/read.c): a missing record first, then the
// request's shape, op by op.
function executeRead(ctx: ServerContext, req: KeyRequest): KeyResult {
  const rec = req.ns.get(req.digest);
  if (rec === undefined) return fail(ResultCode.KEY_NOT_FOUND);
  const mismatch = identityError(req, rec, false);
  if (mismatch !== ResultCode.OK) return fail(mismatch);
  const meta = { code: 0, gen: rec.gen, voidTime: rec.voidTime };
  if ((req.info1 & Info1.NOBINDATA) !== 0) return { ...meta, bins: [] };
  // GET_ALL answers every bin and ignores the ops.
  if ((req.info1 & Info1.GET_ALL) !== 0) return { ...meta, bins: rec };
  if (req.ops.length === 0) {
    // select(key, []): neither bins nor "all bins" asked for.
    ctx.log('read: bin op(s) expected, none present');
    return fail(ResultCode.PARAMETER_ERROR);
  }
  const respondAll = (req.info2 & Info2.RESPOND_ALL_OPS) !== 0;
  const out: ReplyBin[] = [];
  for (const op of req.ops) {
    checkBinName(op.name);
    switch (op.opType) {
      case OpType.READ:
        readBin(rec.bins, op.name, respondAll, out);
        break;
      case OpType.CDT_READ:
        cdtRead(rec.bins, op, respondAll, out);
        break;
      default:
        throw unsupportedOp(ctx, op, false);
    }
  }
  return { ...meta, bins: out };
}

/**
 * A CDT read: no result bin for an absent bin or an op without a result,
 * unless the request asked for a result per op.
 */
function cdtRead(
  bins: Bins,
  op: MsgOp,
  respondAll: boolean,
  out: ReplyBin[]
): void {
  const current = bins.get(op.name);
  if (current === undefined) {
    if (respondAll) out.push({ name: op.name, value: null });
    return;
  }
  const r = applyCdtOp(OpType.CDT_READ, op.value, current);
  if (r.result !== null || respondAll) {
    out.push({ name: op.name, value: r.result });
  }
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

/** generation_check() (transaction/rw_utils_ce.c); a new record is gen 0. */
function generationOk(req: KeyRequest, gen: number): boolean {
  if ((req.info2 & Info2.GENERATION) !== 0) {
    return gen === req.generation;
  }
  if ((req.info2 & Info2.GENERATION_GT) !== 0) {
    return req.generation > gen;
  }
  return true;
}

// as_delete_start() and delete_master() (transaction/delete.c,
// delete_ce.c): a Community Edition node refuses durable deletes outright.
function executeDelete(ctx: ServerContext, req: KeyRequest): KeyResult {
  if ((req.info2 & Info2.DURABLE_DELETE) !== 0) {
    const refused = durableDeleteRefused(ctx);
    if (refused !== ResultCode.OK) return fail(refused);
  }
  const rec = req.ns.get(req.digest);
  if (rec === undefined) return fail(ResultCode.KEY_NOT_FOUND);
  if (!generationOk(req, rec.gen)) return fail(ResultCode.GENERATION_ERROR);
  const mismatch = identityError(req, rec, false);
  if (mismatch !== ResultCode.OK) return fail(mismatch);
  req.ns.delete(req.digest);
  return { code: 0, gen: 0, voidTime: 0, bins: undefined };
}

function durableDeleteRefused(ctx: ServerContext): number {
  if (ctx.config.edition === 'enterprise') return ResultCode.OK;
  ctx.log('durable delete is an enterprise feature');
  return ResultCode.ENTERPRISE_ONLY;
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

/** as_bin_name_check() (base/datamodel.h): under 16 bytes, no NUL. */
function checkBinName(name: string): void {
  if (Buffer.byteLength(name) > MAX_BIN_NAME || name.includes('\0')) {
    throw new ServerError(
      ResultCode.BIN_NAME_TOO_LONG,
      `bad bin name '${name}'`
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

/** RECORD_MAX_BINS (base/datamodel.h). */
const MAX_BINS = 0x7fff;
/** MAX_N_OPS (transaction/write.c). */
const MAX_OPS = 32 * 1024;

const MODIFY_OPS: ReadonlySet<number> = new Set([
  OpType.INCR,
  OpType.APPEND,
  OpType.PREPEND,
  OpType.DELETE,
  OpType.CDT_MODIFY,
  OpType.BIT_MODIFY,
  OpType.HLL_MODIFY,
]);
const RESULT_OPS: ReadonlySet<number> = new Set([
  OpType.READ,
  OpType.CDT_READ,
  OpType.CDT_MODIFY,
  OpType.BIT_READ,
  OpType.HLL_READ,
  OpType.HLL_MODIFY,
  OpType.EXP_READ,
]);
const READ_OPS: ReadonlySet<number> = new Set([
  OpType.READ,
  OpType.CDT_READ,
  OpType.BIT_READ,
  OpType.HLL_READ,
  OpType.EXP_READ,
]);

/**
 * The request-shape checks of write_master_policies() (transaction/write.c),
 * made before the record is looked at. Returns a result code (0 = fine)
 * and whether the write must find an existing record.
 */
function writePolicies(
  ctx: ServerContext,
  req: KeyRequest
): { code: number; mustNotCreate: boolean; replace: boolean } {
  const { info1, info2, info3, ops } = req;
  let mustNotCreate = (info3 & (Info3.UPDATE_ONLY | Info3.REPLACE_ONLY)) !== 0;
  const replace =
    (info3 & (Info3.CREATE_OR_REPLACE | Info3.REPLACE_ONLY)) !== 0;
  const refuse = (why: string, code: number = ResultCode.PARAMETER_ERROR) => {
    ctx.log(`write: ${why}`);
    return { code, mustNotCreate, replace };
  };
  if (ops.length === 0) return refuse('bin op(s) expected, none present');
  if (ops.length > MAX_OPS) return refuse(`can't exceed ${MAX_OPS} bin ops`);
  const getAll = (info1 & Info1.GET_ALL) !== 0;
  const respondAll = (info2 & Info2.RESPOND_ALL_OPS) !== 0;
  let hasRead = false;
  let hasReadAll = false;
  let makesResult = false;
  for (const op of ops) {
    if (op.opType === OpType.TOUCH) {
      if (replace) return refuse('touch op with a record-level replace');
      mustNotCreate = true;
      continue;
    }
    if (Buffer.byteLength(op.name) > MAX_BIN_NAME || op.name.includes('\0')) {
      return refuse(`bad bin name '${op.name}'`, ResultCode.BIN_NAME_TOO_LONG);
    }
    const readAll = op.opType === OpType.READ && op.name === '' && getAll;
    if (replace) {
      if (op.opType === OpType.WRITE && op.particleType === ParticleType.NIL) {
        return refuse('bin delete with a record-level replace');
      }
      if (MODIFY_OPS.has(op.opType)) {
        return refuse(`op ${op.opType} with a record-level replace`);
      }
    }
    if (readAll) {
      if (respondAll) return refuse('read-all op with respond-all-ops');
      if (hasReadAll) return refuse('more than one read-all op');
      hasRead = hasReadAll = true;
      continue;
    }
    if (READ_OPS.has(op.opType)) hasRead = true;
    if (RESULT_OPS.has(op.opType)) makesResult = true;
  }
  if (hasRead && (info1 & Info1.READ) === 0) {
    return refuse('read op without the read flag');
  }
  if (hasReadAll && makesResult) {
    return refuse('read-all op mixed with ops that make results');
  }
  if (getAll && !hasReadAll) return refuse('get-all flag without read-all op');
  return { code: ResultCode.OK, mustNotCreate, replace };
}

/** is_valid_ttl() (transaction/rw_utils.h). */
function validTtl(ttl: number): boolean {
  return ttl <= MAX_TTL || ttl === TTL_NEVER_EXPIRE || ttl === TTL_DONT_UPDATE;
}

// write_master() (transaction/write.c), in its order: request shape,
// existence policies, generation, set and key, ttl, then the ops; a record
// left without bins is deleted (or, if it never had any, not found); the
// flat size is checked against max-record-size last.
function executeWrite(ctx: ServerContext, req: KeyRequest): KeyResult {
  const policies = writePolicies(ctx, req);
  if (policies.code !== ResultCode.OK) return fail(policies.code);
  const ns = req.ns;
  const now = nowVoidClock();
  const existing = ns.get(req.digest, now);
  const { info1, info2 } = req;
  if (existing === undefined) {
    if (policies.mustNotCreate) return fail(ResultCode.KEY_NOT_FOUND);
  } else if ((info2 & Info2.CREATE_ONLY) !== 0) {
    return fail(ResultCode.KEY_EXISTS);
  }
  if (!generationOk(req, existing?.gen ?? 0)) {
    return fail(ResultCode.GENERATION_ERROR);
  }
  if (existing !== undefined) {
    const mismatch = identityError(req, existing, true);
    if (mismatch !== ResultCode.OK) return fail(mismatch);
  }
  if (!validTtl(req.recordTtl)) {
    ctx.log(`write: invalid ttl ${req.recordTtl}`);
    return fail(ResultCode.PARAMETER_ERROR);
  }
  const bins: Bins =
    existing === undefined || policies.replace
      ? new Map()
      : new Map(existing.bins);
  const respondAll = (info2 & Info2.RESPOND_ALL_OPS) !== 0;
  const getAll = (info1 & Info1.GET_ALL) !== 0;
  const out: ReplyBin[] = [];
  const noResult = (op: MsgOp) => {
    if (respondAll) out.push({ name: op.name, value: null });
  };

  for (const op of req.ops) {
    switch (op.opType) {
      case OpType.READ:
        if (op.name === '' && getAll) {
          for (const [name, value] of bins) out.push({ name, value });
        } else {
          readBin(bins, op.name, respondAll, out);
        }
        break;
      case OpType.WRITE: {
        const v = opValue(op);
        if (v === null) bins.delete(op.name);
        else bins.set(op.name, v);
        noResult(op);
        break;
      }
      case OpType.INCR:
        bins.set(op.name, increment(bins.get(op.name), op));
        noResult(op);
        break;
      case OpType.APPEND:
      case OpType.PREPEND:
        bins.set(
          op.name,
          concat(bins.get(op.name), op, op.opType === OpType.PREPEND)
        );
        noResult(op);
        break;
      case OpType.TOUCH:
        break;
      case OpType.DELETE:
        bins.clear();
        noResult(op);
        break;
      case OpType.CDT_READ:
        cdtRead(bins, op, respondAll, out);
        break;
      case OpType.CDT_MODIFY: {
        const r = applyCdtOp(OpType.CDT_MODIFY, op.value, bins.get(op.name));
        if (r.binValue === undefined || r.binValue === null) {
          bins.delete(op.name);
        } else {
          bins.set(op.name, r.binValue);
        }
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
    // A write that leaves no bins deletes the record; one that never had
    // any was not found.
    if (existing === undefined || existing.bins.size === 0) {
      return fail(ResultCode.KEY_NOT_FOUND);
    }
    if ((info2 & Info2.DURABLE_DELETE) !== 0) {
      const refused = durableDeleteRefused(ctx);
      if (refused !== ResultCode.OK) return fail(refused);
    }
    ns.delete(req.digest);
    return { code: 0, gen: 0, voidTime: 0, bins: out };
  }
  if (bins.size > MAX_BINS) {
    ctx.log(`write: ${bins.size} bins exceed ${MAX_BINS}`);
    return fail(ResultCode.PARAMETER_ERROR);
  }
  const voidTime = voidTimeFor(ns, req.recordTtl, existing, now);
  const keyField = existing?.keyField ?? req.keyField;
  const size = flatRecordSize(bins, req.setName, keyField, voidTime);
  if (size > ctx.config.maxRecordSize) {
    ctx.log(
      `write: record of ${size} bytes exceeds max-record-size ${ctx.config.maxRecordSize}`
    );
    return fail(ResultCode.RECORD_TOO_BIG);
  }
  const rec = existing ?? new StoredRecord(req.digest, req.setName);
  rec.bins = bins;
  rec.gen = nextGen(existing);
  rec.voidTime = voidTime;
  rec.lastUpdateNs = nowNs();
  rec.wire = undefined;
  rec.keyField = keyField;
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
