/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import {
  OpType,
  OutBuffer,
  writeMsgHeader,
  writeOp,
  writeField,
  FieldType,
  type MsgHeader,
} from '../codec/message.ts';
import { encodeParticle } from '../codec/particles.ts';
import type { Value } from '../codec/values.ts';
import type { StoredRecord } from '../store/store.ts';

// Reply encoding helpers shared by the single-record, batch and scan paths.

const nameCache = new Map<string, Buffer>();

/** Bin names as bytes, cached: the same few names recur in every reply. */
export function binNameBytes(name: string): Buffer {
  let b = nameCache.get(name);
  if (b === undefined) {
    b = Buffer.from(name, 'utf8');
    if (nameCache.size < 10000) nameCache.set(name, b);
  }
  return b;
}

/** All bins of a record as READ ops, cached on the record until it changes. */
export function recordWire(rec: StoredRecord): Buffer {
  if (rec.wire !== undefined) return rec.wire;
  const out = new OutBuffer(256);
  for (const [name, v] of rec.bins) {
    const p = encodeParticle(v);
    writeOp(out, OpType.READ, p.type, binNameBytes(name), p.data);
  }
  rec.wire = out.take();
  rec.wireCount = rec.bins.size;
  return rec.wire;
}

export interface ReplyBin {
  name: string;
  value: Value;
}

export function writeBinOps(out: OutBuffer, bins: ReplyBin[]): void {
  for (const b of bins) {
    const p = encodeParticle(b.value);
    writeOp(out, OpType.READ, p.type, binNameBytes(b.name), p.data);
  }
}

/** One message with the given bins (and optional fields) into `out`. */
export function writeRecordMessage(
  out: OutBuffer,
  h: MsgHeader,
  fields: Array<{ type: number; data: Buffer }>,
  bins: ReplyBin[] | StoredRecord | undefined
): void {
  if (bins === undefined) {
    writeMsgHeader(out, h, fields.length, 0);
    for (const f of fields) writeField(out, f.type, f.data);
    return;
  }
  if (Array.isArray(bins)) {
    writeMsgHeader(out, h, fields.length, bins.length);
    for (const f of fields) writeField(out, f.type, f.data);
    writeBinOps(out, bins);
    return;
  }
  const wire = recordWire(bins);
  writeMsgHeader(out, h, fields.length, bins.wireCount);
  for (const f of fields) writeField(out, f.type, f.data);
  out.bytes(wire);
}

/** The namespace/set/digest/key fields a scan record carries. */
export function recordFields(
  ns: Buffer,
  rec: StoredRecord
): Array<{ type: number; data: Buffer }> {
  const fields: Array<{ type: number; data: Buffer }> = [
    { type: FieldType.NAMESPACE, data: ns },
    { type: FieldType.DIGEST, data: rec.digest },
  ];
  if (rec.setName !== '') {
    fields.push({ type: FieldType.SET, data: binNameBytes(rec.setName) });
  }
  if (rec.keyField !== undefined) {
    fields.push({ type: FieldType.KEY, data: rec.keyField });
  }
  return fields;
}
