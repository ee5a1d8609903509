/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { AsMsg } from '../codec/message.ts';
import type { ServerContext } from './context.ts';
import type { ReplySink, StreamLimits } from './dispatch.ts';
import { ResultCode, ServerError } from './errors.ts';

export function handleScan(
  _ctx: ServerContext,
  _msg: AsMsg,
  _sink: ReplySink,
  _limits: StreamLimits,
  _kind: 'scan' | 'query'
): void | Promise<void> {
  throw new ServerError(ResultCode.UNSUPPORTED_FEATURE, 'scan: todo');
}
