/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { packValue, unpackValue } from './msgpack.ts';
import {
  AsDouble,
  AsGeoJSON,
  AsHLL,
  AsMap,
  ParticleType,
  type Value,
} from './values.ts';
import { ResultCode, ServerError } from '../engine/errors.ts';

// Particle bytes <-> Value: the value encoding of bins, user keys and op
// operands on the wire.

const EMPTY = Buffer.alloc(0);

export function decodeParticle(ptype: number, data: Buffer): Value {
  switch (ptype) {
    case ParticleType.NIL:
      return null;
    case ParticleType.INTEGER: {
      if (data.length !== 8) {
        // The client sends shorter integers in a few places (e.g. big-endian
        // of fewer bytes); accept any width up to 8.
        if (data.length === 0 || data.length > 8) {
          throw new ServerError(
            ResultCode.PARAMETER_ERROR,
            `bad integer particle of ${data.length} bytes`
          );
        }
        return Number(data.readIntBE(0, Math.min(data.length, 6)));
      }
      const hi = data.readInt32BE(0);
      const lo = data.readUInt32BE(4);
      // Safe-integer range fits in 53 bits: stay on numbers when possible.
      if (hi >= -0x200000 && hi < 0x200000) return hi * 0x100000000 + lo;
      return data.readBigInt64BE(0);
    }
    case ParticleType.DOUBLE:
      if (data.length !== 8) {
        throw new ServerError(ResultCode.PARAMETER_ERROR, 'bad double');
      }
      return new AsDouble(data.readDoubleBE(0));
    case ParticleType.STRING:
      return data.toString('utf8');
    case ParticleType.BLOB:
      return Buffer.from(data);
    case ParticleType.BOOL:
      return data.length > 0 && data[0] !== 0;
    case ParticleType.HLL:
      return new AsHLL(Buffer.from(data));
    case ParticleType.GEOJSON: {
      // u8 flags, u16 cell count, cells (u64 each), then the JSON text.
      if (data.length < 3) {
        throw new ServerError(ResultCode.PARAMETER_ERROR, 'bad geojson');
      }
      const ncells = data.readUInt16BE(1);
      return new AsGeoJSON(data.toString('utf8', 3 + ncells * 8));
    }
    case ParticleType.MAP:
    case ParticleType.LIST:
      return unpackValue(data);
    default:
      throw new ServerError(
        ResultCode.PARAMETER_ERROR,
        `unsupported particle type ${ptype}`
      );
  }
}

export interface Particle {
  type: number;
  data: Buffer;
}

/** Returns the particle type a Value is stored as. */
export function particleTypeOf(v: Value): number {
  if (v === null || v === undefined) return ParticleType.NIL;
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? ParticleType.INTEGER : ParticleType.DOUBLE;
    case 'bigint':
      return ParticleType.INTEGER;
    case 'string':
      return ParticleType.STRING;
    case 'boolean':
      return ParticleType.BOOL;
  }
  if (Buffer.isBuffer(v)) return ParticleType.BLOB;
  if (v instanceof AsDouble) return ParticleType.DOUBLE;
  if (Array.isArray(v)) return ParticleType.LIST;
  if (v instanceof AsMap) return ParticleType.MAP;
  if (v instanceof AsGeoJSON) return ParticleType.GEOJSON;
  if (v instanceof AsHLL) return ParticleType.HLL;
  return ParticleType.NIL;
}

export function encodeParticle(v: Value): Particle {
  if (v === null || v === undefined) {
    return { type: ParticleType.NIL, data: EMPTY };
  }
  switch (typeof v) {
    case 'number': {
      if (Number.isInteger(v)) {
        const b = Buffer.allocUnsafe(8);
        b.writeBigInt64BE(BigInt(v), 0);
        return { type: ParticleType.INTEGER, data: b };
      }
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(v, 0);
      return { type: ParticleType.DOUBLE, data: b };
    }
    case 'bigint': {
      const b = Buffer.allocUnsafe(8);
      b.writeBigInt64BE(BigInt.asIntN(64, v), 0);
      return { type: ParticleType.INTEGER, data: b };
    }
    case 'string':
      return { type: ParticleType.STRING, data: Buffer.from(v, 'utf8') };
    case 'boolean':
      return { type: ParticleType.BOOL, data: Buffer.from([v ? 1 : 0]) };
  }
  if (Buffer.isBuffer(v)) return { type: ParticleType.BLOB, data: v };
  if (v instanceof AsDouble) {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(v.value, 0);
    return { type: ParticleType.DOUBLE, data: b };
  }
  if (Array.isArray(v)) return { type: ParticleType.LIST, data: packValue(v) };
  if (v instanceof AsMap) return { type: ParticleType.MAP, data: packValue(v) };
  if (v instanceof AsGeoJSON) {
    const json = Buffer.from(v.json, 'utf8');
    const b = Buffer.alloc(3 + json.length);
    json.copy(b, 3);
    return { type: ParticleType.GEOJSON, data: b };
  }
  if (v instanceof AsHLL) return { type: ParticleType.HLL, data: v.data };
  return { type: ParticleType.NIL, data: EMPTY };
}
