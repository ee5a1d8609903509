/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { join } from 'node:path';
import type { EmbeddedServer } from '../server/index.ts';
import { uniqueName } from '../helpers/backend.ts';
import { testUdfModule } from '../helpers/udf.ts';
import { Recorder } from './observe.ts';

// One scripted workload: every instrumented method in callback and promise
// form, successes and the error paths a server produces (natural result
// codes), streams ending by end, error and abort, and pagination; on the
// embedded server also the faults it can inject (forced codes, dropped
// connections, delays beyond the timeout, streams cut mid-way). It is
// deterministic: run it twice against a reset server and the observations
// must be equal. On a real server (no fault controls) the fault steps are
// left out and "reset" means removing what the last run left: the records
// of its own set, its indexes and its UDF module, all named for this
// process alone so that suites sharing the server do not collide.

/** Distinctive markers: none may appear in telemetry by default. */
export const KEY_MARKER = 'KEYMARKER7f3a';
export const BIN_MARKER = 'BINMARKER91c2';
export const ARG_MARKER = 'ARGMARKER55d8';

export const WORKLOAD_SET = uniqueName('reliability');
/** Keys with fault rules live apart: a delayed write lands late. */
const FAULT_SET = `${WORKLOAD_SET}_f`;
/** The indexes the workload creates, by role. */
const INDEXES = {
  i: uniqueName('rel_idx_i'),
  s: uniqueName('rel_idx_s'),
  l: uniqueName('rel_idx_l'),
  g: uniqueName('rel_idx_g'),
  b: uniqueName('rel_idx_b'),
  e: uniqueName('rel_idx_e'),
};
/**
 * Background job ids of this process: a node refuses a job whose id it
 * still remembers (its last 100 jobs), whoever ran it.
 */
let nextJobId =
  (process.pid % 100_000) * 1000 + Math.floor(Math.random() * 500);
/** The test UDF module, under a name of its own (test/helpers/udf.ts). */
const udfModule = testUdfModule('reliability_udf');
export const UDF_MODULE = udfModule.module;
/** Directory holding the UDF module (also the client's modlua.userPath). */
export const UDF_DIR = udfModule.dir;
const udfFile = udfModule.file;

export interface WorkloadEnv {
  Aerospike: any;
  client: any;
  /** The embedded server (reset and faults); absent on a real server. */
  server?: EmbeddedServer;
  /** Runs around every call (e.g. a check of the active context). */
  recorder?: Recorder;
}

/** Client config for the workload (short timeouts make delays fail). */
export function workloadClientConfig(hosts: string) {
  return {
    hosts,
    log: { level: -1 },
    maxConnsPerNode: 300,
    modlua: { userPath: UDF_DIR },
  };
}

type Cb = (...args: unknown[]) => void;

/** Runs the workload; returns the recorder with every observation. */
export async function runWorkload(env: WorkloadEnv): Promise<Recorder> {
  const { Aerospike, client, server } = env;
  const r = env.recorder ?? new Recorder();
  const set = WORKLOAD_SET;
  const key = (id: string | number) =>
    new Aerospike.Key(
      'test',
      set,
      typeof id === 'string' ? `${KEY_MARKER}-${id}` : id
    );
  const bins = (i: number) => ({
    i,
    s: `${BIN_MARKER}-${i}`,
    l: [i, `${BIN_MARKER}-l`],
    m: { k: `${BIN_MARKER}-m` },
  });
  const udf = (funcname: string, ...args: unknown[]) => ({
    module: UDF_MODULE,
    funcname,
    args,
  });
  const shortRead = { totalTimeout: 40, socketTimeout: 40, maxRetries: 0 };
  const shortWrite = { totalTimeout: 40, socketTimeout: 40, maxRetries: 0 };
  const noRetry = { maxRetries: 0 };
  const ops = Aerospike.operations;
  const lists = Aerospike.lists;

  /** Both forms of one call; `fn(...cb)` passes the callback last. */
  async function both(name: string, fn: (...cb: Cb[]) => unknown) {
    await r.promise(`${name} [promise]`, () => fn());
    await r.callback(`${name} [callback]`, cb => fn(cb));
  }

  /** A step that needs the embedded server's fault controls. */
  async function withFaults(
    step: (faults: EmbeddedServer['faults']) => Promise<void>
  ) {
    if (server !== undefined) await step(server.faults);
  }
  /** Lets background jobs finish (a real node runs them asynchronously). */
  const settle = () =>
    server === undefined ? jobsDone(client, set) : sleep(50);
  const jobId = () => nextJobId++;

  // --- Fixtures and fault rules (identical in both runs) ---------------
  if (server !== undefined) server.reset();
  else await removeLeftovers(client);
  for (let i = 0; i < 20; i++) {
    await client.put(key(`rec${i}`), bins(i));
  }
  const ruleKeys = {
    drop: `${KEY_MARKER}-fault-drop`,
    delay: `${KEY_MARKER}-fault-delay`,
    code: `${KEY_MARKER}-fault-code`,
    afterReply: `${KEY_MARKER}-fault-after`,
  };
  await withFaults(async faults => {
    faults.add({ key: ruleKeys.drop, action: { type: 'drop' } });
    faults.add({ key: ruleKeys.delay, action: { type: 'delay', ms: 300 } });
    faults.add({ key: ruleKeys.code, action: { type: 'error', code: 22 } });
    faults.add({
      key: ruleKeys.afterReply,
      action: { type: 'dropAfter', records: 0 },
    });
  });

  // --- Single-record commands -----------------------------------------
  let n = 100;
  await both('put', (...cb) => client.put(key(`p${n++}`), bins(n), ...cb));
  await both('put with meta and policy', (...cb) =>
    client.put(key(`p${n++}`), bins(n), { ttl: 1000 }, noRetry, ...cb)
  );
  await both('put create-only on existing (5)', (...cb) =>
    client.put(
      key('rec1'),
      { i: 1 },
      {},
      { exists: Aerospike.policy.exists.CREATE },
      ...cb
    )
  );
  await both('put generation mismatch (3)', (...cb) =>
    client.put(
      key('rec1'),
      { i: 1 },
      { gen: 99 },
      { gen: Aerospike.policy.gen.EQ },
      ...cb
    )
  );
  await both('put bad key (param)', (...cb) =>
    client.put({ ns: 'test' }, { i: 1 }, ...cb)
  );
  await both('put empty bins', (...cb) => client.put(key('x'), {}, ...cb));
  await both('put unknown namespace (20)', (...cb) =>
    client.put(new Aerospike.Key('nons', set, 'k'), { i: 1 }, ...cb)
  );
  await both('get', (...cb) => client.get(key('rec2'), ...cb));
  await both('get with policy', (...cb) =>
    client.get(key('rec2'), { totalTimeout: 2000 }, ...cb)
  );
  await both('get missing (2)', (...cb) => client.get(key('missing'), ...cb));
  await withFaults(async () => {
    await both('get forced code 22', (...cb) =>
      client.get(new Aerospike.Key('test', FAULT_SET, ruleKeys.code), ...cb)
    );
    await both('get dropped connection', (...cb) =>
      client.get(
        new Aerospike.Key('test', FAULT_SET, ruleKeys.drop),
        noRetry,
        ...cb
      )
    );
    await both('get delayed beyond timeout', (...cb) =>
      client.get(
        new Aerospike.Key('test', FAULT_SET, ruleKeys.delay),
        shortRead,
        ...cb
      )
    );
    await both('put delayed beyond timeout', (...cb) =>
      client.put(
        new Aerospike.Key('test', FAULT_SET, ruleKeys.delay),
        bins(1),
        {},
        shortWrite,
        ...cb
      )
    );
    // The delayed write lands once the delay is over: let it, before going
    // on.
    await sleep(350);
    await both('get dropped after reply', (...cb) =>
      client.get(
        new Aerospike.Key('test', FAULT_SET, ruleKeys.afterReply),
        noRetry,
        ...cb
      )
    );
  });
  await both('select', (...cb) =>
    client.select(key('rec3'), ['i', 's'], ...cb)
  );
  await both('select missing (2)', (...cb) =>
    client.select(key('missing'), ['i'], ...cb)
  );
  await both('exists', (...cb) => client.exists(key('rec3'), ...cb));
  await both('exists missing', (...cb) => client.exists(key('missing'), ...cb));
  await both('existsWithMetadata', (...cb) =>
    client.existsWithMetadata(key('rec3'), ...cb)
  );
  await both('existsWithMetadata missing', (...cb) =>
    client.existsWithMetadata(key('missing'), ...cb)
  );
  await both('operate', (...cb) =>
    client.operate(
      key('rec4'),
      [ops.incr('i', 1), ops.read('i'), lists.append('l', BIN_MARKER)],
      ...cb
    )
  );
  await both('operate bin type error (12)', (...cb) =>
    client.operate(key('rec4'), [ops.incr('s', 1)], ...cb)
  );
  await both('operate bad ops (param)', (...cb) =>
    client.operate(key('rec4'), 'not-ops', ...cb)
  );
  await both('append', (...cb) =>
    client.append(key('rec5'), { s: '-tail' }, ...cb)
  );
  await both('prepend', (...cb) =>
    client.prepend(key('rec5'), { s: 'head-' }, ...cb)
  );
  await both('add', (...cb) => client.add(key('rec5'), { i: 2 }, ...cb));
  await both('incr', (...cb) => client.incr(key('rec5'), { i: 3 }, ...cb));
  await both('add to string bin (12)', (...cb) =>
    client.add(key('rec5'), { s: 1 }, ...cb)
  );
  await both('remove', (...cb) => client.remove(key(`rec${n++ % 5}`), ...cb));
  await both('remove missing (2)', (...cb) =>
    client.remove(key('missing'), ...cb)
  );

  // --- UDFs -----------------------------------------------------------
  await both('udfRegister', (...cb) => client.udfRegister(udfFile, ...cb));
  await waitForUdf(client);
  await both('udfRegister missing file', (...cb) =>
    client.udfRegister(join(UDF_DIR, 'nope.lua'), ...cb)
  );
  await both('apply echo', (...cb) =>
    client.apply(key('rec6'), udf('echo', `${ARG_MARKER}-echo`), ...cb)
  );
  await both('apply add_bin', (...cb) =>
    client.apply(key('rec6'), udf('add_bin', 'u', `${ARG_MARKER}-set`), ...cb)
  );
  await both('apply fail (100)', (...cb) =>
    client.apply(key('rec6'), udf('fail', `${ARG_MARKER}-fail`), ...cb)
  );
  await both('apply unknown module', (...cb) =>
    client.apply(
      key('rec6'),
      { module: 'no_such', funcname: 'f', args: [ARG_MARKER] },
      ...cb
    )
  );

  // --- Batches ----------------------------------------------------------
  const batchKeys = [key('rec7'), key('rec8'), key('missing'), key('rec9')];
  await both('batchRead', (...cb) =>
    client.batchRead(
      batchKeys.map(k => ({ key: k, readAllBins: true })),
      ...cb
    )
  );
  await both('batchRead with ops', (...cb) =>
    client.batchRead(
      [
        { key: key('rec7'), ops: [ops.read('i')] },
        { key: key('rec8'), bins: ['s'] },
      ],
      ...cb
    )
  );
  await both('batchGet', (...cb) => client.batchGet(batchKeys, ...cb));
  await both('batchGet empty', (...cb) => client.batchGet([], ...cb));
  await both('batchExists', (...cb) => client.batchExists(batchKeys, ...cb));
  await both('batchSelect', (...cb) =>
    client.batchSelect(batchKeys, ['i'], ...cb)
  );
  await both('batchWrite', (...cb) =>
    client.batchWrite(
      [
        {
          type: Aerospike.batchType.BATCH_WRITE,
          key: key('bw1'),
          ops: [ops.write('s', BIN_MARKER)],
        },
        {
          type: Aerospike.batchType.BATCH_REMOVE,
          key: key('missing'),
        },
      ],
      ...cb
    )
  );
  await both('batchApply', (...cb) =>
    client.batchApply(
      [key('rec7'), key('rec8')],
      udf('echo', `${ARG_MARKER}-batch`),
      ...cb
    )
  );
  await both('batchRemove', (...cb) =>
    client.batchRemove([key('bw1'), key('missing')], ...cb)
  );
  await withFaults(async faults => {
    await both('batchGet forced code', (...cb) =>
      client.batchGet(
        [new Aerospike.Key('test', FAULT_SET, ruleKeys.code)],
        noRetry,
        ...cb
      )
    );
    let id = faults.add({
      kind: 'batch',
      action: { type: 'dropAfter', records: 2 },
    });
    await both('batchGet dropped mid-stream', (...cb) =>
      client.batchGet(batchKeys, noRetry, ...cb)
    );
    faults.remove(id);
    id = faults.add({ kind: 'batch', action: { type: 'error', code: 11 } });
    await both('batchRead forced code 11', (...cb) =>
      client.batchRead(
        batchKeys.map(k => ({ key: k, readAllBins: true })),
        noRetry,
        ...cb
      )
    );
    faults.remove(id);
  });

  // --- Scans and queries ------------------------------------------------
  const scan = () => client.scan('test', set);
  await r.stream('scan foreach', () => scan().foreach());
  await r.stream('scan foreach select', () => {
    const s = scan();
    s.select('i');
    return s.foreach();
  });
  await r.stream('scan foreach abort', () => scan().foreach(), 3);
  await r.stream('scan foreach unknown set', () =>
    client.scan('test', 'no_such_set').foreach()
  );
  await withFaults(async faults => {
    let id = faults.add({ kind: 'scan', action: { type: 'error', code: 11 } });
    await r.stream('scan forced code', () => scan().foreach({ maxRetries: 0 }));
    faults.remove(id);
    id = faults.add({
      kind: 'scan',
      action: { type: 'dropAfter', records: 4 },
    });
    await r.stream('scan dropped mid-stream', () =>
      scan().foreach({ maxRetries: 0 })
    );
    faults.remove(id);
  });
  await r.callback('scan foreach handlers', cb => {
    const records: unknown[] = [];
    return scan().foreach(
      undefined,
      (rec: unknown) => void records.push(rec),
      (err: unknown) => cb('error', err, records.length),
      (...end: unknown[]) => cb('end', records.length, ...end)
    );
  });
  await r.promise('scan results', () => scan().results());
  await both('scan background', (...cb) =>
    scan().background(
      UDF_MODULE,
      'add_bin',
      ['b', 1],
      undefined,
      jobId(),
      ...cb
    )
  );
  await settle();
  await both('scan operate', (...cb) =>
    scan().operate([ops.write('o', 1)], undefined, jobId(), ...cb)
  );
  await settle();

  await both('createIntegerIndex', (...cb) =>
    client.createIntegerIndex(
      { ns: 'test', set, bin: 'i', index: INDEXES.i },
      ...cb
    )
  );
  // The same index again: fine on 8.1 (base/thr_info.c cmd_sindex_create).
  await both('createIntegerIndex again', (...cb) =>
    client.createIntegerIndex(
      { ns: 'test', set, bin: 'i', index: INDEXES.i },
      ...cb
    )
  );
  await both('createStringIndex', (...cb) =>
    client.createStringIndex(
      { ns: 'test', set, bin: 's', index: INDEXES.s },
      ...cb
    )
  );
  await both('createIndex list', (...cb) =>
    client.createIndex(
      {
        ns: 'test',
        set,
        bin: 'l',
        index: INDEXES.l,
        type: Aerospike.indexType.LIST,
        datatype: Aerospike.indexDataType.NUMERIC,
      },
      ...cb
    )
  );
  await both('createGeo2DSphereIndex', (...cb) =>
    client.createGeo2DSphereIndex(
      { ns: 'test', set, bin: 'g', index: INDEXES.g },
      ...cb
    )
  );
  await both('createBlobIndex', (...cb) =>
    client.createBlobIndex(
      { ns: 'test', set, bin: 'b', index: INDEXES.b },
      ...cb
    )
  );
  await both('createExpIntegerIndex', (...cb) =>
    client.createExpIntegerIndex(
      {
        ns: 'test',
        set,
        exp: Aerospike.exp.binInt('i'),
        index: INDEXES.e,
      },
      ...cb
    )
  );
  if (server === undefined) await indexesReady(client);

  const query = () => {
    const q = client.query('test', set);
    q.where(Aerospike.filter.range('i', 0, 15));
    return q;
  };
  await r.stream('query foreach', () => query().foreach());
  await r.stream('query foreach abort', () => query().foreach(), 2);
  await r.stream('query on missing index', () => {
    const q = client.query('test', set);
    q.where(Aerospike.filter.equal('nobin', 1));
    return q.foreach();
  });
  await withFaults(async faults => {
    const id = faults.add({
      kind: 'query',
      action: { type: 'dropAfter', records: 3 },
    });
    await r.stream('query dropped mid-stream', () =>
      query().foreach({ maxRetries: 0 })
    );
    faults.remove(id);
  });
  await r.promise('query results', () => query().results());
  {
    // Pagination: pages of 6 until done, results() and foreach().
    const q = client.query('test', set, { paginate: true, maxRecords: 6 });
    for (let page = 0; page < 6; page++) {
      await r.promise(`query page ${page} results`, () => q.results());
      r.sync(`query page ${page} hasNextPage`, () => q.hasNextPage());
      if (!q.hasNextPage()) break;
      q.nextPage(q.queryState);
    }
    const q2 = client.query('test', set, { paginate: true, maxRecords: 7 });
    for (let page = 0; page < 6; page++) {
      await r.stream(`query page ${page} foreach`, () => q2.foreach());
      if (!q2.hasNextPage()) break;
      q2.nextPage(q2.queryState);
    }
  }
  await both('query apply (aggregate)', (...cb) =>
    query().apply(UDF_MODULE, 'count', [], undefined, ...cb)
  );
  await both('query background', (...cb) =>
    query().background(
      UDF_MODULE,
      'add_bin',
      ['q', 2],
      undefined,
      jobId(),
      ...cb
    )
  );
  await settle();
  await both('query operate', (...cb) =>
    query().operate([ops.write('qo', 1)], undefined, jobId(), ...cb)
  );
  await settle();
  await both('indexRemove', (...cb) =>
    client.indexRemove('test', INDEXES.s, ...cb)
  );
  // Not an error on 8.1 (base/thr_info.c cmd_sindex_delete).
  await both('indexRemove missing', (...cb) =>
    client.indexRemove('test', 'no_such_index', ...cb)
  );

  // --- Info, truncate, UDF remove, transactions -------------------------
  {
    const [addr, port] = client.config.hosts.split(':');
    const host = { addr, port: Number(port) };
    await both('info', (...cb) => client.info('build', host, ...cb));
    await both('info bad host', (...cb) =>
      client.info('build', undefined, ...cb)
    );
  }
  await both('infoAny', (...cb) => client.infoAny('namespaces', ...cb));
  await both('infoAll', (...cb) => client.infoAll('build', ...cb));
  {
    const nodes = client.getNodes?.() ?? [];
    await both('infoNode', (...cb) =>
      client.infoNode('build', nodes[0], undefined, ...cb)
    );
  }
  await both('truncate set', (...cb) =>
    client.truncate('test', 'other_set', 0, ...cb)
  );
  // (Not truncate('nons', null): the 6.7.1 native code then sends
  // uninitialised bytes as the set name, a different command every time.)
  await both('truncate unknown namespace', (...cb) =>
    client.truncate('nons', 'other_set', 0, ...cb)
  );
  if (Aerospike.Transaction) {
    await both('commit fresh transaction', (...cb) =>
      client.commit(new Aerospike.Transaction(), ...cb)
    );
    await both('abort fresh transaction', (...cb) =>
      client.abort(new Aerospike.Transaction(), ...cb)
    );
    await both('commit not a transaction', (...cb) => client.commit({}, ...cb));
  }
  await both('udfRemove', (...cb) =>
    client.udfRemove(`${UDF_MODULE}.lua`, ...cb)
  );
  await both('udfRemove missing', (...cb) =>
    client.udfRemove('no_such.lua', ...cb)
  );
  await withFaults(async faults => faults.clear());
  return r;
}

/** What a previous run on a real server left: records, indexes, module. */
async function removeLeftovers(client: any): Promise<void> {
  for (const index of Object.values(INDEXES)) {
    await client.indexRemove('test', index);
  }
  await client.udfRemove(`${UDF_MODULE}.lua`);
  // A node truncates what was written before the current millisecond.
  await sleep(5);
  await client.truncate('test', WORKLOAD_SET, 0);
  for (let i = 0; i < 250; i++) {
    const left = await client.scan('test', WORKLOAD_SET).results();
    const list = String(await client.infoAny('sindex-list:ns=test'));
    const indexes = Object.values(INDEXES).filter(x => list.includes(x));
    if (left.length === 0 && indexes.length === 0) return;
    await sleep(20);
  }
  throw new Error('leftovers of the last workload run did not go away');
}

/**
 * Waits until every index of the workload is built (load_pct=100): a real
 * node builds them in the background. (The embedded server builds them at
 * once, and refuses the expression index.)
 */
async function indexesReady(client: any): Promise<void> {
  for (const index of Object.values(INDEXES)) {
    for (let i = 0; i < 250; i++) {
      const stat = await client
        .infoAny(`sindex-stat:namespace=test;indexname=${index}`)
        .catch(() => '');
      if (/load_pct=100\b/.test(String(stat))) break;
      await sleep(20);
    }
  }
}

/** Waits until no background job on `set` is running. */
async function jobsDone(client: any, set: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const jobs = String(await client.infoAny('query-show').catch(() => ''));
    const running = jobs
      .split(';')
      .some(j => j.includes(`:set=${set}:`) && /status=active/.test(j));
    if (!running) return;
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Waits until the UDF module is listed (without timing out the run). */
async function waitForUdf(client: any): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const list = await client.infoAny('udf-list').catch(() => '');
    if (String(list).includes(UDF_MODULE)) return;
    await sleep(20);
  }
}
