/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

import type { Value } from './values.ts';
import { ResultCode, ServerError } from '../engine/errors.ts';

/** Encodes a Value in Aerospike-flavoured msgpack. */
export function packValue(v: Value): Buffer {
  void v;
  throw new ServerError(ResultCode.UNSUPPORTED_FEATURE, 'msgpack: todo');
}

/** Decodes one Aerospike-flavoured msgpack Value. */
export function unpackValue(buf: Buffer): Value {
  void buf;
  throw new ServerError(ResultCode.UNSUPPORTED_FEATURE, 'msgpack: todo');
}
