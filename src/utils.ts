/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { AerospikeInstrumentationConfig } from './types';
import type {
  ClientInfo,
  KeyLike,
  OperationTarget,
  ProcedureKind,
  TargetKind,
} from './internal-types';

const DEFAULT_PORT = 3000;

/**
 * The first configured seed host of a client config, as `server.address` and
 * `server.port`. Hosts come as a string (`'a:3000,b:tls:3000,[::1]:3000'`)
 * or an array of `{ addr, port?, tlsname? }`; a host without a port uses
 * `config.port`, else 3000.
 */
export function parseServerAddress(config: unknown): ClientInfo {
  if (!config || typeof config !== 'object') return {};
  const { hosts, port } = config as { hosts?: unknown; port?: unknown };
  const defaultPort =
    typeof port === 'number' && Number.isInteger(port) && port > 0
      ? port
      : DEFAULT_PORT;
  if (typeof hosts === 'string') {
    return parseHostString(hosts, defaultPort);
  }
  if (Array.isArray(hosts) && hosts.length > 0) {
    const first = hosts[0] as { addr?: unknown; port?: unknown } | null;
    if (!first || typeof first.addr !== 'string' || first.addr === '') {
      return {};
    }
    const hostPort =
      typeof first.port === 'number' && first.port > 0
        ? first.port
        : defaultPort;
    return { serverAddress: stripBrackets(first.addr), serverPort: hostPort };
  }
  return {};
}

function parseHostString(hosts: string, defaultPort: number): ClientInfo {
  const first = hosts.split(',')[0].trim();
  if (first === '') return {};
  let address: string;
  let rest: string[];
  if (first.startsWith('[')) {
    const close = first.indexOf(']');
    if (close < 0) return {};
    address = first.slice(1, close);
    rest = first
      .slice(close + 1)
      .split(':')
      .slice(1);
  } else {
    const parts = first.split(':');
    if (parts.length > 3) {
      // A bare IPv6 address: it cannot carry a port without brackets.
      return { serverAddress: first, serverPort: defaultPort };
    }
    address = parts[0];
    rest = parts.slice(1);
  }
  // `host:port` or `host:tlsname:port`: the port is always last.
  const portText = rest.length > 0 ? rest[rest.length - 1] : '';
  const parsedPort = /^\d+$/.test(portText) ? Number(portText) : NaN;
  return {
    serverAddress: address,
    serverPort: parsedPort > 0 && parsedPort < 65536 ? parsedPort : defaultPort,
  };
}

function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']')
    ? address.slice(1, -1)
    : address;
}

/**
 * A reverse map of the loaded module's `status` constants, code to name.
 * Names are taken without the `AEROSPIKE_` alias prefix, and the first name
 * wins where two constants share a code (25).
 */
export function buildStatusNames(status: unknown): Map<number, string> {
  const names = new Map<number, string>();
  if (!status || typeof status !== 'object') return names;
  for (const [name, code] of Object.entries(status)) {
    if (typeof code !== 'number' || name.startsWith('AEROSPIKE_')) continue;
    if (!names.has(code)) names.set(code, name);
  }
  return names;
}

/** `error.type` and `db.response.status_code` for an error. */
export function describeError(
  error: unknown,
  statusNames: Map<number, string>
): { errorType: string; statusCode?: string } {
  if (error !== null && typeof error === 'object') {
    const { code } = error as { code?: unknown };
    const className = (error as object).constructor?.name;
    if (className === 'AerospikeError' && typeof code === 'number') {
      return {
        errorType: statusNames.get(code) ?? className,
        statusCode: String(code),
      };
    }
    return { errorType: className || 'Error' };
  }
  return { errorType: typeof error === 'string' ? 'Error' : typeof error };
}

/** `db.response.status_code` of a failed UDF (AEROSPIKE_ERR_UDF). */
const UDF_FAILURE_STATUS = '100';

/**
 * The error message for the span status and the exception event. A UDF
 * failure carries the Lua error text, which often echoes the UDF's arguments
 * or bin values: only where it failed (`module.lua:line`) is kept.
 */
export function errorMessage(
  error: unknown,
  statusCode?: string
): { text?: string; redacted: boolean } {
  let text: string | undefined;
  if (error !== null && typeof error === 'object') {
    const { message } = error as { message?: unknown };
    if (typeof message === 'string') text = message;
  } else if (typeof error === 'string') {
    text = error;
  }
  if (statusCode !== UDF_FAILURE_STATUS) return { text, redacted: false };
  const location = text && /([\w.-]+\.lua:\d+)/.exec(text)?.[1];
  return {
    text: location ? `UDF failed at ${location}` : 'UDF failed',
    redacted: true,
  };
}

/**
 * `db.aerospike.key`: strings and numbers as they are, bigints as decimal
 * strings, Buffers as hex, and digest-only keys as the digest in hex.
 */
export function keyAttributeValue(key: unknown): string | number | undefined {
  if (key === null || typeof key !== 'object') return undefined;
  const { key: userKey, digest } = key as KeyLike;
  switch (typeof userKey) {
    case 'string':
      return userKey;
    case 'number':
      return userKey;
    case 'bigint':
      return userKey.toString();
  }
  if (Buffer.isBuffer(userKey)) return userKey.toString('hex');
  if (Buffer.isBuffer(digest)) return digest.toString('hex');
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The namespace, set and key(s) an operation targets, read from its call. */
export function readTarget(
  kind: TargetKind,
  args: ArrayLike<unknown>,
  self: unknown
): OperationTarget {
  switch (kind) {
    case 'key': {
      const key = args[0] as KeyLike | null | undefined;
      if (key === null || typeof key !== 'object') return { key };
      return {
        namespace: stringOrUndefined(key.ns),
        set: stringOrUndefined(key.set),
        key,
      };
    }
    case 'keys':
      return sharedTarget(args[0], false);
    case 'records':
      return sharedTarget(args[0], true);
    case 'namespaceSet':
      return {
        namespace: stringOrUndefined(args[0]),
        set: stringOrUndefined(args[1]),
      };
    case 'namespace':
      return { namespace: stringOrUndefined(args[0]) };
    case 'indexOptions':
    case 'queryObject': {
      const holder = (kind === 'queryObject' ? self : args[0]) as {
        ns?: unknown;
        set?: unknown;
      } | null;
      if (holder === null || typeof holder !== 'object') return {};
      return {
        namespace: stringOrUndefined(holder.ns),
        set: stringOrUndefined(holder.set),
      };
    }
    default:
      return {};
  }
}

/**
 * The namespace and set every entry of a batch shares (either is left out
 * when the entries disagree), and the batch size. Keys and records get a
 * loop each: this runs over every entry of a batch of any size.
 */
function sharedTarget(entries: unknown, isRecords: boolean): OperationTarget {
  if (!Array.isArray(entries)) return {};
  const size = entries.length;
  if (size === 0) return { batchSize: 0 };
  const keys = entries as Array<KeyLike | null | undefined>;
  const records = entries as Array<{ key?: KeyLike } | null | undefined>;
  const first = isRecords ? records[0]?.key : keys[0];
  const namespace = first?.ns;
  const set = first?.set;
  let namespaceShared = true;
  let setShared = true;
  if (isRecords) {
    for (let i = 1; i < size; i++) {
      const key = records[i]?.key;
      if (key?.ns !== namespace) namespaceShared = false;
      if (key?.set !== set) setShared = false;
      if (!namespaceShared && !setShared) break;
    }
  } else {
    for (let i = 1; i < size; i++) {
      const key = keys[i];
      if (key?.ns !== namespace) namespaceShared = false;
      if (key?.set !== set) setShared = false;
      if (!namespaceShared && !setShared) break;
    }
  }
  return {
    namespace: namespaceShared ? stringOrUndefined(namespace) : undefined,
    // A set is only meaningful inside one namespace.
    set: namespaceShared && setShared ? stringOrUndefined(set) : undefined,
    batchSize: size,
  };
}

/** The Key objects of a batch call, for the request hook. */
export function readBatchKeys(
  kind: TargetKind,
  args: ArrayLike<unknown>
): unknown[] | undefined {
  const entries = args[0];
  if (!Array.isArray(entries)) return undefined;
  if (kind === 'keys') return entries;
  return entries.map(entry =>
    entry !== null && typeof entry === 'object'
      ? (entry as { key?: unknown }).key
      : undefined
  );
}

/** `db.stored_procedure.name` (`module.function`) of a UDF call. */
export function readProcedure(
  kind: ProcedureKind,
  args: ArrayLike<unknown>
): string | undefined {
  let module: unknown;
  let fn: unknown;
  if (kind === 'udfObjectArg1') {
    const udf = args[1] as { module?: unknown; funcname?: unknown } | null;
    if (udf === null || typeof udf !== 'object') return undefined;
    module = udf.module;
    fn = udf.funcname;
  } else {
    module = args[0];
    fn = args[1];
  }
  if (typeof module !== 'string' || typeof fn !== 'string') return undefined;
  return `${module}.${fn}`;
}

/**
 * `db.query.summary` and the span name: `{operation} {namespace}.{set}`,
 * `{operation} {namespace}`, or `{operation}` alone.
 */
export function querySummary(
  operation: string,
  namespace: string | undefined,
  set: string | undefined
): string {
  if (namespace === undefined) return operation;
  return set === undefined
    ? `${operation} ${namespace}`
    : `${operation} ${namespace}.${set}`;
}

/** The entries of a batch result whose status is OK. */
export function countOkEntries(result: unknown): number | undefined {
  if (!Array.isArray(result)) return undefined;
  let rows = 0;
  for (let i = 0; i < result.length; i++) {
    const entry = result[i] as { status?: unknown } | null | undefined;
    if (entry?.status === 0) rows++;
  }
  return rows;
}

const BOOLEAN_OPTIONS = [
  'enabled',
  'requireParentSpan',
  'captureKey',
  'traceInfo',
] as const;
const HOOK_OPTIONS = ['requestHook', 'responseHook', 'errorHook'] as const;

/**
 * The config without the options whose values have the wrong type (each
 * reported once through `warn`), so a typo such as `captureKey: 'no'` falls
 * back to the default instead of being read as true on every operation.
 */
export function sanitizeConfig(
  config: unknown,
  warn: (message: string) => void
): AerospikeInstrumentationConfig {
  if (config === undefined) return {};
  if (config === null || typeof config !== 'object') {
    warn(
      `aerospike: ignoring config: expected an object, got ${typeof config}`
    );
    return {};
  }
  const clean: Record<string, unknown> = { ...config };
  for (const name of BOOLEAN_OPTIONS) {
    const value = clean[name];
    if (value !== undefined && typeof value !== 'boolean') {
      warn(`aerospike: ignoring config.${name}: expected a boolean`);
      delete clean[name];
    }
  }
  for (const name of HOOK_OPTIONS) {
    const value = clean[name];
    if (value !== undefined && typeof value !== 'function') {
      warn(`aerospike: ignoring config.${name}: expected a function`);
      delete clean[name];
    }
  }
  return clean as AerospikeInstrumentationConfig;
}
