/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  FieldType,
  Info1,
  Info2,
  Info3,
  OpType,
  OutBuffer,
  type AsMsg,
} from '../codec/message.ts';
import { decodeParticle } from '../codec/particles.ts';
import { AsMap, ParticleType, type Value } from '../codec/values.ts';
import {
  PARTITION_COUNT,
  SindexType,
  partitionOf,
  type Namespace,
  type StoredRecord,
} from '../store/store.ts';
import { commandNamespace, rejectFilterExpression } from './context.ts';
import type { ServerContext } from './context.ts';
import type { ReplySink, StreamLimits } from './dispatch.ts';
import { recordFields, writeRecordMessage, type ReplyBin } from './encode.ts';
import { ResultCode, ServerError } from './errors.ts';
import type { Job } from './jobs.ts';
import { executeBackgroundUdf, executeKey } from './record.ts';

// Scans and secondary-index queries (partition-based, server >= 6 style):
// records stream back in (partition, digest) order so that maxRecords and
// the digest-array resume points give stable pagination.

const FRAME_TARGET = 128 * 1024;
/** throttle_sleep()'s bounds on one pause (SLEEP_MIN, SLEEP_CAP). */
const THROTTLE_SLEEP_MIN_MS = 1;
const THROTTLE_SLEEP_CAP_MS = 10;

/** UDF op field values. */
const UDF_OP_AGGREGATE = 1;

const COLLECTION_TYPES = ['DEFAULT', 'LIST', 'MAPKEYS', 'MAPVALUES'];

interface RangeFilter {
  bin: string;
  particleType: number;
  begin: Value;
  end: Value;
  collection: string;
}

interface ScanRequest {
  nsName: string;
  ns: Namespace;
  set: string;
  taskId: bigint;
  /** records-per-second throttle (0 = none). */
  rps: number;
  /** Index named by the client (field 21), if any. */
  indexName?: string;
  /** Partitions to scan fully. */
  full: Set<number>;
  /** Partitions to resume after a digest. */
  resume: Map<number, Buffer>;
  maxRecords: number;
  filter?: RangeFilter;
  udf?: { module: string; fn: string; args: Buffer | undefined; op: number };
}

/** AS_BIN_NAME_MAX_SZ - 1 and MAX_STRING_KSIZE (sindex/sindex.h). */
const MAX_BIN_NAME = 15;
const MAX_STRING_KEY = 2048;

/**
 * get_range_field() (query/query.c) refuses the whole query with code 4
 * when its range does not parse (one range only, start <= end, ...).
 */
function badRange(why: string): ServerError {
  return new ServerError(ResultCode.PARAMETER_ERROR, `bad index range: ${why}`);
}

function parseRange(data: Buffer, collection: string): RangeFilter {
  try {
    let off = 0;
    const count = data[off++];
    if (count !== 1) throw badRange(`${count} ranges - only 1 supported`);
    const nameLen = data[off++];
    if (nameLen > MAX_BIN_NAME) throw badRange(`bin name of ${nameLen} bytes`);
    const bin = data.toString('utf8', off, off + nameLen);
    off += nameLen;
    const particleType = data[off++];
    const beginLen = data.readUInt32BE(off);
    off += 4;
    if (particleType === ParticleType.STRING && beginLen >= MAX_STRING_KEY) {
      throw badRange(`query string of ${beginLen} bytes`);
    }
    const begin = decodeParticle(
      particleType,
      data.subarray(off, off + beginLen)
    );
    off += beginLen;
    const endLen = data.readUInt32BE(off);
    off += 4;
    const end = decodeParticle(particleType, data.subarray(off, off + endLen));
    if (
      particleType === ParticleType.INTEGER &&
      BigInt(begin as number | bigint) > BigInt(end as number | bigint)
    ) {
      throw badRange(`invalid range - ${begin} ... ${end}`);
    }
    if (
      particleType !== ParticleType.INTEGER &&
      particleType !== ParticleType.STRING &&
      particleType !== ParticleType.BLOB &&
      particleType !== ParticleType.GEOJSON
    ) {
      throw badRange(`invalid particle type ${particleType}`);
    }
    return { bin, particleType, begin, end, collection };
  } catch (err) {
    if (err instanceof ServerError) throw err;
    throw new ServerError(ResultCode.PARAMETER_ERROR, 'bad index range');
  }
}

function badField(what: string): ServerError {
  return new ServerError(ResultCode.PARAMETER_ERROR, `bad ${what} field`);
}

function parseScanRequest(ctx: ServerContext, msg: AsMsg): ScanRequest {
  let nsName: string | undefined;
  let set = '';
  let taskId = 0n;
  let pids: Buffer | undefined;
  let digests: Buffer | undefined;
  let maxRecords = 0;
  let range: Buffer | undefined;
  let collection = 'DEFAULT';
  let udfModule: string | undefined;
  let udfFn: string | undefined;
  let udfArgs: Buffer | undefined;
  let udfOp = 0;
  let rps = 0;
  let indexName: string | undefined;
  for (const f of msg.fields) {
    switch (f.type) {
      case FieldType.NAMESPACE:
        nsName = f.data.toString('utf8');
        break;
      case FieldType.SET:
        set = f.data.toString('utf8');
        break;
      case FieldType.TASK_ID:
        if (f.data.length === 8) taskId = f.data.readBigUInt64BE(0);
        break;
      case FieldType.PID_ARRAY:
        pids = f.data;
        break;
      case FieldType.DIGEST_ARRAY:
        digests = f.data;
        break;
      case FieldType.RECORDS_PER_SECOND:
        if (f.data.length !== 4) throw badField('recs-per-sec');
        rps = f.data.readUInt32BE(0);
        break;
      case FieldType.INDEX_NAME:
        indexName = f.data.toString('utf8');
        break;
      case FieldType.MAX_RECORDS:
        if (f.data.length === 8) maxRecords = Number(f.data.readBigUInt64BE(0));
        break;
      case FieldType.INDEX_RANGE:
        range = f.data;
        break;
      case FieldType.INDEX_TYPE:
        collection = COLLECTION_TYPES[f.data[0]] ?? 'DEFAULT';
        break;
      case FieldType.UDF_PACKAGE_NAME:
        udfModule = f.data.toString('utf8');
        break;
      case FieldType.UDF_FUNCTION:
        udfFn = f.data.toString('utf8');
        break;
      case FieldType.UDF_ARGLIST:
        udfArgs = f.data;
        break;
      case FieldType.UDF_OP:
        udfOp = f.data[0];
        break;
      case FieldType.INDEX_CONTEXT:
      case FieldType.INDEX_EXPRESSION:
        ctx.log(
          `unsupported query field ${f.type}: index on context/expression`
        );
        throw new ServerError(
          ResultCode.UNSUPPORTED_FEATURE,
          'queries on context or expression indexes are not supported'
        );
      case FieldType.FILTER_EXP:
        return rejectFilterExpression(ctx);
      default:
        break;
    }
  }
  const ns = commandNamespace(ctx, nsName);
  const full = new Set<number>();
  const resume = new Map<number, Buffer>();
  if (pids === undefined && digests === undefined) {
    for (let p = 0; p < PARTITION_COUNT; p++) full.add(p);
  }
  if (pids !== undefined) {
    for (let off = 0; off + 2 <= pids.length; off += 2) {
      full.add(pids.readUInt16LE(off) & (PARTITION_COUNT - 1));
    }
  }
  if (digests !== undefined) {
    for (let off = 0; off + 20 <= digests.length; off += 20) {
      const d = Buffer.from(digests.subarray(off, off + 20));
      resume.set(partitionOf(d), d);
    }
  }
  if (Buffer.byteLength(set) >= 64) throw badField('set name');
  const req: ScanRequest = {
    nsName: ns.name,
    ns,
    set,
    taskId,
    rps,
    indexName,
    full,
    resume,
    maxRecords,
  };
  if (range !== undefined) req.filter = parseRange(range, collection);
  if (udfFn !== undefined) {
    req.udf = { module: udfModule ?? '', fn: udfFn, args: udfArgs, op: udfOp };
  }
  return req;
}

function matchesValue(f: RangeFilter, v: Value): boolean {
  if (typeof f.begin === 'string')
    return typeof v === 'string' && v === f.begin;
  if (Buffer.isBuffer(f.begin)) return Buffer.isBuffer(v) && v.equals(f.begin);
  if (typeof v !== 'number' && typeof v !== 'bigint') return false;
  if (typeof v === 'number' && !Number.isInteger(v)) return false;
  const n = BigInt(v);
  return (
    n >= BigInt(f.begin as number | bigint) &&
    n <= BigInt(f.end as number | bigint)
  );
}

function matchesFilter(f: RangeFilter, rec: StoredRecord): boolean {
  const v = rec.bins.get(f.bin);
  if (v === undefined) return false;
  switch (f.collection) {
    case 'LIST':
      return Array.isArray(v) && v.some(e => matchesValue(f, e));
    case 'MAPKEYS':
      return v instanceof AsMap && v.entries.some(([k]) => matchesValue(f, k));
    case 'MAPVALUES':
      return (
        v instanceof AsMap && v.entries.some(([, e]) => matchesValue(f, e))
      );
    default:
      return matchesValue(f, v);
  }
}

function indexTypeFor(f: RangeFilter): string {
  switch (f.particleType) {
    case ParticleType.STRING:
      return SindexType.STRING;
    case ParticleType.BLOB:
      return SindexType.BLOB;
    case ParticleType.GEOJSON:
      return SindexType.GEO2DSPHERE;
    default:
      return SindexType.NUMERIC;
  }
}

/**
 * find_sindex() (query/query.c): the index named by the client, else the
 * one whose definition matches the filter; none is code 201.
 */
function checkIndex(ctx: ServerContext, req: ScanRequest): void {
  const f = req.filter;
  if (f === undefined) return;
  const si =
    req.indexName !== undefined
      ? ctx.store.sindexes.get(`${req.nsName}/${req.indexName}`)
      : ctx.store.findIndex(
          req.nsName,
          req.set,
          f.bin,
          indexTypeFor(f),
          f.collection
        );
  if (si === undefined) {
    throw new ServerError(
      ResultCode.INDEX_NOT_FOUND,
      `no ${indexTypeFor(f).toLowerCase()} index on bin ${f.bin}`
    );
  }
  if (si.type === SindexType.GEO2DSPHERE) {
    ctx.log('unsupported geospatial query');
    throw new ServerError(
      ResultCode.UNSUPPORTED_FEATURE,
      'geospatial queries are not supported'
    );
  }
}

/** Records the request covers, in (partition, digest) order. */
function selectRecords(req: ScanRequest): StoredRecord[] {
  const parts = new Set<number>(req.full);
  for (const p of req.resume.keys()) parts.add(p);
  const all = req.ns.scan(
    req.set,
    parts.size === PARTITION_COUNT ? undefined : parts
  );
  let out = all;
  if (req.resume.size > 0) {
    out = out.filter(rec => {
      const after = req.resume.get(rec.partition);
      if (after === undefined || req.full.has(rec.partition)) return true;
      return Buffer.compare(rec.digest, after) > 0;
    });
  }
  if (req.filter !== undefined) {
    const f = req.filter;
    out = out.filter(rec => matchesFilter(f, rec));
  }
  if (req.maxRecords > 0 && out.length > req.maxRecords) {
    out = out.slice(0, req.maxRecords);
  }
  return out;
}

export function handleScan(
  ctx: ServerContext,
  msg: AsMsg,
  sink: ReplySink,
  limits: StreamLimits,
  kind: 'scan' | 'query'
): void | Promise<void> {
  const req = parseScanRequest(ctx, msg);
  if (req.udf !== undefined && req.udf.op === UDF_OP_AGGREGATE) {
    ctx.log(`unsupported ${kind} aggregation ${req.udf.module}.${req.udf.fn}`);
    throw new ServerError(
      ResultCode.UNSUPPORTED_FEATURE,
      'query aggregation is not supported'
    );
  }
  checkIndex(ctx, req);
  if (req.taskId === 0n) req.taskId = ctx.jobs.nextId();
  const background = req.udf !== undefined || (msg.info2 & Info2.WRITE) !== 0;
  const short = (msg.info1 & Info1.SHORT_QUERY) !== 0;
  const threads = takeQueryThreads(ctx, msg, req);
  let async = false;
  try {
    // as_query_manager_start_job(): a long job's id must be new to the
    // node (running and last-done jobs included).
    if (!short && ctx.jobs.get(req.taskId) !== undefined) {
      ctx.log(`job with trid ${req.taskId} already active`);
      throw new ServerError(
        ResultCode.PARAMETER_ERROR,
        `job with trid ${req.taskId} already active`
      );
    }
    const records = selectRecords(req);
    if (background) {
      runBackground(ctx, msg, req, records);
      const out = new OutBuffer(64);
      const at = out.beginFrame();
      writeRecordMessage(
        out,
        { resultCode: 0, info3: Info3.LAST },
        [],
        undefined
      );
      out.endFrame(at);
      sink.send(out.take());
      return;
    }
    const job = short ? undefined : basicJob(req, records.length);
    if (job !== undefined) ctx.jobs.add(job);
    const streaming = streamRecords(msg, req, records, sink, limits);
    async = true;
    return streaming.finally(() => {
      ctx.jobs.releaseThreads(threads);
      if (job !== undefined) ctx.jobs.finish(job);
    });
  } finally {
    if (!async) ctx.jobs.releaseThreads(threads);
  }
}

function basicJob(req: ScanRequest, records: number): Job {
  const now = Date.now();
  return {
    trid: req.taskId,
    ns: req.nsName,
    set: req.set,
    module: '',
    type: 'basic',
    status: 'active(ok)',
    recordsRead: records,
    recordsSucceeded: records,
    recordsFailed: 0,
    startMs: now,
    endMs: now,
  };
}

/**
 * The query threads a new scan/query takes (as_query_manager_start_job()
 * and as_query_manager_add_max_job_threads() of query/query_manager.c): one,
 * or none left and the command fails with code 22; then, unthrottled long
 * queries take up to single-query-threads while the node has some left.
 */
function takeQueryThreads(
  ctx: ServerContext,
  msg: AsMsg,
  req: ScanRequest
): number {
  const { queryThreadsLimit, singleQueryThreads } = ctx.config;
  const free = queryThreadsLimit - ctx.jobs.threadsInUse;
  if (free <= 0) {
    ctx.log("at query threads limit - can't start new query");
    throw new ServerError(
      ResultCode.FORBIDDEN,
      "at query threads limit - can't start new query"
    );
  }
  const single = (msg.info1 & Info1.SHORT_QUERY) !== 0 || req.rps !== 0;
  const threads = single ? 1 : Math.min(singleQueryThreads, free);
  ctx.jobs.takeThreads(threads);
  return threads;
}

function selectedBins(
  msg: AsMsg,
  rec: StoredRecord
): ReplyBin[] | StoredRecord {
  const reads = msg.ops.filter(o => o.opType === OpType.READ && o.name !== '');
  if (reads.length === 0) return rec;
  const out: ReplyBin[] = [];
  for (const op of reads) {
    const v = rec.bins.get(op.name);
    if (v !== undefined) out.push({ name: op.name, value: v });
  }
  return out;
}

async function streamRecords(
  msg: AsMsg,
  req: ScanRequest,
  records: StoredRecord[],
  sink: ReplySink,
  limits: StreamLimits
): Promise<void> {
  const nsBytes = Buffer.from(req.nsName, 'utf8');
  const noBins = (msg.info1 & Info1.NOBINDATA) !== 0;
  const start = Date.now();
  let out = new OutBuffer(4096);
  let at = out.beginFrame();
  let sent = 0;
  const flush = async () => {
    out.endFrame(at);
    sink.send(out.take());
    await sink.drained();
    out = new OutBuffer(4096);
    at = out.beginFrame();
  };
  for (const rec of records) {
    if (sink.closed) return;
    if (limits.dropAfter !== undefined && sent >= limits.dropAfter) {
      out.endFrame(at);
      if (out.pos > 8) sink.send(out.take());
      sink.drop(`fault: dropped record stream after ${sent} records`);
      return;
    }
    const bins = noBins ? undefined : selectedBins(msg, rec);
    // as_msg_make_response_bufbuilder() (base/proto.c): "Don't return an
    // empty record" when none of the selected bins is there. The record
    // still counts toward maxRecords.
    if (Array.isArray(bins) && bins.length === 0) continue;
    writeRecordMessage(
      out,
      { resultCode: 0, generation: rec.gen, recordTtl: rec.voidTime },
      recordFields(nsBytes, rec),
      bins
    );
    sent++;
    if (req.rps > 0) {
      // throttle_sleep() (query/query_job.c): after record n the job pauses
      // until n/rps seconds after the start, but never less than 1 ms
      // (SLEEP_MIN) nor more than 10 ms (SLEEP_CAP) at a time: a small set
      // streams within milliseconds whatever its rps.
      await flush();
      const wait = start + (sent * 1000) / req.rps - Date.now();
      if (wait > THROTTLE_SLEEP_MIN_MS) {
        const pause = Math.min(wait, THROTTLE_SLEEP_CAP_MS);
        await new Promise(r => setTimeout(r, pause));
      }
    } else if (out.pos >= FRAME_TARGET) {
      await flush();
    }
  }
  if (sink.closed) return;
  if (limits.dropAfter !== undefined && sent >= limits.dropAfter) {
    out.endFrame(at);
    if (out.pos > 8) sink.send(out.take());
    sink.drop(`fault: dropped record stream after ${sent} records`);
    return;
  }
  writeRecordMessage(out, { resultCode: 0, info3: Info3.LAST }, [], undefined);
  out.endFrame(at);
  sink.send(out.take());
  // A node's scan threads stay busy until the reply is sent.
  await sink.flushed();
}

function runBackground(
  ctx: ServerContext,
  msg: AsMsg,
  req: ScanRequest,
  records: StoredRecord[]
): void {
  const start = Date.now();
  let ok = 0;
  let failed = 0;
  for (const rec of records) {
    try {
      const keyReq = {
        ns: req.ns,
        setName: rec.setName,
        digest: rec.digest,
        keyField: undefined,
        info1: 0,
        info2: Info2.WRITE,
        info3: Info3.UPDATE_ONLY,
        generation: 0,
        recordTtl: msg.recordTtl,
        ops: msg.ops,
        udf:
          req.udf === undefined
            ? undefined
            : { module: req.udf.module, fn: req.udf.fn, args: req.udf.args },
      };
      const success =
        keyReq.udf !== undefined
          ? executeBackgroundUdf(ctx, keyReq)
          : executeKey(ctx, keyReq).code === 0;
      if (success) ok++;
      else failed++;
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      failed++;
    }
  }
  ctx.jobs.add({
    trid: req.taskId,
    ns: req.nsName,
    set: req.set,
    module: req.udf?.module ?? '',
    type: req.udf === undefined ? 'background-ops' : 'background-udf',
    status: 'done(ok)',
    recordsRead: records.length,
    recordsSucceeded: ok,
    recordsFailed: failed,
    startMs: start,
    endMs: Date.now(),
  });
}
