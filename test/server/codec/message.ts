/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { FrameError, writeProtoHeader, ProtoType } from '../framing/proto.ts';

// The as_msg layout: a 22-byte header, then fields, then ops.

export const MSG_HEADER_SIZE = 22;

export const Info1 = {
  READ: 0x01,
  GET_ALL: 0x02,
  SHORT_QUERY: 0x04,
  BATCH_INDEX: 0x08,
  NOBINDATA: 0x20,
  COMPRESS_RESPONSE: 0x80,
} as const;

export const Info2 = {
  WRITE: 0x01,
  DELETE: 0x02,
  GENERATION: 0x04,
  GENERATION_GT: 0x08,
  DURABLE_DELETE: 0x10,
  CREATE_ONLY: 0x20,
  RESPOND_ALL_OPS: 0x80,
} as const;

export const Info3 = {
  LAST: 0x01,
  COMMIT_MASTER: 0x02,
  PARTITION_DONE: 0x04,
  UPDATE_ONLY: 0x08,
  CREATE_OR_REPLACE: 0x10,
  REPLACE_ONLY: 0x20,
} as const;

export const FieldType = {
  NAMESPACE: 0,
  SET: 1,
  KEY: 2,
  DIGEST: 4,
  MRT_ID: 5,
  MRT_DEADLINE: 6,
  TASK_ID: 7,
  SOCKET_TIMEOUT: 9,
  RECORDS_PER_SECOND: 10,
  PID_ARRAY: 11,
  DIGEST_ARRAY: 12,
  MAX_RECORDS: 13,
  BVAL_ARRAY: 15,
  INDEX_NAME: 21,
  INDEX_RANGE: 22,
  INDEX_CONTEXT: 23,
  INDEX_EXPRESSION: 24,
  INDEX_TYPE: 26,
  UDF_PACKAGE_NAME: 30,
  UDF_FUNCTION: 31,
  UDF_ARGLIST: 32,
  UDF_OP: 33,
  QUERY_BINLIST: 40,
  BATCH_INDEX: 41,
  BATCH_INDEX_WITH_SET: 42,
  FILTER_EXP: 43,
} as const;

export const OpType = {
  READ: 1,
  WRITE: 2,
  CDT_READ: 3,
  CDT_MODIFY: 4,
  INCR: 5,
  EXP_READ: 7,
  EXP_MODIFY: 8,
  APPEND: 9,
  PREPEND: 10,
  TOUCH: 11,
  BIT_READ: 12,
  BIT_MODIFY: 13,
  DELETE: 14,
  HLL_READ: 15,
  HLL_MODIFY: 16,
} as const;

export interface MsgField {
  type: number;
  data: Buffer;
}

export interface MsgOp {
  opType: number;
  particleType: number;
  name: string;
  value: Buffer;
}

export interface AsMsg {
  info1: number;
  info2: number;
  info3: number;
  info4: number;
  resultCode: number;
  generation: number;
  recordTtl: number;
  transactionTtl: number;
  fields: MsgField[];
  ops: MsgOp[];
}

export function findField(msg: AsMsg, type: number): Buffer | undefined {
  const fields = msg.fields;
  for (let i = 0; i < fields.length; i++) {
    if (fields[i].type === type) return fields[i].data;
  }
  return undefined;
}

/**
 * Parses fields at `off` (count `n`); returns them and the offset after.
 * Throws FrameError when they run past `end`.
 */
export function parseFields(
  buf: Buffer,
  off: number,
  n: number,
  end: number
): { fields: MsgField[]; off: number } {
  const fields: MsgField[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (off + 5 > end) throw new FrameError('truncated field header');
    const size = buf.readUInt32BE(off);
    if (size < 1 || off + 4 + size > end) {
      throw new FrameError(`field of size ${size} overruns message`);
    }
    fields[i] = {
      type: buf[off + 4],
      data: buf.subarray(off + 5, off + 4 + size),
    };
    off += 4 + size;
  }
  return { fields, off };
}

export function parseOps(
  buf: Buffer,
  off: number,
  n: number,
  end: number
): { ops: MsgOp[]; off: number } {
  const ops: MsgOp[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (off + 8 > end) throw new FrameError('truncated op header');
    const size = buf.readUInt32BE(off);
    const nameLen = buf[off + 7];
    if (size < 4 + nameLen || off + 4 + size > end) {
      throw new FrameError(`op of size ${size} overruns message`);
    }
    ops[i] = {
      opType: buf[off + 4],
      particleType: buf[off + 5],
      name: buf.toString('utf8', off + 8, off + 8 + nameLen),
      value: buf.subarray(off + 8 + nameLen, off + 4 + size),
    };
    off += 4 + size;
  }
  return { ops, off };
}

/** Parses one as_msg starting at `off`; `end` bounds it. */
export function parseMessage(
  buf: Buffer,
  off = 0,
  end = buf.length
): { msg: AsMsg; end: number } {
  if (end - off < MSG_HEADER_SIZE) {
    throw new FrameError('truncated message header');
  }
  const headerSize = buf[off];
  if (headerSize < MSG_HEADER_SIZE || off + headerSize > end) {
    throw new FrameError(`bad message header size ${headerSize}`);
  }
  const nFields = buf.readUInt16BE(off + 18);
  const nOps = buf.readUInt16BE(off + 20);
  const f = parseFields(buf, off + headerSize, nFields, end);
  const o = parseOps(buf, f.off, nOps, end);
  return {
    msg: {
      info1: buf[off + 1],
      info2: buf[off + 2],
      info3: buf[off + 3],
      info4: buf[off + 4],
      resultCode: buf[off + 5],
      generation: buf.readUInt32BE(off + 6),
      recordTtl: buf.readUInt32BE(off + 10),
      transactionTtl: buf.readUInt32BE(off + 14),
      fields: f.fields,
      ops: o.ops,
    },
    end: o.off,
  };
}

/**
 * A growable output buffer. Replies are written straight into it, then
 * handed to the socket without another copy.
 */
export class OutBuffer {
  buf: Buffer;
  pos = 0;
  constructor(initial = 512) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  /** Reserves a proto header; returns its offset for endFrame. */
  beginFrame(): number {
    this.ensure(8);
    const at = this.pos;
    this.pos += 8;
    return at;
  }

  endFrame(at: number, type: number = ProtoType.MESSAGE): void {
    writeProtoHeader(this.buf, at, type, this.pos - at - 8);
  }

  /** The bytes written so far (shares memory; do not reuse the buffer). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(512);
    this.pos = 0;
    return out;
  }
}

export interface MsgHeader {
  info1?: number;
  info2?: number;
  info3?: number;
  resultCode: number;
  generation?: number;
  recordTtl?: number;
  transactionTtl?: number;
}

/** Writes a 22-byte as_msg header. */
export function writeMsgHeader(
  out: OutBuffer,
  h: MsgHeader,
  nFields: number,
  nOps: number
): void {
  out.ensure(MSG_HEADER_SIZE);
  const b = out.buf;
  const p = out.pos;
  b[p] = MSG_HEADER_SIZE;
  b[p + 1] = h.info1 ?? 0;
  b[p + 2] = h.info2 ?? 0;
  b[p + 3] = h.info3 ?? 0;
  b[p + 4] = 0;
  b[p + 5] = h.resultCode;
  b.writeUInt32BE((h.generation ?? 0) >>> 0, p + 6);
  b.writeUInt32BE((h.recordTtl ?? 0) >>> 0, p + 10);
  b.writeUInt32BE((h.transactionTtl ?? 0) >>> 0, p + 14);
  b.writeUInt16BE(nFields, p + 18);
  b.writeUInt16BE(nOps, p + 20);
  out.pos = p + MSG_HEADER_SIZE;
}

export function writeField(out: OutBuffer, type: number, data: Buffer): void {
  out.ensure(5 + data.length);
  out.buf.writeUInt32BE(data.length + 1, out.pos);
  out.buf[out.pos + 4] = type;
  out.pos += 5;
  data.copy(out.buf, out.pos);
  out.pos += data.length;
}

/** Writes an op; `name` is the bin name as bytes. */
export function writeOp(
  out: OutBuffer,
  opType: number,
  particleType: number,
  name: Buffer,
  value: Buffer
): void {
  out.ensure(8 + name.length + value.length);
  const b = out.buf;
  const p = out.pos;
  b.writeUInt32BE(4 + name.length + value.length, p);
  b[p + 4] = opType;
  b[p + 5] = particleType;
  b[p + 6] = 0;
  b[p + 7] = name.length;
  name.copy(b, p + 8);
  value.copy(b, p + 8 + name.length);
  out.pos = p + 8 + name.length + value.length;
}

/** Builds a complete single-message reply frame. */
export function buildReply(h: MsgHeader): Buffer {
  const out = new OutBuffer(8 + MSG_HEADER_SIZE);
  const at = out.beginFrame();
  writeMsgHeader(out, h, 0, 0);
  out.endFrame(at);
  return out.take();
}
