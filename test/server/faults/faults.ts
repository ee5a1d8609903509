/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */

import { createHash } from 'node:crypto';

// Fault injection for data commands. Info traffic is never faulted: a slow
// or dropped info reply makes the client drop the node altogether.

export type CommandKind = 'read' | 'write' | 'batch' | 'scan' | 'query' | 'udf';
export const COMMAND_KINDS: readonly CommandKind[] = [
  'read',
  'write',
  'batch',
  'scan',
  'query',
  'udf',
];

export type FaultAction =
  /** Hold the reply for `ms` milliseconds (the client times out first). */
  | { type: 'delay'; ms: number }
  /** Close the connection without replying. */
  | { type: 'drop' }
  /** Stream `records` records of a scan/query/batch reply, then close. */
  | { type: 'dropAfter'; records: number }
  /** Answer with this Aerospike result code. */
  | { type: 'error'; code: number };

export interface FaultRule {
  /** Command kind to match; 'any' (default) matches every data command. */
  kind?: CommandKind | 'any';
  namespace?: string;
  set?: string;
  /** User key (matched when the client sent it) or a 20-byte digest. */
  key?: string | number | bigint | Buffer;
  /** How many commands the rule applies to; Infinity when omitted. */
  times?: number;
  action: FaultAction;
}

export interface FaultInfo {
  id: number;
  rule: FaultRule;
  /** Commands the rule has been applied to so far. */
  hits: number;
  remaining: number;
}

/** What the engine knows about a command when it asks for a fault. */
export interface CommandTarget {
  kind: CommandKind;
  namespace: string;
  set: string;
  digest?: Buffer;
  userKey?: string | number | bigint | Buffer;
}

interface ActiveRule {
  id: number;
  rule: FaultRule;
  hits: number;
  remaining: number;
}

export class FaultController {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  /** Adds a rule; returns its id (for remove()). */
  add(rule: FaultRule): number {
    const times = rule.times ?? Infinity;
    if (!(times > 0)) throw new Error('fault rule times must be > 0');
    validateAction(rule.action);
    const id = this.nextId++;
    this.rules.push({ id, rule, hits: 0, remaining: times });
    return id;
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter(r => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.hitLog.clear();
  }

  list(): FaultInfo[] {
    return this.rules.map(r => ({
      id: r.id,
      rule: r.rule,
      hits: r.hits,
      remaining: r.remaining,
    }));
  }

  /** Hits of a rule so far (also after it ran out); 0 if unknown. */
  hits(id: number): number {
    return this.hitLog.get(id) ?? 0;
  }

  private hitLog = new Map<number, number>();

  get active(): boolean {
    return this.rules.length > 0;
  }

  /**
   * Finds the first rule matching the command, consumes one of its uses and
   * returns its action.
   */
  match(t: CommandTarget): FaultAction | undefined {
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i];
      if (!matches(r.rule, t)) continue;
      r.hits++;
      r.remaining--;
      this.hitLog.set(r.id, r.hits);
      if (r.remaining <= 0) this.rules.splice(i, 1);
      return r.rule.action;
    }
    return undefined;
  }
}

function validateAction(a: FaultAction): void {
  switch (a.type) {
    case 'delay':
      if (!(a.ms >= 0)) throw new Error('delay ms must be >= 0');
      return;
    case 'drop':
      return;
    case 'dropAfter':
      if (!(a.records >= 0)) throw new Error('dropAfter records must be >= 0');
      return;
    case 'error':
      if (!(a.code >= 0 && a.code <= 255)) {
        throw new Error('error code must be 0..255');
      }
      return;
    default:
      throw new Error(`unknown fault action ${(a as { type: string }).type}`);
  }
}

function matches(rule: FaultRule, t: CommandTarget): boolean {
  if (rule.kind !== undefined && rule.kind !== 'any' && rule.kind !== t.kind) {
    return false;
  }
  if (rule.namespace !== undefined && rule.namespace !== t.namespace) {
    return false;
  }
  if (rule.set !== undefined && rule.set !== t.set) return false;
  if (rule.key !== undefined) {
    const k = rule.key;
    if (Buffer.isBuffer(k) && k.length === 20) {
      return t.digest !== undefined && k.equals(t.digest);
    }
    if (t.userKey !== undefined) return sameUserKey(k, t.userKey);
    // The client sends the user key only with `key: SEND`; otherwise
    // compare digests, computed as the client does.
    return t.digest !== undefined && userKeyDigest(t.set, k).equals(t.digest);
  }
  return true;
}

function sameUserKey(
  a: string | number | bigint | Buffer,
  b: string | number | bigint | Buffer
): boolean {
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  // 42, 42n and '42' are different Aerospike keys; only numbers and
  // bigints of the same value are the same integer key.
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return BigInt(a) === BigInt(b);
}

/** RIPEMD-160 over set name, key particle type and key bytes. */
export function userKeyDigest(
  set: string,
  key: string | number | bigint | Buffer
): Buffer {
  let type: number;
  let bytes: Buffer;
  if (typeof key === 'string') {
    type = 3;
    bytes = Buffer.from(key, 'utf8');
  } else if (Buffer.isBuffer(key)) {
    type = 4;
    bytes = key;
  } else {
    type = 1;
    bytes = Buffer.alloc(8);
    bytes.writeBigInt64BE(BigInt.asIntN(64, BigInt(key)));
  }
  return createHash('ripemd160')
    .update(set, 'utf8')
    .update(Buffer.from([type]))
    .update(bytes)
    .digest();
}

/** Commands received per kind (info requests counted apart). */
export class Counters {
  private counts: Record<CommandKind | 'info', number> = {
    read: 0,
    write: 0,
    batch: 0,
    scan: 0,
    query: 0,
    udf: 0,
    info: 0,
  };

  incr(kind: CommandKind | 'info'): void {
    this.counts[kind]++;
  }

  snapshot(): Record<CommandKind | 'info' | 'total', number> {
    const c = this.counts;
    return {
      ...c,
      total: c.read + c.write + c.batch + c.scan + c.query + c.udf,
    };
  }

  reset(): void {
    for (const k of Object.keys(this.counts) as Array<CommandKind | 'info'>) {
      this.counts[k] = 0;
    }
  }
}
