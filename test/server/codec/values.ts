/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

// The embedded server's in-memory representation of Aerospike values. Every
// layer (codec, store, engine, CDT, Lua) speaks these types, so a value read
// from the wire can be stored, handed to a UDF and sent back unchanged.

/** Aerospike particle types as they appear on the wire. */
export const ParticleType = {
  NIL: 0,
  INTEGER: 1,
  DOUBLE: 2,
  STRING: 3,
  BLOB: 4,
  BOOL: 17,
  HLL: 18,
  MAP: 19,
  LIST: 20,
  GEOJSON: 23,
} as const;

/** A double kept apart from integers: 2.0 must go back out as a double. */
export class AsDouble {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

/** A GeoJSON string (particle type 23). */
export class AsGeoJSON {
  readonly json: string;
  constructor(json: string) {
    this.json = json;
  }
}

/** An opaque HyperLogLog blob (particle type 18). */
export class AsHLL {
  readonly data: Buffer;
  constructor(data: Buffer) {
    this.data = data;
  }
}

/**
 * A CDT map. Keys are kept as Values in insertion (or key) order; `ordered`
 * records the map order flag the client asked for (K_ORDERED = 1).
 */
export class AsMap {
  readonly entries: Array<[Value, Value]>;
  order: number;
  constructor(entries: Array<[Value, Value]> = [], order = 0) {
    this.entries = entries;
    this.order = order;
  }
}

/**
 * Integers are JS numbers while they are safe integers, bigints beyond that
 * (Aerospike integers are signed 64-bit).
 */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | AsDouble
  | AsGeoJSON
  | AsHLL
  | AsMap
  | Value[];

/** A record's bins by name. */
export type Bins = Map<string, Value>;
