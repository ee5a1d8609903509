/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { ObservableResult } from '@opentelemetry/api';
import type { ClientInfo, ClientLike } from './internal-types';
import {
  ATTR_DB_CLIENT_CONNECTION_POOL_NAME,
  ATTR_DB_CLIENT_CONNECTION_STATE,
  DB_CLIENT_CONNECTION_STATE_VALUE_IDLE,
  DB_CLIENT_CONNECTION_STATE_VALUE_USED,
} from './semconv';

/** The three pools the client keeps for each node. */
const POOL_KINDS = [
  ['sync', 'syncConnections'],
  ['async', 'asyncConnections'],
  ['pipeline', 'pipelineConnections'],
] as const;

interface Registration {
  client: WeakRef<ClientLike>;
  /** `{target}` or `{target}#{n}`: the first part of this client's pool names. */
  prefix: string;
  /** The pools observed at the last collection. */
  pools: Set<string>;
}

/**
 * `db.client.connection.count` for the registered clients, read from
 * `client.stats()` at collection time. A pool that was observed and is gone
 * (its node left the cluster, or the client was closed or collected) is
 * observed once more as 0 idle and 0 used, then no more: an SDK that keeps
 * exporting the last value of a series no longer observed (as the JS SDK
 * does with cumulative temporality) then exports 0 rather than the last
 * count, and one that drops such series drops it. A node that comes back is
 * observed again.
 */
export class ConnectionPools {
  private readonly _registrations = new Set<Registration>();
  /** Clients registered so far for each target, to keep pool names unique. */
  private readonly _targets = new Map<string, number>();

  /** Starts observing a client (once: the caller registers each client once). */
  register(client: ClientLike, info: ClientInfo): void {
    const target = poolTarget(info);
    const count = (this._targets.get(target) ?? 0) + 1;
    this._targets.set(target, count);
    this._registrations.add({
      client: new WeakRef(client),
      prefix: count === 1 ? target : `${target}#${count}`,
      pools: new Set(),
    });
  }

  /** The instrument callback. */
  observe(result: ObservableResult, onError: (err: unknown) => void): void {
    for (const registration of this._registrations) {
      const client = registration.client.deref();
      let current: Set<string>;
      try {
        current = observeClient(client, registration.prefix, result);
      } catch (err) {
        // Nothing is known about this client's pools: leave them as they were.
        onError(err);
        continue;
      }
      for (const pool of registration.pools) {
        if (!current.has(pool)) observePool(result, pool, 0, 0);
      }
      registration.pools = current;
      if (client === undefined) this._registrations.delete(registration);
    }
  }
}

/**
 * `db.client.connection.pool.name` is `{target}/{node}/{kind}`: the client's
 * `server.address` (with `:server.port` when set), the node name and the
 * pool kind, e.g. `10.0.0.1:3000/BB9020011AC4202/async`.
 */
export function poolName(prefix: string, node: string, kind: string): string {
  return `${prefix}/${node}/${kind}`;
}

function poolTarget(info: ClientInfo): string {
  const address = info.serverAddress ?? 'unknown';
  return info.serverPort === undefined
    ? address
    : `${address}:${info.serverPort}`;
}

/** Observes the pools of a live, connected client; returns their names. */
function observeClient(
  client: ClientLike | undefined,
  prefix: string,
  result: ObservableResult
): Set<string> {
  const pools = new Set<string>();
  // stats() crashes the process on a client that never connected.
  if (
    client === undefined ||
    typeof client.stats !== 'function' ||
    !client.isConnected?.(false)
  ) {
    return pools;
  }
  for (const node of client.stats().nodes ?? []) {
    if (node === null || typeof node !== 'object') continue;
    const nodeName = typeof node.name === 'string' ? node.name : 'unknown';
    for (const [kind, field] of POOL_KINDS) {
      const connections = node[field];
      if (!connections) continue;
      const pool = poolName(prefix, nodeName, kind);
      observePool(
        result,
        pool,
        connections.inPool ?? 0,
        connections.inUse ?? 0
      );
      pools.add(pool);
    }
  }
  return pools;
}

function observePool(
  result: ObservableResult,
  pool: string,
  idle: number,
  used: number
) {
  result.observe(idle, {
    [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_VALUE_IDLE,
    [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: pool,
  });
  result.observe(used, {
    [ATTR_DB_CLIENT_CONNECTION_STATE]: DB_CLIENT_CONNECTION_STATE_VALUE_USED,
    [ATTR_DB_CLIENT_CONNECTION_POOL_NAME]: pool,
  });
}
