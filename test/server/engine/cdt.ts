/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

import type { Value } from '../codec/values.ts';
import { ResultCode, ServerError } from './errors.ts';

/** Applies a CDT_READ (3) or CDT_MODIFY (4) operation to a bin value. */
export function applyCdtOp(
  opType: number,
  payload: Buffer,
  current: Value | undefined
): { binValue: Value | undefined; result: Value } {
  void opType;
  void payload;
  void current;
  throw new ServerError(ResultCode.UNSUPPORTED_FEATURE, 'cdt: todo');
}
