/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { ResultCode, ServerError } from './errors.ts';
import type { ServerContext } from './context.ts';
import { SindexType, type SecondaryIndex } from '../store/store.ts';
import { UdfRegisterError } from '../udf/runtime.ts';
import type { Job } from './jobs.ts';

// Info protocol (proto type 1): `name[:params]\n` commands, answered with
// `name\tvalue\n` lines. Replies follow the command functions of
// base/thr_info.c (and the modules they call) of aerospike-server 8.1.0.3;
// errors read `ERROR:<code>:<message>` as as_info_respond_error() writes
// them.

/** One node owning all 4096 partitions: 512 bytes of 0xFF in base64. */
const FULL_BITMAP = Buffer.alloc(512, 0xff).toString('base64');

/** Generations the client tends on; this single node never changes. */
const GENERATION = '1';

/**
 * What an empty info request gets: info_summary() answers the commands
 * flagged in_summary, in this order.
 */
const SUMMARY = [
  'features',
  'node',
  'compatibility-id',
  'edition',
  'build_ee_sha',
  'build_sha',
  'build_arch',
  'build_time',
  'build_os',
  'build',
  'version',
  'statistics',
  'services-alumni',
  'services',
  'partition-generation',
];

/** The commit tagged 8.1.0.3 in aerospike/aerospike-server. */
const BUILD_SHA = '9ae80c7bf1de150fd5b9195466e6d45381c2d7e6';

export function handleInfo(ctx: ServerContext, body: Buffer): Buffer {
  const text = body.toString('utf8');
  const names =
    body.length === 0 ? SUMMARY : text.split('\n').filter(s => s.length > 0);
  let reply = '';
  for (const name of names) {
    let value: string;
    try {
      value = infoCommand(ctx, name);
    } catch (err) {
      value =
        err instanceof ServerError
          ? infoError(err.code, err.message)
          : infoError(ResultCode.SERVER_ERROR, (err as Error).message);
    }
    reply += `${name}\t${value}\n`;
  }
  return Buffer.from(reply, 'utf8');
}

/** as_info_respond_error(): code 1 (unknown) is left out. */
function infoError(code: number, message: string): string {
  return `ERROR:${code === ResultCode.SERVER_ERROR ? '' : code}:${message}`;
}

/** A required parameter, or the error as_info_required_param_is_ok() gives. */
/**
 * An optional parameter (as_info_optional_param_is_ok(), base/thr_info.c):
 * absent is fine, present without a value is code 4.
 */
function optional(p: Map<string, string>, name: string): string | undefined {
  const v = p.get(name);
  if (v === '') {
    throw new ServerError(
      ResultCode.PARAMETER_ERROR,
      `missing '${name}' value`
    );
  }
  return v;
}

function required(p: Map<string, string>, ...names: string[]): string {
  for (const n of names) {
    const v = p.get(n);
    if (v === undefined) continue;
    if (v === '') {
      throw new ServerError(
        names[0] === 'namespace'
          ? ResultCode.NAMESPACE_NOT_FOUND
          : ResultCode.PARAMETER_ERROR,
        `missing '${names[0]}' value`
      );
    }
    return v;
  }
  throw new ServerError(
    names[0] === 'namespace'
      ? ResultCode.NAMESPACE_NOT_FOUND
      : ResultCode.PARAMETER_ERROR,
    `missing '${names[0]}'`
  );
}

/** info_param_required_local_namespace_is_ok(): present and served here. */
function localNamespace(ctx: ServerContext, p: Map<string, string>): string {
  const ns = required(p, 'namespace', 'ns');
  if (ctx.store.namespace(ns) === undefined) {
    throw new ServerError(
      ResultCode.NAMESPACE_NOT_FOUND,
      'namespace not found on node'
    );
  }
  return ns;
}

/** Commands a Community Edition node answers with "enterprise only". */
const ENTERPRISE_ONLY = new Set([
  'alumni-tls-alt',
  'alumni-tls-std',
  'feature-key',
  'peers-tls-alt',
  'peers-tls-std',
  'quiesce',
  'quiesce-undo',
  'rack-ids',
  'racks',
  'revive',
  'roster',
  'roster-set',
  'service-tls-alt',
  'service-tls-std',
]);

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
  const m = /^([^:/;]*)[:/;]?(.*)$/s.exec(line)!;
  const cmd = m[1];
  const params = m[2];
  const nsNames = [...ctx.store.namespaces.keys()];
  if (ctx.config.edition === 'community' && ENTERPRISE_ONLY.has(cmd)) {
    throw new ServerError(ResultCode.ENTERPRISE_ONLY, 'enterprise only');
  }
  switch (cmd) {
    case 'node':
      return ctx.nodeName;
    case 'build':
      return ctx.build;
    case 'compatibility-id':
      return '15';
    case 'build_ee_sha':
      return '';
    case 'build_sha':
      return BUILD_SHA;
    case 'build_arch':
      return 'x86_64';
    case 'build_time':
      return 'embedded';
    case 'build_os':
      return 'embedded';
    case 'version':
      return `${edition(ctx)} build ${ctx.build}`;
    case 'edition':
      return edition(ctx);
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
        'cdt-index',
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
        'replicas-max',
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
      return sindexInfo(ctx, params);
    case 'sindex-stat': {
      const p = parseParams(params);
      const name = required(p, 'indexname');
      return sindexStat(ctx, localNamespace(ctx, p), name);
    }
    case 'sindex-exists': {
      const p = parseParams(params);
      const name = required(p, 'indexname');
      const ns = localNamespace(ctx, p);
      return ctx.store.sindexes.has(`${ns}/${name}`) ? 'true' : 'false';
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
      const f = parseParams(params).get('filename');
      if (f === undefined || f === '') return 'error=invalid_filename';
      const source = ctx.udf.source(f);
      if (source === undefined) return 'error=not_found';
      const content = Buffer.from(source).toString('base64');
      return `type=LUA;content=${content};`;
    }
    case 'udf-remove': {
      // Removing a module that is not there is not an error
      // (udf_cask_info_remove() of base/udf_cask.c).
      const f = parseParams(params).get('filename');
      if (f === undefined || f === '') return 'error=invalid_filename';
      ctx.udf.remove(f);
      return 'ok';
    }
    case 'truncate':
    case 'truncate-namespace':
      return truncate(ctx, cmd, parseParams(params));
    case 'truncate-undo':
    case 'truncate-namespace-undo':
      required(parseParams(params), 'namespace');
      return 'ok';
    case 'query-show':
      return jobShow(ctx, parseParams(params));
    case 'query-abort':
      return jobAbort(parseParams(params));
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
      throw new ServerError(ResultCode.PARAMETER_ERROR, 'unrecognized command');
  }
}

function edition(ctx: ServerContext): string {
  return ctx.config.edition === 'community'
    ? 'Aerospike Community Edition'
    : 'Aerospike Enterprise Edition';
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
  // cmd_namespace(): "clients won't handle error".
  if (ns === undefined) return 'type=unknown';
  return [
    `ns_cluster_size=1`,
    `objects=${ns.objectCount()}`,
    `tombstones=0`,
    `replication-factor=1`,
    `default-ttl=${ns.defaultTtl}`,
    `max-record-size=${ctx.config.maxRecordSize}`,
    `max-ttl=315360000`,
    `nsup-period=0`,
    `allow-ttl-without-nsup=true`,
    `storage-engine=memory`,
    `strong-consistency=false`,
    `single-bin=false`,
    `partition-tree-sprigs=256`,
    `single-query-threads=${ctx.config.singleQueryThreads}`,
  ].join(';');
}

function setProps(objects: number): string {
  return [
    `objects=${objects}`,
    `tombstones=0`,
    `data_used_bytes=0`,
    `truncate_lut=0`,
    `sindexes=0`,
    `index_populating=false`,
    `truncating=false`,
    `default-read-touch-ttl-pct=0`,
    `default-ttl=0`,
    `disable-eviction=false`,
    `enable-index=false`,
    `stop-writes-count=0`,
    `stop-writes-size=0`,
  ].join(':');
}

// cmd_sets() (base/thr_info.c) and as_namespace_get_set_info()
// (base/namespace.c): `sets`, `sets/NS`, `sets/NS/SET`.
function setStats(ctx: ServerContext, params: string): string {
  if (params === '') {
    return [...ctx.store.namespaces.values()]
      .map(ns => setsOf(ns.name, ns.setNames()))
      .join('');
  }
  const slash = params.indexOf('/');
  const nsName = slash < 0 ? params : params.slice(0, slash);
  const ns = ctx.store.namespace(nsName);
  if (ns === undefined) return 'ns_type=unknown';
  const sets = ns.setNames();
  if (slash < 0) return setsOf(ns.name, sets);
  const objects = sets.get(params.slice(slash + 1));
  return objects === undefined ? '' : setProps(objects) + ';';
}

function setsOf(ns: string, sets: Map<string, number>): string {
  let out = '';
  for (const [set, objects] of sets) {
    out += `ns=${ns}:set=${set}:${setProps(objects)};`;
  }
  return out;
}

// as_sindex_list_str() (sindex/sindex.c).
function describeIndex(si: SecondaryIndex): string {
  return [
    `ns=${si.ns}`,
    `indexname=${si.name}`,
    `set=${si.set === '' ? 'null' : si.set}`,
    `bin=${si.bin}`,
    `type=${si.type.toLowerCase()}`,
    `indextype=${si.collection.toLowerCase()}`,
    `context=null`,
    `exp=null`,
    `state=RW`,
  ].join(':');
}

function indexesOf(ctx: ServerContext, ns: string | undefined): string {
  return [...ctx.store.sindexes.values()]
    .filter(si => ns === undefined || si.ns === ns)
    .map(describeIndex)
    .join(';');
}

function sindexList(ctx: ServerContext, p: Map<string, string>): string {
  const ns =
    p.has('namespace') || p.has('ns') ? localNamespace(ctx, p) : undefined;
  return indexesOf(ctx, ns);
}

/** The deprecated `sindex[/NS[/NAME]]` form (cmd_sindex()). */
function sindexInfo(ctx: ServerContext, params: string): string {
  if (params === '') return indexesOf(ctx, undefined);
  const slash = params.indexOf('/');
  const ns = slash < 0 ? params : params.slice(0, slash);
  if (ctx.store.namespace(ns) === undefined) return 'ns_type=unknown';
  if (slash < 0) return indexesOf(ctx, ns);
  return sindexStat(ctx, ns, params.slice(slash + 1));
}

function sindexStat(ctx: ServerContext, nsName: string, name: string): string {
  const si = ctx.store.sindexes.get(`${nsName}/${name}`);
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
  return `entries=${entries};used_bytes=0;entries_per_bval=0;entries_per_rec=0;load_pct=100;load_time=0;stat_gc_recs=0`;
}

/** as_sindex_ktype_from_string(); 8.1.3+ clients say INTEGER for numeric. */
const INDEX_TYPES: Record<string, string> = {
  NUMERIC: SindexType.NUMERIC,
  INTEGER: SindexType.NUMERIC,
  STRING: SindexType.STRING,
  GEO2DSPHERE: SindexType.GEO2DSPHERE,
  BLOB: SindexType.BLOB,
};
const COLLECTIONS = ['DEFAULT', 'LIST', 'MAPKEYS', 'MAPVALUES'];

function badRequest(message: string): never {
  throw new ServerError(ResultCode.PARAMETER_ERROR, message);
}

// cmd_sindex_create() (base/thr_info.c) and smd_create() (sindex/sindex.c):
// a name is keyed to one definition. The same name and definition again is
// fine; the same name with another definition is code 200; another name
// with an existing definition renames that index. A namespace this node
// does not serve is accepted and ignored.
function sindexCreate(ctx: ServerContext, p: Map<string, string>): string {
  const name = required(p, 'indexname');
  const ns = required(p, 'namespace', 'ns');
  const set = optional(p, 'set') ?? '';
  if (p.has('context') || p.has('exp')) {
    ctx.log('sindex-create: index on context or expression not supported');
    throw new ServerError(
      ResultCode.UNSUPPORTED_FEATURE,
      'index on context or expression not supported'
    );
  }
  const collection = (p.get('indextype') ?? 'DEFAULT').toUpperCase();
  if (!COLLECTIONS.includes(collection)) {
    badRequest(
      "bad 'indextype' - must be one of 'default', 'list', 'mapkeys', 'mapvalues'"
    );
  }
  const data = p.get('indexdata');
  const typeParam = p.get('type');
  if (data === undefined && typeParam === undefined) {
    badRequest("both 'indexdata' and 'type' are missing");
  }
  if (data !== undefined && typeParam !== undefined) {
    badRequest("both 'indexdata' and 'type' are specified");
  }
  let bin: string;
  let typeName: string;
  if (typeParam !== undefined) {
    typeName = typeParam;
    const b = p.get('bin');
    if (b === undefined || b === '')
      badRequest("both 'bin' and 'exp' are missing");
    bin = b;
  } else {
    const comma = data!.indexOf(',');
    if (comma < 0) badRequest("'indexdata' missing bin type");
    bin = data!.slice(0, comma);
    typeName = data!.slice(comma + 1);
    if (bin === '') badRequest("'indexdata' missing bin name");
  }
  if (Buffer.byteLength(bin) > 15) badRequest('bin name too long');
  const type = INDEX_TYPES[typeName.toUpperCase()];
  if (type === undefined) {
    badRequest(
      "bad 'type' - must be one of 'numeric', 'string', 'blob', 'geo2dsphere'"
    );
  }
  if (collection === 'MAPKEYS' && type === SindexType.GEO2DSPHERE) {
    badRequest("bad bin type for 'indextype' 'mapkeys'");
  }
  const namespace = ctx.store.namespace(ns);
  if (namespace === undefined) return 'ok';
  const sameDefinition = (si: SecondaryIndex) =>
    si.ns === ns &&
    si.set === set &&
    si.bin === bin &&
    si.type === type &&
    si.collection === collection;
  const key = `${ns}/${name}`;
  const existing = ctx.store.sindexes.get(key);
  if (existing !== undefined) {
    if (sameDefinition(existing)) return 'ok';
    throw new ServerError(
      ResultCode.INDEX_FOUND,
      "'indexname' already exists with different definition"
    );
  }
  for (const [otherKey, si] of ctx.store.sindexes) {
    if (sameDefinition(si)) ctx.store.sindexes.delete(otherKey);
  }
  ctx.store.sindexes.set(key, { ns, set, name, bin, type, collection });
  if (set !== '') namespace.knownSets.add(set);
  return 'ok';
}

// cmd_sindex_delete(): dropping an index that is not there is fine.
function sindexDelete(ctx: ServerContext, p: Map<string, string>): string {
  const name = required(p, 'indexname');
  const ns = required(p, 'namespace', 'ns');
  ctx.store.sindexes.delete(`${ns}/${name}`);
  return 'ok';
}

// udf_cask_info_put() (base/udf_cask.c).
function udfPut(ctx: ServerContext, p: Map<string, string>): string {
  const filename = p.get('filename') ?? '';
  const content = p.get('content');
  const dot = filename.indexOf('.');
  if (dot <= 0 || dot === filename.length - 1) return 'error=invalid_filename';
  if (content === undefined) return 'error=invalid_content';
  const source = Buffer.from(content, 'base64').toString('utf8');
  try {
    ctx.udf.register(filename, source);
  } catch (err) {
    if (err instanceof UdfRegisterError) return err.infoResponse;
    const msg = (err as Error).message.replace(/[;\n\t]/g, ' ');
    const b64 = Buffer.from(msg).toString('base64');
    return `error=compile_error;file=${filename};line=0;message=${b64}`;
  }
  return 'ok';
}

/** Nanoseconds from 1970 to the Aerospike epoch (2010-01-01). */
const CITRUSLEAF_EPOCH_NS = 1262304000n * 1_000_000_000n;

// cmd_truncate() / cmd_truncate_namespace() (base/thr_info.c) and
// as_truncate_cmd() (base/truncate.c): records last updated before the
// cut-off go (the cut-off is "now" when the command has no lut, to the
// millisecond, so a record written in that very millisecond stays); a
// namespace this node does not serve is accepted and ignored.
function truncate(
  ctx: ServerContext,
  cmd: string,
  p: Map<string, string>
): string {
  const nsName = required(p, 'namespace');
  let set = '';
  if (cmd === 'truncate') {
    set = required(p, 'set');
  } else if (p.has('set')) {
    badRequest('unexpected set name');
  }
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  let lutNs = nowNs;
  const lutText = p.get('lut');
  if (lutText !== undefined) {
    if (lutText === '') badRequest("missing 'lut' value");
    let lut: bigint;
    try {
      lut = BigInt(lutText);
    } catch {
      lut = 0n;
    }
    // The server keeps milliseconds.
    lutNs = (lut / 1_000_000n) * 1_000_000n;
    if (lutNs <= CITRUSLEAF_EPOCH_NS) badRequest('would truncate to 0');
    if (lutNs > nowNs) badRequest('would truncate to the future');
  }
  ctx.store.namespace(nsName)?.truncate(set, lutNs);
  return 'ok';
}

function jobLine(job: Job): string {
  return [
    `trid=${job.trid}`,
    `ns=${job.ns}`,
    ...(job.set === '' ? [] : [`set=${job.set}`]),
    `rps=0`,
    `active-threads=0`,
    `status=${job.status}`,
    `job-progress=100.00`,
    `run-time=${job.endMs - job.startMs}`,
    `time-since-done=${Date.now() - job.endMs}`,
    `recs-throttled=0`,
    `recs-filtered-meta=0`,
    `recs-filtered-bins=0`,
    `recs-succeeded=${job.recordsSucceeded}`,
    `recs-failed=${job.recordsFailed}`,
    `from=127.0.0.1+0`,
    `job-type=${job.type}`,
  ].join(':');
}

/** The `id` (or older `trid`) of query-show / query-abort, or undefined. */
function jobId(p: Map<string, string>): bigint | undefined {
  const text = p.get('id') ?? p.get('trid');
  if (text === undefined) return undefined;
  if (text === '') badRequest("missing 'id' value");
  let id: bigint;
  try {
    id = BigInt(text);
  } catch {
    id = 0n;
  }
  if (id === 0n) badRequest('bad id');
  return id;
}

// cmd_query_show() (base/thr_info.c), as_query_job_info() (query/query_job.c).
function jobShow(ctx: ServerContext, p: Map<string, string>): string {
  const id = jobId(p);
  if (id === undefined) return ctx.jobs.all().map(jobLine).join(';');
  const job = ctx.jobs.get(id);
  if (job === undefined) {
    throw new ServerError(ResultCode.KEY_NOT_FOUND, 'job not found');
  }
  return jobLine(job);
}

// cmd_query_abort(): jobs here are done by the time anyone asks.
function jobAbort(p: Map<string, string>): string {
  const id = jobId(p);
  if (id === undefined) badRequest("missing 'id'");
  throw new ServerError(ResultCode.KEY_NOT_FOUND, 'id not active');
}
