/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// Aerospike-flavoured msgpack: the wire form of list (particle 20) and map
// (particle 19) bins, of CDT operation payloads and of UDF argument lists.
//
// Differences from plain msgpack, as the C client (and so the node client)
// writes them:
// - strings, blobs and GeoJSON travel in the msgpack str family (fixstr, str8,
//   str16, str32) with a leading particle-type byte: 3 string, 4 blob,
//   23 GeoJSON (the bin family c4..c6 is read the same way);
// - a map whose first key is an ext entry (`c7 00 <flags>`, value nil) carries
//   its order flags there (1 = key ordered, 3 = key/value ordered); the node
//   client flags every JS object it sends as key ordered;
// - a list whose first element is an ext entry is a flagged list
//   (1 = ordered);
// - ext entries elsewhere (CDT op parameters only) are the "infinity" and
//   "wildcard" markers of value ranges.

import {
  AsDouble,
  AsGeoJSON,
  AsHLL,
  AsMap,
  ParticleType,
  type Value,
} from './values.ts';
import { ResultCode, ServerError } from '../engine/errors.ts';

/** An ext entry found where a value was expected (CDT range markers). */
export class MsgpackExt {
  readonly type: number;
  readonly data: Buffer;
  constructor(type: number, data: Buffer) {
    this.type = type;
    this.data = data;
  }
}

/** A decoded item: a Value, or an ext marker (only inside CDT parameters). */
export type MsgpackItem = Value | MsgpackExt;

// The order flag of lists lives beside the array (Value[] has no room for it).
const listFlags = new WeakMap<Value[], number>();

/** List order flags of an array decoded or built here (0 = unordered). */
export function getListOrder(list: Value[]): number {
  return listFlags.get(list) ?? 0;
}

/** Records list order flags (1 = ordered) for packValue to write back. */
export function setListOrder(list: Value[], flags: number): void {
  if (flags) listFlags.set(list, flags);
  else listFlags.delete(list);
}

function malformed(what: string): ServerError {
  return new ServerError(ResultCode.PARAMETER_ERROR, `msgpack: ${what}`);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

function normInt(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= MIN_SAFE ? Number(v) : v;
}

/** A streaming msgpack reader over one buffer. */
export class MsgpackReader {
  readonly buf: Buffer;
  pos: number;
  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw malformed('truncated');
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  private take(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** The next byte without consuming it (-1 at the end). */
  peekByte(): number {
    return this.pos < this.buf.length ? this.buf[this.pos] : -1;
  }

  /** True when the next item is an ext entry. */
  peekIsExt(): boolean {
    const b = this.peekByte();
    return b === 0xc7 || b === 0xc8 || b === 0xc9 || (b >= 0xd4 && b <= 0xd8);
  }

  /** True when the next item is an array. */
  peekIsArray(): boolean {
    const b = this.peekByte();
    return (b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd;
  }

  /** True when the next item is a map. */
  peekIsMap(): boolean {
    const b = this.peekByte();
    return (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
  }

  /** Reads an array header and returns its element count. */
  readArrayHeader(): number {
    const b = this.u8();
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    if (b === 0xdc) return this.take(2).readUInt16BE(0);
    if (b === 0xdd) return this.take(4).readUInt32BE(0);
    this.pos--;
    throw malformed(`expected an array, found 0x${b.toString(16)}`);
  }

  /** Reads a map header and returns its entry count. */
  readMapHeader(): number {
    const b = this.u8();
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b === 0xde) return this.take(2).readUInt16BE(0);
    if (b === 0xdf) return this.take(4).readUInt32BE(0);
    this.pos--;
    throw malformed(`expected a map, found 0x${b.toString(16)}`);
  }

  /** Reads an ext entry. */
  readExt(): MsgpackExt {
    const b = this.u8();
    let len: number;
    if (b >= 0xd4 && b <= 0xd8) len = 1 << (b - 0xd4);
    else if (b === 0xc7) len = this.u8();
    else if (b === 0xc8) len = this.take(2).readUInt16BE(0);
    else if (b === 0xc9) len = this.take(4).readUInt32BE(0);
    else {
      this.pos--;
      throw malformed(`expected an ext, found 0x${b.toString(16)}`);
    }
    const type = this.u8();
    return new MsgpackExt(type, Buffer.from(this.take(len)));
  }

  /** Reads an integer (number when safe, bigint beyond). */
  readInt(): number | bigint {
    const v = this.readItem();
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    throw malformed('expected an integer');
  }

  /** Reads one Value; a stray ext entry is an error. */
  readValue(): Value {
    const v = this.readItem();
    if (v instanceof MsgpackExt) throw malformed('unexpected ext');
    return v;
  }

  /** Skips one item (including nested content). */
  skip(): void {
    this.readItem();
  }

  /** Reads one item: a Value, or an ext marker. */
  readItem(): MsgpackItem {
    const b = this.u8();
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b <= 0xbf) return this.readBytes(b & 0x1f);
    if (b >= 0x90 && b <= 0x9f) return this.readList(b & 0x0f);
    if (b >= 0x80 && b <= 0x8f) return this.readMap(b & 0x0f);
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.take(2).readUInt16BE(0);
      case 0xce:
        return this.take(4).readUInt32BE(0);
      case 0xcf:
        return normInt(this.take(8).readBigUInt64BE(0));
      case 0xd0:
        return this.take(1).readInt8(0);
      case 0xd1:
        return this.take(2).readInt16BE(0);
      case 0xd2:
        return this.take(4).readInt32BE(0);
      case 0xd3:
        return normInt(this.take(8).readBigInt64BE(0));
      case 0xca:
        return new AsDouble(this.take(4).readFloatBE(0));
      case 0xcb:
        return new AsDouble(this.take(8).readDoubleBE(0));
      case 0xd9:
      case 0xc4:
        return this.readBytes(this.u8());
      case 0xda:
      case 0xc5:
        return this.readBytes(this.take(2).readUInt16BE(0));
      case 0xdb:
      case 0xc6:
        return this.readBytes(this.take(4).readUInt32BE(0));
      case 0xdc:
        return this.readList(this.take(2).readUInt16BE(0));
      case 0xdd:
        return this.readList(this.take(4).readUInt32BE(0));
      case 0xde:
        return this.readMap(this.take(2).readUInt16BE(0));
      case 0xdf:
        return this.readMap(this.take(4).readUInt32BE(0));
      default:
        if (this.peekIsExtByte(b)) {
          this.pos--;
          return this.readExt();
        }
        throw malformed(`invalid type byte 0x${b.toString(16)}`);
    }
  }

  private peekIsExtByte(b: number): boolean {
    return b === 0xc7 || b === 0xc8 || b === 0xc9 || (b >= 0xd4 && b <= 0xd8);
  }

  private readBytes(len: number): Value {
    if (len === 0) return '';
    const raw = this.take(len);
    const type = raw[0];
    const data = raw.subarray(1);
    switch (type) {
      case ParticleType.STRING:
        return data.toString('utf8');
      case ParticleType.GEOJSON:
        return new AsGeoJSON(data.toString('utf8'));
      case ParticleType.HLL:
        return new AsHLL(Buffer.from(data));
      default:
        // Blobs (4) and language-specific blob types: keep the bytes.
        return Buffer.from(data);
    }
  }

  private readList(count: number): Value[] {
    const out: Value[] = [];
    let flags = 0;
    for (let i = 0; i < count; i++) {
      if (i === 0 && this.peekIsExt()) {
        flags = this.readExt().type;
        continue;
      }
      out.push(this.readValue());
    }
    if (flags) setListOrder(out, flags);
    return out;
  }

  private readMap(count: number): AsMap {
    const map = new AsMap();
    for (let i = 0; i < count; i++) {
      if (i === 0 && this.peekIsExt()) {
        map.order = this.readExt().type;
        this.skip(); // the flag entry's value (nil)
        continue;
      }
      const k = this.readValue();
      const v = this.readValue();
      map.entries.push([k, v]);
    }
    return map;
  }
}

/** A growable msgpack writer. */
export class MsgpackWriter {
  private chunks: Buffer[] = [];

  private push(b: Buffer): void {
    this.chunks.push(b);
  }

  private byte(b: number): void {
    this.push(Buffer.from([b]));
  }

  nil(): void {
    this.byte(0xc0);
  }

  bool(v: boolean): void {
    this.byte(v ? 0xc3 : 0xc2);
  }

  /** Writes an integer with the smallest encoding, as the C client does. */
  int(v: number | bigint): void {
    const n = BigInt(v);
    if (n >= 0n) {
      if (n < 128n) return this.byte(Number(n));
      if (n < 0x100n) return this.push(Buffer.from([0xcc, Number(n)]));
      const b = Buffer.alloc(n < 0x10000n ? 3 : n < 0x100000000n ? 5 : 9);
      if (b.length === 3) {
        b[0] = 0xcd;
        b.writeUInt16BE(Number(n), 1);
      } else if (b.length === 5) {
        b[0] = 0xce;
        b.writeUInt32BE(Number(n), 1);
      } else {
        b[0] = 0xcf;
        b.writeBigUInt64BE(BigInt.asUintN(64, n), 1);
      }
      return this.push(b);
    }
    if (n >= -32n) return this.byte(Number(n) & 0xff);
    if (n >= -128n) {
      const b = Buffer.alloc(2);
      b[0] = 0xd0;
      b.writeInt8(Number(n), 1);
      return this.push(b);
    }
    if (n >= -32768n) {
      const b = Buffer.alloc(3);
      b[0] = 0xd1;
      b.writeInt16BE(Number(n), 1);
      return this.push(b);
    }
    if (n >= -2147483648n) {
      const b = Buffer.alloc(5);
      b[0] = 0xd2;
      b.writeInt32BE(Number(n), 1);
      return this.push(b);
    }
    const b = Buffer.alloc(9);
    b[0] = 0xd3;
    b.writeBigInt64BE(BigInt.asIntN(64, n), 1);
    this.push(b);
  }

  double(v: number): void {
    const b = Buffer.alloc(9);
    b[0] = 0xcb;
    b.writeDoubleBE(v, 1);
    this.push(b);
  }

  /** Writes particle-prefixed bytes in the str family. */
  particleBytes(type: number, data: Buffer): void {
    const len = data.length + 1;
    let h: Buffer;
    if (len < 32) h = Buffer.from([0xa0 | len]);
    else if (len < 0x100) h = Buffer.from([0xd9, len]);
    else if (len < 0x10000) {
      h = Buffer.alloc(3);
      h[0] = 0xda;
      h.writeUInt16BE(len, 1);
    } else {
      h = Buffer.alloc(5);
      h[0] = 0xdb;
      h.writeUInt32BE(len, 1);
    }
    this.push(h);
    this.byte(type);
    this.push(data);
  }

  arrayHeader(n: number): void {
    if (n < 16) return this.byte(0x90 | n);
    const b = Buffer.alloc(n < 0x10000 ? 3 : 5);
    if (b.length === 3) {
      b[0] = 0xdc;
      b.writeUInt16BE(n, 1);
    } else {
      b[0] = 0xdd;
      b.writeUInt32BE(n, 1);
    }
    this.push(b);
  }

  mapHeader(n: number): void {
    if (n < 16) return this.byte(0x80 | n);
    const b = Buffer.alloc(n < 0x10000 ? 3 : 5);
    if (b.length === 3) {
      b[0] = 0xde;
      b.writeUInt16BE(n, 1);
    } else {
      b[0] = 0xdf;
      b.writeUInt32BE(n, 1);
    }
    this.push(b);
  }

  /** Writes an empty ext entry (`c7 00 <type>`): the container flag form. */
  flagExt(type: number): void {
    this.push(Buffer.from([0xc7, 0x00, type & 0xff]));
  }

  /** Writes bytes that already hold msgpack. */
  raw(b: Buffer): void {
    this.push(b);
  }

  value(v: Value): void {
    if (v === null || v === undefined) return this.nil();
    switch (typeof v) {
      case 'boolean':
        return this.bool(v);
      case 'number':
        return Number.isInteger(v) ? this.int(v) : this.double(v);
      case 'bigint':
        return this.int(v);
      case 'string':
        return this.particleBytes(ParticleType.STRING, Buffer.from(v, 'utf8'));
      default:
        break;
    }
    if (Buffer.isBuffer(v)) return this.particleBytes(ParticleType.BLOB, v);
    if (v instanceof AsDouble) return this.double(v.value);
    if (v instanceof AsGeoJSON)
      return this.particleBytes(
        ParticleType.GEOJSON,
        Buffer.from(v.json, 'utf8')
      );
    if (v instanceof AsHLL) return this.particleBytes(ParticleType.HLL, v.data);
    if (v instanceof AsMap) {
      const flagged = v.order !== 0;
      this.mapHeader(v.entries.length + (flagged ? 1 : 0));
      if (flagged) {
        this.flagExt(v.order);
        this.nil();
      }
      for (const [k, val] of v.entries) {
        this.value(k);
        this.value(val);
      }
      return;
    }
    if (Array.isArray(v)) {
      const flags = getListOrder(v);
      this.arrayHeader(v.length + (flags ? 1 : 0));
      if (flags) this.flagExt(flags);
      for (const e of v) this.value(e);
      return;
    }
    throw new ServerError(
      ResultCode.PARAMETER_ERROR,
      'msgpack: unsupported value'
    );
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Encodes a Value in Aerospike-flavoured msgpack. */
export function packValue(v: Value): Buffer {
  const w = new MsgpackWriter();
  w.value(v);
  return w.toBuffer();
}

/** Decodes one Aerospike-flavoured msgpack Value (the whole buffer). */
export function unpackValue(buf: Buffer): Value {
  const r = new MsgpackReader(buf);
  const v = r.readValue();
  if (r.remaining !== 0) throw malformed('trailing bytes');
  return v;
}

// Aerospike's cross-type order (msgpack_cmp): nil < bool < int < string <
// list < map < bytes < double < geojson < ext (infinity).
function typeRank(v: MsgpackItem): number {
  if (v === null || v === undefined) return 1;
  if (typeof v === 'boolean') return 2;
  if (typeof v === 'number' || typeof v === 'bigint') return 3;
  if (typeof v === 'string') return 4;
  if (Array.isArray(v)) return 5;
  if (v instanceof AsMap) return 6;
  if (Buffer.isBuffer(v)) return 7;
  if (v instanceof AsDouble) return 8;
  if (v instanceof AsGeoJSON) return 9;
  if (v instanceof AsHLL) return 7;
  return 10; // ext: infinity
}

/** Orders two values the way the server's msgpack comparison does. */
export function compareValues(a: MsgpackItem, b: MsgpackItem): number {
  const ta = typeRank(a);
  const tb = typeRank(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case 1:
    case 10:
      return 0;
    case 2:
      return a === b ? 0 : a ? 1 : -1;
    case 3: {
      const x = a as number | bigint;
      const y = b as number | bigint;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 4:
      return Buffer.compare(
        Buffer.from(a as string, 'utf8'),
        Buffer.from(b as string, 'utf8')
      );
    case 5: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(x[i], y[i]);
        if (c) return c;
      }
      return x.length - y.length < 0 ? -1 : x.length > y.length ? 1 : 0;
    }
    case 6: {
      const x = (a as AsMap).entries;
      const y = (b as AsMap).entries;
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
      for (let i = 0; i < x.length; i++) {
        const c =
          compareValues(x[i][0], y[i][0]) || compareValues(x[i][1], y[i][1]);
        if (c) return c;
      }
      return 0;
    }
    case 7: {
      const x = a instanceof AsHLL ? a.data : (a as Buffer);
      const y = b instanceof AsHLL ? b.data : (b as Buffer);
      return Buffer.compare(x, y);
    }
    case 8: {
      const x = (a as AsDouble).value;
      const y = (b as AsDouble).value;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 9:
      return Buffer.compare(
        Buffer.from((a as AsGeoJSON).json, 'utf8'),
        Buffer.from((b as AsGeoJSON).json, 'utf8')
      );
    default:
      return 0;
  }
}

/** Deep copy of a Value (keeps list order flags and map order). */
export function cloneValue(v: Value): Value {
  if (Array.isArray(v)) {
    const out = v.map(cloneValue);
    setListOrder(out, getListOrder(v));
    return out;
  }
  if (v instanceof AsMap) {
    return new AsMap(
      v.entries.map(([k, val]) => [cloneValue(k), cloneValue(val)]),
      v.order
    );
  }
  return v;
}
