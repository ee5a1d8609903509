/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  FieldType,
  Info3,
  OutBuffer,
  parseFields,
  parseOps,
  type AsMsg,
  type MsgField,
  type MsgOp,
} from '../codec/message.ts';
import { FrameError } from '../framing/proto.ts';
import type { ServerContext } from './context.ts';
import {
  buildKeyRequest,
  type KeyAttrs,
  type ReplySink,
  type StreamLimits,
} from './dispatch.ts';
import { writeRecordMessage } from './encode.ts';
import { ResultCode, ServerError } from './errors.ts';
import { executeKey, type KeyResult } from './record.ts';

// Batch index commands (field 41): one entry per key, answered with one
// message per key (batch index in the transaction-ttl slot) and a LAST.

const BATCH_MSG_REPEAT = 0x01;
const BATCH_MSG_INFO = 0x02;
const BATCH_MSG_GEN = 0x04;
const BATCH_MSG_TTL = 0x08;
const BATCH_MSG_INFO4 = 0x10;

/** Frames are flushed once they reach this size. */
const FRAME_TARGET = 128 * 1024;

interface Entry {
  index: number;
  digest: Buffer;
  fields: MsgField[];
  ops: MsgOp[];
  attrs: KeyAttrs;
}

/** Parses the batch field into entries (throws FrameError on bad bytes). */
export function parseBatchEntries(msg: AsMsg): Entry[] {
  let data = msg.fields.find(f => f.type === FieldType.BATCH_INDEX)?.data;
  const withSet = data === undefined;
  if (data === undefined) {
    data = msg.fields.find(
      f => f.type === FieldType.BATCH_INDEX_WITH_SET
    )?.data;
  }
  if (data === undefined) throw new FrameError('missing batch field');
  const end = data.length;
  if (end < 5) throw new FrameError('truncated batch field');
  const count = data.readUInt32BE(0);
  let off = 5;
  const entries: Entry[] = [];
  let prev: Entry | undefined;
  for (let i = 0; i < count; i++) {
    if (off + 25 > end) throw new FrameError('truncated batch entry');
    const index = data.readUInt32BE(off);
    const digest = data.subarray(off + 4, off + 24);
    const type = data[off + 24];
    off += 25;
    if (type === BATCH_MSG_REPEAT) {
      if (prev === undefined) {
        throw new FrameError('batch repeat entry without a previous entry');
      }
      prev = { ...prev, index, digest };
      entries.push(prev);
      continue;
    }
    const attrs: KeyAttrs = {
      info1: msg.info1,
      info2: msg.info2,
      info3: msg.info3,
      generation: 0,
      recordTtl: 0,
    };
    if (type === 0 || withSet) {
      // Old format: info1, then field and op counts; the rest comes from
      // the enclosing message.
      if (off + 1 > end) throw new FrameError('truncated batch entry');
      attrs.info1 = data[off];
      attrs.info2 = msg.info2;
      off += 1;
    } else {
      if ((type & BATCH_MSG_INFO) !== 0) {
        if (off + 3 > end) throw new FrameError('truncated batch entry');
        attrs.info1 = data[off];
        attrs.info2 = data[off + 1];
        attrs.info3 = data[off + 2];
        off += 3;
      }
      if ((type & BATCH_MSG_INFO4) !== 0) off += 1;
      if ((type & BATCH_MSG_GEN) !== 0) {
        if (off + 2 > end) throw new FrameError('truncated batch entry');
        attrs.generation = data.readUInt16BE(off);
        off += 2;
      }
      if ((type & BATCH_MSG_TTL) !== 0) {
        if (off + 4 > end) throw new FrameError('truncated batch entry');
        attrs.recordTtl = data.readUInt32BE(off);
        off += 4;
      }
    }
    if (off + 4 > end) throw new FrameError('truncated batch entry');
    const nFields = data.readUInt16BE(off);
    const nOps = data.readUInt16BE(off + 2);
    off += 4;
    const f = parseFields(data, off, nFields, end);
    const o = parseOps(data, f.off, nOps, end);
    off = o.off;
    prev = { index, digest, fields: f.fields, ops: o.ops, attrs };
    entries.push(prev);
  }
  return entries;
}

export function handleBatch(
  ctx: ServerContext,
  msg: AsMsg,
  sink: ReplySink,
  limits: StreamLimits
): void | Promise<void> {
  let entries: Entry[];
  try {
    entries = parseBatchEntries(msg);
  } catch (err) {
    if (err instanceof FrameError) {
      throw new ServerError(ResultCode.PARAMETER_ERROR, err.message);
    }
    throw err;
  }
  let out = new OutBuffer(4096);
  let at = out.beginFrame();
  let sent = 0;
  for (const e of entries) {
    if (limits.dropAfter !== undefined && sent >= limits.dropAfter) {
      out.endFrame(at);
      if (sent > 0) sink.send(out.take());
      sink.drop(`fault: dropped batch after ${sent} records`);
      return;
    }
    let res: KeyResult;
    try {
      res = executeKey(
        ctx,
        buildKeyRequest(ctx, e.fields, e.attrs, e.ops, e.digest)
      );
    } catch (err) {
      if (!(err instanceof ServerError)) throw err;
      res = { code: err.code, gen: 0, voidTime: 0, bins: undefined };
    }
    // The client parses bins only for OK and UDF-error results.
    const withBins = res.code === 0 || res.code === ResultCode.UDF_ERROR;
    writeRecordMessage(
      out,
      {
        resultCode: res.code,
        generation: res.gen,
        recordTtl: res.voidTime,
        transactionTtl: e.index,
      },
      [],
      withBins ? res.bins : undefined
    );
    sent++;
    if (out.pos >= FRAME_TARGET) {
      out.endFrame(at);
      sink.send(out.take());
      out = new OutBuffer(4096);
      at = out.beginFrame();
    }
  }
  writeRecordMessage(out, { resultCode: 0, info3: Info3.LAST }, [], undefined);
  out.endFrame(at);
  sink.send(out.take());
}
