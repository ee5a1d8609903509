/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

/** Aerospike server result codes the embedded server answers with. */
export const ResultCode = {
  OK: 0,
  SERVER_ERROR: 1,
  KEY_NOT_FOUND: 2,
  GENERATION_ERROR: 3,
  PARAMETER_ERROR: 4,
  KEY_EXISTS: 5,
  BIN_EXISTS: 6,
  TIMEOUT: 9,
  BIN_TYPE_ERROR: 12,
  RECORD_TOO_BIG: 13,
  KEY_BUSY: 14,
  UNSUPPORTED_FEATURE: 16,
  BIN_NOT_FOUND: 17,
  KEY_MISMATCH: 19,
  NAMESPACE_NOT_FOUND: 20,
  BIN_NAME_TOO_LONG: 21,
  /** "Operation not allowed at this time" (e.g. the query threads limit). */
  FORBIDDEN: 22,
  ELEMENT_NOT_FOUND: 23,
  ELEMENT_EXISTS: 24,
  ENTERPRISE_ONLY: 25,
  OP_NOT_APPLICABLE: 26,
  FILTERED_OUT: 27,
  UDF_ERROR: 100,
  INDEX_FOUND: 200,
  INDEX_NOT_FOUND: 201,
} as const;

/**
 * Thrown anywhere inside the engine to answer the current command with an
 * Aerospike result code instead of crashing the connection.
 */
export class ServerError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'ServerError';
    this.code = code;
  }
}
