/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  FieldType,
  Info2,
  Info3,
  OutBuffer,
  findField,
  type AsMsg,
  type MsgField,
  type MsgOp,
} from '../codec/message.ts';
import { decodeParticle } from '../codec/particles.ts';
import type { CommandKind, FaultAction } from '../faults/faults.ts';
import { commandNamespace, rejectFilterExpression } from './context.ts';
import type { ServerContext } from './context.ts';
import { writeRecordMessage } from './encode.ts';
import { ResultCode, ServerError } from './errors.ts';
import { executeKey, type KeyRequest } from './record.ts';
import { handleBatch } from './batch.ts';
import { handleScan } from './scan.ts';

/** Where a command writes its reply frames. */
export interface ReplySink {
  send(frame: Buffer): void;
  /** Closes the connection without (further) reply. */
  drop(reason: string): void;
  readonly closed: boolean;
  /** Resolves once the socket has room again (streams wait on it). */
  drained(): Promise<void>;
  /** Resolves once everything sent so far is written out (or closed). */
  flushed(): Promise<void>;
}

/** Options a fault hands to streaming handlers. */
export interface StreamLimits {
  /** Drop the connection after this many records. */
  dropAfter?: number;
}

export function classify(msg: AsMsg): CommandKind {
  if (
    findField(msg, FieldType.BATCH_INDEX) !== undefined ||
    findField(msg, FieldType.BATCH_INDEX_WITH_SET) !== undefined
  ) {
    return 'batch';
  }
  if (findField(msg, FieldType.DIGEST) !== undefined) {
    if (findField(msg, FieldType.UDF_FUNCTION) !== undefined) return 'udf';
    return (msg.info2 & (Info2.WRITE | Info2.DELETE)) !== 0 ? 'write' : 'read';
  }
  return findField(msg, FieldType.INDEX_RANGE) !== undefined ? 'query' : 'scan';
}

/** A reply frame holding one header-only message with a result code. */
export function codeReply(code: number, last = false): Buffer {
  const out = new OutBuffer(30);
  const at = out.beginFrame();
  writeRecordMessage(
    out,
    { resultCode: code, info3: last ? Info3.LAST : 0 },
    [],
    undefined
  );
  out.endFrame(at);
  return out.take();
}

function userKeyOf(msg: AsMsg): string | number | bigint | Buffer | undefined {
  const k = findField(msg, FieldType.KEY);
  if (k === undefined || k.length < 1) return undefined;
  try {
    const v = decodeParticle(k[0], k.subarray(1));
    if (
      typeof v === 'string' ||
      typeof v === 'number' ||
      typeof v === 'bigint' ||
      Buffer.isBuffer(v)
    ) {
      return v;
    }
  } catch {
    // An undecodable key simply matches no key rule.
  }
  return undefined;
}

/**
 * Handles one as_msg. Returns a promise only when the reply is deferred
 * (fault delays, streams waiting for the socket).
 */
export function handleMessage(
  ctx: ServerContext,
  msg: AsMsg,
  sink: ReplySink
): void | Promise<void> {
  const kind = classify(msg);
  ctx.counters.incr(kind);
  let action: FaultAction | undefined;
  if (ctx.faults.active) {
    const ns = findField(msg, FieldType.NAMESPACE);
    const set = findField(msg, FieldType.SET);
    action = ctx.faults.match({
      kind,
      namespace: ns === undefined ? '' : ns.toString('utf8'),
      set: set === undefined ? '' : set.toString('utf8'),
      digest: findField(msg, FieldType.DIGEST),
      userKey: userKeyOf(msg),
    });
  }
  if (action === undefined) return run(ctx, kind, msg, sink, {});
  switch (action.type) {
    case 'drop':
      sink.drop(`fault: dropped ${kind} command`);
      return;
    case 'error':
      sink.send(
        codeReply(
          action.code,
          kind !== 'read' && kind !== 'write' && kind !== 'udf'
        )
      );
      return;
    case 'delay': {
      const ms = action.ms;
      return new Promise<void>(resolve => setTimeout(resolve, ms)).then(() =>
        sink.closed ? undefined : run(ctx, kind, msg, sink, {})
      );
    }
    case 'dropAfter':
      return run(ctx, kind, msg, sink, { dropAfter: action.records });
  }
}

function run(
  ctx: ServerContext,
  kind: CommandKind,
  msg: AsMsg,
  sink: ReplySink,
  limits: StreamLimits
): void | Promise<void> {
  const streaming = kind === 'batch' || kind === 'scan' || kind === 'query';
  try {
    if (kind === 'batch') return handleBatch(ctx, msg, sink, limits);
    if (streaming) return handleScan(ctx, msg, sink, limits, kind);
    const reply = handleKeyMessage(ctx, msg);
    if (limits.dropAfter !== undefined) {
      if (limits.dropAfter > 0) sink.send(reply);
      sink.drop('fault: dropped after reply');
      return;
    }
    sink.send(reply);
  } catch (err) {
    sink.send(errorReply(ctx, err, streaming));
  }
}

export function errorReply(
  ctx: ServerContext,
  err: unknown,
  last: boolean
): Buffer {
  if (err instanceof ServerError) return codeReply(err.code, last);
  ctx.log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  return codeReply(ResultCode.SERVER_ERROR, last);
}

/** The header attributes a key command takes from its message or entry. */
export interface KeyAttrs {
  info1: number;
  info2: number;
  info3: number;
  generation: number;
  recordTtl: number;
}

/**
 * Builds a KeyRequest from a command's fields and attributes (a whole
 * message, or a batch entry with its own digest). Throws ServerError.
 */
export function buildKeyRequest(
  ctx: ServerContext,
  fields: MsgField[],
  attrs: KeyAttrs,
  ops: MsgOp[],
  digestOverride?: Buffer
): KeyRequest {
  let nsName: string | undefined;
  let setName = '';
  let digest = digestOverride;
  let keyField: Buffer | undefined;
  let udfModule: string | undefined;
  let udfFn: string | undefined;
  let udfArgs: Buffer | undefined;
  for (const f of fields) {
    switch (f.type) {
      case FieldType.NAMESPACE:
        nsName = f.data.toString('utf8');
        break;
      case FieldType.SET:
        setName = f.data.toString('utf8');
        break;
      case FieldType.DIGEST:
        if (digestOverride === undefined) digest = f.data;
        break;
      case FieldType.KEY:
        keyField = f.data;
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
      case FieldType.FILTER_EXP:
        return rejectFilterExpression(ctx);
      case FieldType.MRT_ID:
        // mrt_allow_read() / mrt_allow_write()
        // (transaction/mrt_utils_ce.c): before the record is looked at.
        if (ctx.config.edition === 'community') {
          ctx.log('MRTs are enterprise only');
          throw new ServerError(
            ResultCode.ENTERPRISE_ONLY,
            'MRTs are enterprise only'
          );
        }
        break;
      default:
        // Other fields (timeouts, UDF op, transaction ids) change nothing
        // for a single in-memory node.
        break;
    }
  }
  const ns = commandNamespace(ctx, nsName);
  if (digest === undefined || digest.length !== 20) {
    throw new ServerError(ResultCode.PARAMETER_ERROR, 'bad digest');
  }
  return {
    ns,
    setName,
    // Copies: the request buffer is reused by the socket layer, records
    // outlive it.
    digest: Buffer.from(digest),
    keyField: keyField === undefined ? undefined : Buffer.from(keyField),
    info1: attrs.info1,
    info2: attrs.info2,
    info3: attrs.info3,
    generation: attrs.generation,
    recordTtl: attrs.recordTtl,
    ops,
    udf:
      udfFn === undefined
        ? undefined
        : { module: udfModule ?? '', fn: udfFn, args: udfArgs },
  };
}

function handleKeyMessage(ctx: ServerContext, msg: AsMsg): Buffer {
  const req = buildKeyRequest(ctx, msg.fields, msg, msg.ops);
  const res = executeKey(ctx, req);
  const out = new OutBuffer(
    res.bins !== undefined && !Array.isArray(res.bins) && res.bins.wire
      ? res.bins.wire.length + 40
      : 256
  );
  const at = out.beginFrame();
  writeRecordMessage(
    out,
    { resultCode: res.code, generation: res.gen, recordTtl: res.voidTime },
    [],
    res.bins
  );
  out.endFrame(at);
  return out.take();
}
