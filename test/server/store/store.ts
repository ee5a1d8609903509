/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Bins, Value } from '../codec/values.ts';

/** Aerospike void times count seconds from 2010-01-01T00:00:00Z. */
export const CITRUSLEAF_EPOCH = 1262304000;
export const PARTITION_COUNT = 4096;
/** A real server's default max-ttl (10 years): longer ttls are refused. */
export const MAX_TTL = 10 * 365 * 24 * 3600;
export const TTL_NEVER_EXPIRE = 0xffffffff;
export const TTL_DONT_UPDATE = 0xfffffffe;

/** Current time as an Aerospike void-time clock (seconds since 2010). */
export function nowVoidClock(): number {
  return Math.floor(Date.now() / 1000) - CITRUSLEAF_EPOCH;
}

export function partitionOf(digest: Buffer): number {
  return (digest[0] | (digest[1] << 8)) & (PARTITION_COUNT - 1);
}

/** Map key for a 20-byte digest. latin1 maps bytes 1:1 to chars. */
export function digestKey(digest: Buffer): string {
  return digest.toString('latin1');
}

export class StoredRecord {
  readonly digest: Buffer;
  readonly partition: number;
  setName: string;
  /** The user key as stored with `key: SEND`: the key field's bytes. */
  keyField: Buffer | undefined;
  bins: Bins;
  gen: number;
  /** 0 = never expires. */
  voidTime: number;
  /** Last update, ns since the unix epoch (truncate's lut compares it). */
  lastUpdateNs: bigint;
  /** Cached wire encoding of all bins as READ ops (see engine/encode.ts). */
  wire: Buffer | undefined;
  wireCount: number;

  constructor(digest: Buffer, setName: string) {
    this.digest = digest;
    this.partition = partitionOf(digest);
    this.setName = setName;
    this.keyField = undefined;
    this.bins = new Map();
    this.gen = 0;
    this.voidTime = 0;
    this.lastUpdateNs = 0n;
    this.wire = undefined;
    this.wireCount = 0;
  }
}

export const SindexType = {
  NUMERIC: 'NUMERIC',
  STRING: 'STRING',
  GEO2DSPHERE: 'GEO2DSPHERE',
  BLOB: 'BLOB',
} as const;

export interface SecondaryIndex {
  ns: string;
  set: string;
  name: string;
  bin: string;
  type: string;
  /** DEFAULT, LIST, MAPKEYS or MAPVALUES. */
  collection: string;
}

export class Namespace {
  readonly name: string;
  readonly records = new Map<string, StoredRecord>();
  /** Sets once written to: a real node keeps listing them when empty. */
  readonly knownSets = new Set<string>();
  /** Seconds; 0 = records never expire by default. */
  defaultTtl = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** The live record for a digest; expired records are dropped on sight. */
  get(digest: Buffer, now = nowVoidClock()): StoredRecord | undefined {
    const key = digestKey(digest);
    const rec = this.records.get(key);
    if (rec === undefined) return undefined;
    if (rec.voidTime !== 0 && rec.voidTime <= now) {
      this.records.delete(key);
      return undefined;
    }
    return rec;
  }

  put(rec: StoredRecord): void {
    this.records.set(digestKey(rec.digest), rec);
    if (rec.setName !== '') this.knownSets.add(rec.setName);
  }

  delete(digest: Buffer): boolean {
    return this.records.delete(digestKey(digest));
  }

  /**
   * Live records of a set (all sets when `set` is empty) in stable
   * (partition, digest) order, restricted to `partitions` when given.
   */
  scan(set: string, partitions?: Set<number>): StoredRecord[] {
    const now = nowVoidClock();
    const out: StoredRecord[] = [];
    for (const [key, rec] of this.records) {
      if (rec.voidTime !== 0 && rec.voidTime <= now) {
        this.records.delete(key);
        continue;
      }
      if (set !== '' && rec.setName !== set) continue;
      if (partitions !== undefined && !partitions.has(rec.partition)) continue;
      out.push(rec);
    }
    out.sort(compareRecords);
    return out;
  }

  objectCount(): number {
    return this.records.size;
  }

  /** Object counts of every known set (empty sets included). */
  setNames(): Map<string, number> {
    const sets = new Map<string, number>();
    for (const name of this.knownSets) sets.set(name, 0);
    for (const rec of this.records.values()) {
      if (rec.setName === '') continue;
      sets.set(rec.setName, (sets.get(rec.setName) ?? 0) + 1);
    }
    return sets;
  }

  /**
   * Removes the records of `set` (all when empty) last updated before
   * `lutNs` (all when undefined). Returns how many were removed.
   */
  truncate(set: string, lutNs?: bigint): number {
    let n = 0;
    for (const [key, rec] of this.records) {
      if (set !== '' && rec.setName !== set) continue;
      if (lutNs !== undefined && rec.lastUpdateNs >= lutNs) continue;
      this.records.delete(key);
      n++;
    }
    return n;
  }
}

export function compareRecords(a: StoredRecord, b: StoredRecord): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  return Buffer.compare(a.digest, b.digest);
}

export class Store {
  readonly namespaces = new Map<string, Namespace>();
  /** Secondary indexes by `ns/name`. */
  readonly sindexes = new Map<string, SecondaryIndex>();

  constructor(names: string[]) {
    for (const n of names) this.namespaces.set(n, new Namespace(n));
  }

  namespace(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  reset(): void {
    for (const ns of this.namespaces.values()) {
      ns.records.clear();
      ns.knownSets.clear();
    }
    this.sindexes.clear();
  }

  /**
   * The index a query on `set` uses for a bin, key type and collection
   * type: one on that very set, else one on the whole namespace
   * (as_sindex_lookup_by_defn() of sindex/sindex.c).
   */
  findIndex(
    ns: string,
    set: string,
    bin: string,
    type: string,
    collection: string
  ): SecondaryIndex | undefined {
    const matches = (si: SecondaryIndex, s: string) =>
      si.ns === ns &&
      si.set === s &&
      si.bin === bin &&
      si.type === type &&
      si.collection === collection;
    for (const si of this.sindexes.values()) if (matches(si, set)) return si;
    if (set === '') return undefined;
    for (const si of this.sindexes.values()) if (matches(si, '')) return si;
    return undefined;
  }
}

export type { Value };
