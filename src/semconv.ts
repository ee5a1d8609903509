/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

/*
 * Incubating semantic-convention constants, copied here rather than imported
 * from `@opentelemetry/semantic-conventions/incubating` (which is not a
 * stable entry point), as the contrib guidelines ask. Checked against
 * `@opentelemetry/semantic-conventions` 1.45.0, which has them all as
 * development.
 */

export const ATTR_DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows';
export const ATTR_DB_CLIENT_CONNECTION_STATE = 'db.client.connection.state';
export const ATTR_DB_CLIENT_CONNECTION_POOL_NAME =
  'db.client.connection.pool.name';
export const DB_CLIENT_CONNECTION_STATE_VALUE_IDLE = 'idle';
export const DB_CLIENT_CONNECTION_STATE_VALUE_USED = 'used';

export const METRIC_DB_CLIENT_RESPONSE_RETURNED_ROWS =
  'db.client.response.returned_rows';
export const METRIC_DB_CLIENT_CONNECTION_COUNT = 'db.client.connection.count';

/** `db.system.name` for Aerospike (not yet a well-known value). */
export const DB_SYSTEM_NAME_VALUE_AEROSPIKE = 'aerospike';

/* Aerospike-specific attributes (the `db.<system>.*` namespace). */
export const ATTR_DB_AEROSPIKE_KEY = 'db.aerospike.key';
export const ATTR_DB_AEROSPIKE_GENERATION = 'db.aerospike.generation';
export const ATTR_DB_AEROSPIKE_TTL = 'db.aerospike.ttl';

/** Bucket advice for `db.client.operation.duration`, in seconds. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];

/** Bucket advice for `db.client.response.returned_rows`. */
export const RETURNED_ROWS_BUCKETS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
];
