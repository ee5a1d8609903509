/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { isIP, isIPv6 } from 'node:net';
import type { ClientInfo } from './internal-types';

/** The port an Aerospike server listens on unless configured otherwise. */
export const AEROSPIKE_DEFAULT_PORT = 3000;

/** At most this many seeds are listed in a multi-seed `server.address`. */
const MAX_LISTED_SEEDS = 5;

interface Endpoint {
  host: string;
  port: number;
}

/**
 * `server.address` and `server.port` of a client config: the configured
 * seeds, not the node an operation reaches (semantic-conventions #4058).
 *
 * One seed: its host, and its port in `server.port`. Several seeds: one
 * comma-separated string and no `server.port`; ports are left out when every
 * seed uses 3000, otherwise every listed seed keeps its port (an IPv6 host
 * then in brackets); duplicates are kept; seeds are sorted, because the
 * client treats them as equivalent (it tries them in turn until one answers,
 * then discovers the whole cluster from it), and only the first five are
 * listed. TLS names are not part of the address. A seed list the client
 * could not use (an empty host, a bad port) gives neither attribute.
 */
export function serverTarget(config: unknown): ClientInfo {
  if (!config || typeof config !== 'object') return {};
  const { hosts, port } = config as { hosts?: unknown; port?: unknown };
  const defaultPort = validPort(port) ? port : AEROSPIKE_DEFAULT_PORT;
  const endpoints = Array.isArray(hosts)
    ? hostArrayEndpoints(hosts, defaultPort)
    : typeof hosts === 'string'
      ? hostStringEndpoints(hosts, defaultPort)
      : undefined;
  if (endpoints === undefined || endpoints.length === 0) return {};
  if (endpoints.length === 1) {
    return { serverAddress: endpoints[0].host, serverPort: endpoints[0].port };
  }
  const portsInline = endpoints.some(e => e.port !== AEROSPIKE_DEFAULT_PORT);
  const listed = endpoints.map(e => (portsInline ? hostAndPort(e) : e.host));
  listed.sort();
  return { serverAddress: listed.slice(0, MAX_LISTED_SEEDS).join(',') };
}

/** `host:port`, an IPv6 host in brackets. */
function hostAndPort({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The seeds of a hosts string, read as the C client reads it:
 * `host[:tlsname][:port]` separated by commas, IPv6 hosts in brackets; a
 * trailing comma is ignored. A bare IPv6 address (which the client itself
 * cannot read) is taken as a host without a port.
 */
function hostStringEndpoints(
  hosts: string,
  defaultPort: number
): Endpoint[] | undefined {
  const tokens = hosts.split(',');
  if (tokens.length > 1 && tokens[tokens.length - 1].trim() === '') {
    tokens.pop();
  }
  const endpoints: Endpoint[] = [];
  for (const token of tokens) {
    const endpoint = parseEndpoint(token, defaultPort);
    if (endpoint === undefined) return undefined;
    endpoints.push(endpoint);
  }
  return endpoints;
}

/**
 * One `host[:tlsname][:port]` seed, or `undefined` when the client could not
 * use it. Also reads the host argument of `Client#info`.
 */
export function parseEndpoint(
  text: string,
  defaultPort = AEROSPIKE_DEFAULT_PORT
): Endpoint | undefined {
  const token = text.trim();
  let host: string;
  let rest: string[];
  if (token.startsWith('[')) {
    const close = token.indexOf(']');
    const after = token.slice(close + 1);
    if (close < 0 || (after !== '' && !after.startsWith(':'))) return undefined;
    host = token.slice(1, close);
    rest = after === '' ? [] : after.slice(1).split(':');
  } else if (isIPv6(token)) {
    return { host: token, port: defaultPort };
  } else {
    [host, ...rest] = token.split(':');
  }
  if (host === '' || rest.length > 2) return undefined;
  // `host:port`, `host:tlsname` or `host:tlsname:port`: a port starts with a
  // digit, as the C client decides.
  const last = rest.length > 0 ? rest[rest.length - 1] : undefined;
  if (last === undefined || (rest.length === 1 && !/^\d/.test(last))) {
    return { host, port: defaultPort };
  }
  const port = /^\d+$/.test(last) ? Number(last) : NaN;
  return validPort(port) ? { host, port } : undefined;
}

/** The seeds of a hosts array: `{ addr, port?, tlsname? }` each. */
function hostArrayEndpoints(
  hosts: unknown[],
  defaultPort: number
): Endpoint[] | undefined {
  const endpoints: Endpoint[] = [];
  for (const entry of hosts) {
    if (entry === null || typeof entry !== 'object') return undefined;
    const { addr, port } = entry as { addr?: unknown; port?: unknown };
    if (typeof addr !== 'string') return undefined;
    const host = stripBrackets(addr.trim());
    if (host === '') return undefined;
    if (port === undefined) {
      endpoints.push({ host, port: defaultPort });
    } else if (validPort(port)) {
      endpoints.push({ host, port });
    } else {
      return undefined;
    }
  }
  return endpoints;
}

function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']')
    ? address.slice(1, -1)
    : address;
}

function validPort(port: unknown): port is number {
  return (
    typeof port === 'number' &&
    Number.isInteger(port) &&
    port > 0 &&
    port < 65536
  );
}

/** The node address as the C client writes it: `10.0.0.1:3000`, `[::1]:3000`. */
const NODE = String.raw`(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):(\d{1,5})`;
/**
 * Where the C client names the node in an error message: a server's answer
 * to a read or operate (`10.0.0.1:3000 Record does not exist ...`), a client
 * timeout (`... lastNode=10.0.0.1:3000`) and a failed info command (`...
 * from 10.0.0.1:3000`, behind truncate and index and UDF management).
 */
const NODE_IN_MESSAGE = new RegExp(`^${NODE} |(?:lastNode=| from )${NODE}$`);

/**
 * `network.peer.address` and `network.peer.port` of a failed operation: the
 * node the client names in the error message, when it names one.
 */
export function peerFromErrorMessage(
  message: string
): { address: string; port: number } | undefined {
  const match = NODE_IN_MESSAGE.exec(message);
  if (match === null) return undefined;
  const address = stripBrackets(match[1] ?? match[3]);
  const port = Number(match[2] ?? match[4]);
  return isIP(address) !== 0 && validPort(port) ? { address, port } : undefined;
}

/**
 * The node `Client#info(request, host)` is sent to, when the host is an IP
 * address (a name would be resolved by the client, out of sight).
 */
export function peerFromInfoHost(
  host: unknown
): { address: string; port: number } | undefined {
  let endpoint: Endpoint | undefined;
  if (typeof host === 'string') {
    endpoint = parseEndpoint(host);
  } else if (host !== null && typeof host === 'object') {
    const { addr, port } = host as { addr?: unknown; port?: unknown };
    if (typeof addr === 'string' && validPort(port)) {
      endpoint = { host: stripBrackets(addr), port };
    }
  }
  if (endpoint === undefined || isIP(endpoint.host) === 0) return undefined;
  return { address: endpoint.host, port: endpoint.port };
}
