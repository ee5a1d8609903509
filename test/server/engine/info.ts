/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { ResultCode, ServerError } from './errors.ts';
import type { ServerContext } from './context.ts';
import { SindexType, type SecondaryIndex } from '../store/store.ts';
import { UdfRegisterError } from '../udf/runtime.ts';

// Info protocol (proto type 1): `name[:params]\n` commands, answered with
// `name\tvalue\n` lines.

/** One node owning all 4096 partitions: 512 bytes of 0xFF in base64. */
const FULL_BITMAP = Buffer.alloc(512, 0xff).toString('base64');

/** Generations the client tends on; this single node never changes. */
const GENERATION = '1';

export function handleInfo(ctx: ServerContext, body: Buffer): Buffer {
  const text = body.toString('utf8');
  const names = text.split('\n').filter(s => s.length > 0);
  let reply = '';
  for (const name of names) {
    let value: string;
    try {
      value = infoCommand(ctx, name);
    } catch (err) {
      value =
        err instanceof ServerError
          ? `ERROR:${err.code}:${err.message}`
          : `ERROR::${(err as Error).message}`;
    }
    reply += `${name}\t${value}\n`;
  }
  return Buffer.from(reply, 'utf8');
}

/** Parses `a=1;b=2` (either ';' or ',' separated) into a map. */
function parseParams(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) m.set(part, '');
    else m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

function infoCommand(ctx: ServerContext, line: string): string {
  // `name:k=v;...` or `name/arg[/arg]` (namespace/NS, sindex/NS/NAME).
  const m = /^([^:/]*)[:/]?(.*)$/s.exec(line)!;
  const cmd = m[1];
  const params = m[2];
  const nsNames = [...ctx.store.namespaces.keys()];
  switch (cmd) {
    case 'node':
      return ctx.nodeName;
    case 'build':
      return ctx.build;
    case 'version':
      return 'Aerospike Enterprise Edition build ' + ctx.build;
    case 'edition':
      return 'Aerospike Enterprise Edition';
    case 'cluster-name':
      return 'null';
    case 'partition-generation':
    case 'peers-generation':
    case 'rebalance-generation':
    case 'cluster-generation':
      return GENERATION;
    case 'cluster-stable':
      return ctx.nodeName;
    case 'partitions':
      return '4096';
    case 'peers-clear-std':
    case 'peers-clear-alt':
    case 'peers-tls-std':
    case 'peers-tls-alt':
      return `${GENERATION},${ctx.port},[]`;
    case 'service':
    case 'service-clear-std':
    case 'services':
    case 'services-alumni':
      return cmd.startsWith('services') ? '' : `127.0.0.1:${ctx.port}`;
    case 'service-clear-alt':
    case 'service-tls-std':
    case 'service-tls-alt':
      return '';
    case 'replicas':
      return nsNames.map(n => `${n}:0,1,${FULL_BITMAP}`).join(';');
    case 'replicas-all':
      return nsNames.map(n => `${n}:1,${FULL_BITMAP}`).join(';');
    case 'replicas-master':
    case 'replicas-prole':
      return nsNames.map(n => `${n}:${FULL_BITMAP}`).join(';');
    case 'rack-ids':
      return nsNames.map(n => `${n}:0`).join(';');
    case 'features':
      return [
        'batch-any',
        'batch-index',
        'blob-bits',
        'cdt-list',
        'cdt-map',
        'cluster-stable',
        'float',
        'geo',
        'sindex-exists',
        'peers',
        'pipelining',
        'pquery',
        'pscans',
        'query-show',
        'relaxed-sc',
        'replicas',
        'replicas-all',
        'replicas-master',
        'truncate-namespace',
        'udf',
      ].join(';');
    case 'namespaces':
      return nsNames.join(';');
    case 'statistics':
      return statistics(ctx);
    case 'namespace':
      return namespaceStats(ctx, params);
    case 'sets':
      return setStats(ctx, params);
    case 'bins':
      return nsNames
        .map(n => `${n}:bin_names=0,bin_names_quota=65535`)
        .join(';');
    case 'sindex-list':
      return sindexList(ctx, parseParams(params));
    case 'sindex':
      return sindexStat(ctx, params);
    case 'sindex-stat': {
      const p = parseParams(params);
      const ns = p.get('namespace') ?? p.get('ns') ?? '';
      return sindexStat(ctx, `${ns}/${p.get('indexname') ?? ''}`);
    }
    case 'sindex-exists': {
      const p = parseParams(params);
      const ns = p.get('namespace') ?? p.get('ns') ?? '';
      return ctx.store.sindexes.has(`${ns}/${p.get('indexname') ?? ''}`)
        ? 'true'
        : 'false';
    }
    case 'sindex-create':
      return sindexCreate(ctx, parseParams(params));
    case 'sindex-delete':
      return sindexDelete(ctx, parseParams(params));
    case 'udf-put':
      return udfPut(ctx, parseParams(params));
    case 'udf-list':
      return ctx.udf
        .list()
        .map(u => `filename=${u.filename},hash=${u.hash},type=LUA;`)
        .join('');
    case 'udf-get': {
      const p = parseParams(params);
      const f = p.get('filename') ?? '';
      return ctx.udf.has(f) ? 'error=not_supported' : 'error=not_found';
    }
    case 'udf-remove': {
      const f = parseParams(params).get('filename') ?? '';
      if (!ctx.udf.remove(f)) return 'error=file_not_found';
      return 'ok';
    }
    case 'truncate':
    case 'truncate-namespace':
      return truncate(ctx, cmd, parseParams(params));
    case 'truncate-undo':
      return 'ok';
    case 'query-show':
    case 'scan-show':
      return jobShow(ctx, parseParams(params));
    case 'jobs':
      return jobShow(ctx, parseParams(params));
    case 'query-abort':
    case 'scan-abort':
      return 'OK';
    case 'user-agent-set':
      return 'ok';
    case 'health-outliers':
    case 'health-stats':
      return '';
    case 'get-config':
      return `service.port=${ctx.port}`;
    case 'racks':
      return nsNames.map(n => `ns=${n}:rack_0=${ctx.nodeName}`).join(';');
    default:
      ctx.log(`unrecognized info command: ${line}`);
      return 'ERROR::unrecognized command';
  }
}

function statistics(ctx: ServerContext): string {
  let objects = 0;
  for (const ns of ctx.store.namespaces.values()) objects += ns.objectCount();
  const c = ctx.counters.snapshot();
  return [
    `cluster_size=1`,
    `cluster_key=${ctx.nodeName.slice(-12)}`,
    `cluster_integrity=true`,
    `cluster_is_member=true`,
    `uptime=${Math.floor(process.uptime())}`,
    `objects=${objects}`,
    `client_connections=0`,
    `sindex_count=${ctx.store.sindexes.size}`,
    `reads=${c.read}`,
    `writes=${c.write}`,
    `batch_index_initiate=${c.batch}`,
  ].join(';');
}

function namespaceStats(ctx: ServerContext, name: string): string {
  const ns = ctx.store.namespace(name);
  if (ns === undefined) {
    throw new ServerError(ResultCode.NAMESPACE_NOT_FOUND, 'ns_not_found');
  }
  return [
    `ns_cluster_size=1`,
    `objects=${ns.objectCount()}`,
    `tombstones=0`,
    `replication-factor=1`,
    `default-ttl=${ns.defaultTtl}`,
    `max-ttl=315360000`,
    `nsup-period=0`,
    `allow-ttl-without-nsup=true`,
    `storage-engine=memory`,
    `strong-consistency=false`,
    `single-bin=false`,
    `partition-tree-sprigs=256`,
  ].join(';');
}

function setStats(ctx: ServerContext, params: string): string {
  const [nsFilter, setFilter] = params.split('/');
  const out: string[] = [];
  for (const ns of ctx.store.namespaces.values()) {
    if (nsFilter && ns.name !== nsFilter) continue;
    for (const [set, objects] of ns.setNames()) {
      if (setFilter && set !== setFilter) continue;
      out.push(
        `ns=${ns.name}:set=${set}:objects=${objects}:tombstones=0:truncate_lut=0:index_populating=false:sindexes=0`
      );
    }
  }
  return out.map(s => s + ';').join('');
}

function describeIndex(si: SecondaryIndex): string {
  return [
    `ns=${si.ns}`,
    `indexname=${si.name}`,
    `set=${si.set === '' ? 'NULL' : si.set}`,
    `bin=${si.bin}`,
    `type=${si.type.toLowerCase()}`,
    `indextype=${si.collection.toLowerCase()}`,
    `context=NULL`,
    `exp=NULL`,
    `state=RW`,
  ].join(':');
}

function sindexList(ctx: ServerContext, p: Map<string, string>): string {
  const ns = p.get('ns') ?? p.get('namespace');
  return [...ctx.store.sindexes.values()]
    .filter(si => ns === undefined || si.ns === ns)
    .map(si => describeIndex(si) + ';')
    .join('');
}

function sindexStat(ctx: ServerContext, path: string): string {
  const slash = path.indexOf('/');
  if (slash < 0) {
    return sindexList(ctx, new Map([['ns', path]]));
  }
  const key = path;
  const si = ctx.store.sindexes.get(key);
  if (si === undefined) {
    throw new ServerError(ResultCode.INDEX_NOT_FOUND, 'no index');
  }
  const ns = ctx.store.namespace(si.ns);
  let entries = 0;
  if (ns !== undefined) {
    for (const rec of ns.records.values()) {
      if ((si.set === '' || rec.setName === si.set) && rec.bins.has(si.bin)) {
        entries++;
      }
    }
  }
  return `entries=${entries};used_bytes=0;load_pct=100;load_time=0;stat_gc_recs=0`;
}

const INDEX_TYPES: Record<string, string> = {
  NUMERIC: SindexType.NUMERIC,
  STRING: SindexType.STRING,
  GEO2DSPHERE: SindexType.GEO2DSPHERE,
  BLOB: SindexType.BLOB,
};

function sindexCreate(ctx: ServerContext, p: Map<string, string>): string {
  const ns = p.get('ns') ?? p.get('namespace') ?? '';
  const name = p.get('indexname') ?? '';
  if (ctx.store.namespace(ns) === undefined) {
    return 'FAIL:20:namespace not found';
  }
  if (name === '') return 'FAIL:4:missing indexname';
  // indexdata=BIN,TYPE (older syntax) or bin=BIN;type=TYPE (8.1 syntax).
  let bin = p.get('bin');
  let type = p.get('type');
  const data = p.get('indexdata');
  if (data !== undefined) {
    const comma = data.lastIndexOf(',');
    bin = data.slice(0, comma);
    type = data.slice(comma + 1);
  }
  const t = INDEX_TYPES[(type ?? '').toUpperCase()];
  if (bin === undefined || bin === '' || t === undefined) {
    return 'FAIL:4:bad index definition';
  }
  if (p.has('context') || p.has('exp')) {
    return 'FAIL:16:index on context or expression not supported';
  }
  const set = p.get('set') ?? '';
  const collection = (p.get('indextype') ?? 'DEFAULT').toUpperCase();
  const key = `${ns}/${name}`;
  const existing = ctx.store.sindexes.get(key);
  if (existing !== undefined) {
    return 'FAIL:200:Index with the same name already exists or this bin has already been indexed.';
  }
  for (const si of ctx.store.sindexes.values()) {
    if (
      si.ns === ns &&
      si.set === set &&
      si.bin === bin &&
      si.type === t &&
      si.collection === collection
    ) {
      return 'FAIL:200:Index with the same name already exists or this bin has already been indexed.';
    }
  }
  ctx.store.sindexes.set(key, { ns, set, name, bin, type: t, collection });
  return 'OK';
}

function sindexDelete(ctx: ServerContext, p: Map<string, string>): string {
  const ns = p.get('ns') ?? p.get('namespace') ?? '';
  const name = p.get('indexname') ?? '';
  if (!ctx.store.sindexes.delete(`${ns}/${name}`)) {
    return 'FAIL:201:Index does not exist on the system.';
  }
  return 'OK';
}

function udfPut(ctx: ServerContext, p: Map<string, string>): string {
  const filename = p.get('filename') ?? '';
  const content = p.get('content');
  if (filename === '' || content === undefined) {
    return 'error=invalid_filename';
  }
  const source = Buffer.from(content, 'base64').toString('utf8');
  try {
    ctx.udf.register(filename, source);
  } catch (err) {
    if (err instanceof UdfRegisterError) return err.infoResponse;
    const msg = (err as Error).message.replace(/[;\n\t]/g, ' ');
    const b64 = Buffer.from(msg).toString('base64');
    return `error=compile_error;file=${filename};line=0;message=${b64}`;
  }
  return '';
}

function truncate(
  ctx: ServerContext,
  cmd: string,
  p: Map<string, string>
): string {
  const nsName = p.get('namespace') ?? '';
  const ns = ctx.store.namespace(nsName);
  if (ns === undefined) return 'ERROR:20:namespace not found';
  const set = cmd === 'truncate' ? (p.get('set') ?? '') : '';
  const lutText = p.get('lut');
  let lut: bigint | undefined;
  if (lutText !== undefined && lutText !== '' && lutText !== 'now') {
    try {
      lut = BigInt(lutText);
    } catch {
      return 'ERROR:4:bad lut';
    }
  }
  ns.truncate(set, lut);
  return 'ok';
}

function jobShow(ctx: ServerContext, p: Map<string, string>): string {
  const id = p.get('trid') ?? p.get('id') ?? '';
  let trid: bigint;
  try {
    trid = BigInt(id);
  } catch {
    return 'ERROR:4:bad trid';
  }
  const job = ctx.jobs.get(trid);
  if (job === undefined) return 'ERROR:2:job not found';
  return [
    `trid=${job.trid}`,
    `job-type=basic`,
    `ns=${job.ns}`,
    `set=${job.set === '' ? 'NULL' : job.set}`,
    `status=${job.status}`,
    `recs-read=${job.recordsRead}`,
    `recs-succeeded=${job.recordsSucceeded}`,
    `recs-failed=${job.recordsFailed}`,
    `run-time=${job.endMs - job.startMs}`,
  ].join(':');
}
