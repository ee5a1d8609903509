/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { encodeParticle } from '../codec/particles.ts';
import { ParticleType, type Bins } from '../codec/values.ts';

// The size a record takes in a real node's storage, which its namespace's
// max-record-size (1 MiB by default) bounds: as_flat_record_size() of
// storage/flat.c plus the 4-byte end mark of storage/drv_mem.c. CDT
// containers count as their msgpack bytes (a real node may add the indexes
// of ordered maps, a few bytes per element).

/** sizeof(as_flat_record) (include/storage/flat.h). */
const FLAT_HEADER = 35;
/** END_MARK_SZ (include/storage/flat.h). */
const END_MARK = 4;
/** Particle type byte and u32 length of string, blob and CDT particles. */
const BLOB_HEADER = 5;

function uintvarSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

function integerSize(data: Buffer): number {
  const u = data.readBigUInt64BE(0);
  if (u > 0xffffffffn) return 2 + 8;
  if (u > 0xffffn) return 2 + 4;
  if (u > 0xffn) return 2 + 2;
  return 2 + 1;
}

function particleSize(type: number, data: Buffer): number {
  switch (type) {
    case ParticleType.INTEGER:
      return integerSize(data);
    case ParticleType.DOUBLE:
      return 1 + 8;
    case ParticleType.BOOL:
      return 1 + 1;
    default:
      return BLOB_HEADER + data.length;
  }
}

export function flatRecordSize(
  bins: Bins,
  setName: string,
  keyField: Buffer | undefined,
  voidTime: number
): number {
  let size = FLAT_HEADER;
  if (voidTime !== 0) size += 4;
  if (setName !== '') size += 1 + Buffer.byteLength(setName);
  if (keyField !== undefined) {
    size += uintvarSize(keyField.length) + keyField.length;
  }
  if (bins.size !== 0) size += uintvarSize(bins.size);
  for (const [name, value] of bins) {
    const p = encodeParticle(value);
    size += 1 + Buffer.byteLength(name) + particleSize(p.type, p.data);
  }
  return size + END_MARK;
}
