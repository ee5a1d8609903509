/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Recorder } from './observe.ts';

// Bad arguments, one kind per entry. Every entry runs its call(s) through a
// Recorder so a bare and an instrumented run can be compared. Several of
// them kill the bare client itself (circular or very deep bins, junk inside
// batch arrays, key getters that throw, callbacks and stream handlers that
// throw): the test runs them all in child processes and compares how each
// child dies too.

/**
 * The set the cases write to: one per test process (bad-input.test.ts
 * passes it to its child processes), so that suites sharing a real server
 * never see each other's records.
 */
export const BAD_SET = process.env.BAD_INPUT_SET ?? 'bad_input';

type Cb = (...args: unknown[]) => void;

export interface BadInputEnv {
  Aerospike: any;
  client: any;
  r: Recorder;
}

export interface BadInputCase {
  name: string;
  run(env: BadInputEnv): Promise<void>;
}

/** Both forms of a call; `fn(...cb)` passes the callback last. */
async function both(
  r: Recorder,
  name: string,
  fn: (...cb: Cb[]) => unknown
): Promise<void> {
  await r.promise(`${name} [promise]`, () => fn());
  await r.callback(`${name} [callback]`, cb => fn(cb));
}

/** A key-taking call with a bad key, in get/put/operate forms. */
function badKey(name: string, key: (A: any) => unknown): BadInputCase {
  return {
    name: `key: ${name}`,
    async run({ Aerospike, client, r }) {
      await both(r, `get key ${name}`, (...cb) =>
        client.get(key(Aerospike), ...cb)
      );
      await both(r, `put key ${name}`, (...cb) =>
        client.put(key(Aerospike), { v: 1 }, ...cb)
      );
      await r.promise(`exists key ${name}`, () =>
        client.exists(key(Aerospike))
      );
      await r.promise(`remove key ${name}`, () =>
        client.remove(key(Aerospike))
      );
    },
  };
}

const userKey = (k: unknown) => (A: any) => new A.Key('test', BAD_SET, k);
const rawKey = (k: unknown) => () => k;

function badBins(name: string, bins: () => unknown): BadInputCase {
  return {
    name: `bins: ${name}`,
    async run({ Aerospike, client, r }) {
      await both(r, `put bins ${name}`, (...cb) =>
        client.put(new Aerospike.Key('test', BAD_SET, 'bins'), bins(), ...cb)
      );
    },
  };
}

function badBatch(
  name: string,
  entries: (A: any) => unknown,
  methods = ['batchGet', 'batchExists', 'batchRead', 'batchRemove']
): BadInputCase {
  return {
    name: `batch: ${name}`,
    async run({ Aerospike, client, r }) {
      for (const m of methods) {
        await both(r, `${m} ${name}`, (...cb) =>
          client[m](entries(Aerospike), ...cb)
        );
      }
    },
  };
}

function badCall(name: string, call: (A: any, c: any) => unknown) {
  return {
    name,
    async run({ Aerospike, client, r }: BadInputEnv) {
      await r.promise(name, () => call(Aerospike, client));
    },
  };
}

/** The command names of an info reply. */
const infoNames = (reply: unknown): unknown =>
  typeof reply === 'string'
    ? reply
        .split('\n')
        .map(line => line.split('\t')[0])
        .join('\n')
    : reply;

const circularList = () => {
  const l: unknown[] = [1];
  l.push(l);
  return l;
};

export const BAD_INPUT_CASES: BadInputCase[] = [
  // --- Keys ------------------------------------------------------------
  badKey('null', rawKey(null)),
  badKey('undefined', rawKey(undefined)),
  badKey('number', rawKey(42)),
  badKey('string', rawKey('test:set:key')),
  badKey('array', rawKey(['test', BAD_SET, 'k'])),
  badKey('empty object', rawKey({})),
  badKey('boolean', rawKey(true)),
  badKey(
    'function',
    rawKey(() => 1)
  ),
  badKey('missing namespace', rawKey({ set: BAD_SET, key: 'k' })),
  badKey('empty namespace', rawKey({ ns: '', set: BAD_SET, key: 'k' })),
  badKey('numeric namespace', rawKey({ ns: 7, set: BAD_SET, key: 'k' })),
  badKey('namespace too long', rawKey({ ns: 'n'.repeat(40), key: 'k' })),
  badKey('set too long', rawKey({ ns: 'test', set: 's'.repeat(80), key: 1 })),
  badKey('plain object', rawKey({ ns: 'test', set: BAD_SET, key: 'plain' })),
  badKey('plain object without set', rawKey({ ns: 'test', key: 'noset' })),
  badKey('null user key', rawKey({ ns: 'test', set: BAD_SET, key: null })),
  badKey('object user key', rawKey({ ns: 'test', set: BAD_SET, key: {} })),
  badKey('array user key', rawKey({ ns: 'test', set: BAD_SET, key: [1] })),
  badKey('NaN user key', rawKey({ ns: 'test', set: BAD_SET, key: NaN })),
  badKey('Infinity user key', rawKey({ ns: 'test', set: BAD_SET, key: 1 / 0 })),
  badKey('float user key', rawKey({ ns: 'test', set: BAD_SET, key: 1.5 })),
  badKey('unsafe integer user key', userKey(2 ** 60)),
  badKey('bigint user key', userKey(12345678901234567890n)),
  badKey('huge bigint user key', userKey(2n ** 70n)),
  badKey('negative bigint user key', userKey(-(2n ** 63n))),
  badKey('Buffer user key', userKey(Buffer.from([0, 1, 2, 255]))),
  badKey('empty Buffer user key', userKey(Buffer.alloc(0))),
  badKey('large Buffer user key', userKey(Buffer.alloc(9000, 7))),
  badKey('empty string user key', userKey('')),
  badKey('unicode user key', userKey('ключ-🔑-鍵-\u0000-\uFFFD')),
  badKey('lone surrogate user key', userKey('\uD800x')),
  badKey('long string user key', userKey('k'.repeat(100_000))),
  badKey(
    'digest only',
    rawKey({ ns: 'test', set: BAD_SET, digest: Buffer.alloc(20, 1) })
  ),
  // (A digest shorter than 20 bytes is left out: the bare client then
  // addresses a record by uninitialised memory, differently every run.)
  badKey(
    'digest too long',
    rawKey({ ns: 'test', set: BAD_SET, digest: Buffer.alloc(25, 3) })
  ),
  badKey('string digest', rawKey({ ns: 'test', set: BAD_SET, digest: 'x' })),
  badKey(
    'getter that throws',
    rawKey(
      Object.defineProperty({ set: BAD_SET, key: 'k' }, 'ns', {
        enumerable: true,
        get() {
          throw new Error('ns getter throws');
        },
      })
    )
  ),
  badKey(
    'proxy',
    rawKey(
      new Proxy(
        { ns: 'test', set: BAD_SET, key: 'proxied' },
        {
          get(target, p) {
            return Reflect.get(target, p);
          },
        }
      )
    )
  ),

  // --- Bins ------------------------------------------------------------
  badBins('null', () => null),
  badBins('undefined', () => undefined),
  badBins('number', () => 42),
  badBins('string', () => 'bins'),
  badBins('array', () => [1, 2]),
  badBins('function value', () => ({ f: () => 1 })),
  badBins('symbol value', () => ({ s: Symbol('x') })),
  badBins('undefined value', () => ({ u: undefined, v: 1 })),
  badBins('bigint value', () => ({ b: 2n ** 63n - 1n })),
  badBins('NaN value', () => ({ n: NaN })),
  badBins('Date value', () => ({ d: new Date(0) })),
  badBins('Map value', () => ({ m: new Map([[1, 2]]) })),
  badBins('bin name too long', () => ({ ['b'.repeat(20)]: 1 })),
  badBins('empty bin name', () => ({ '': 1 })),
  badBins('unicode bin name', () => ({ бин: 'значение-🔑' })),
  badBins('1 MiB string value', () => ({ big: 'x'.repeat(1 << 20) })),
  badBins('circular object', () => {
    const c: Record<string, unknown> = { a: 1 };
    c.self = c;
    return { c };
  }),
  badBins('circular list', () => ({ l: circularList() })),
  badBins('deeply nested', () => {
    const deep: Record<string, unknown> = {};
    let d = deep;
    for (let i = 0; i < 100_000; i++) {
      d.x = {};
      d = d.x as Record<string, unknown>;
    }
    return { deep };
  }),
  badBins('shared (non-circular) references', () => {
    const shared = { a: 1 };
    return { x: shared, y: shared, l: [shared, shared] };
  }),

  // --- Batches ---------------------------------------------------------
  badBatch('null', () => null),
  badBatch('undefined', () => undefined),
  badBatch('string', () => 'keys'),
  badBatch('object', () => ({ length: 2 })),
  badBatch('null entries', () => [null, null]),
  badBatch('number entries', () => [1, 2, 3]),
  badBatch('junk among keys', A => [
    new A.Key('test', BAD_SET, 'a'),
    null,
    'junk',
    {},
    new A.Key('test', BAD_SET, 'b'),
  ]),
  badBatch('mixed namespaces', A => [
    new A.Key('test', BAD_SET, 'a'),
    new A.Key('bar', 'other', 'b'),
  ]),
  badBatch(
    'records without key',
    () => [{ bins: ['a'] }, { readAllBins: true }],
    ['batchRead']
  ),
  badBatch(
    'batch write of unknown type',
    A => [{ type: 999, key: new A.Key('test', BAD_SET, 'a') }],
    ['batchWrite']
  ),
  badBatch(
    'batch write without ops',
    A => [
      { type: A.batchType.BATCH_WRITE, key: new A.Key('test', BAD_SET, 'a') },
    ],
    ['batchWrite']
  ),
  {
    name: 'batch: 100,000 keys',
    async run({ Aerospike, client, r }) {
      const keys = Array.from(
        { length: 100_000 },
        (_, i) => new Aerospike.Key('test', BAD_SET, i)
      );
      // Time enough for a loaded machine beyond the client's patient
      // defaults: the point is the size, and a timeout in one run but not
      // the other would not be.
      const policy = { totalTimeout: 60_000, socketTimeout: 60_000 };
      await r.promise('batchGet 100,000 keys', async () => {
        const result = await client.batchGet(keys, policy);
        // The shape, not 100,000 normalised records.
        return {
          length: result.length,
          statuses: [...new Set(result.map((e: any) => e.status))],
        };
      });
      await r.callback('batchExists 100,000 keys', cb =>
        client.batchExists(keys, policy, (err: unknown, res: unknown[]) =>
          cb(err, Array.isArray(res) ? res.length : res)
        )
      );
    },
  },

  // --- Callbacks, policies, other arguments ------------------------------
  {
    name: 'non-function callbacks',
    async run({ Aerospike, client, r }) {
      const k = new Aerospike.Key('test', BAD_SET, 'cb');
      for (const [label, cb] of [
        ['string', 'callback'],
        ['number', 42],
        ['object', {}],
        ['null', null],
        ['true', true],
      ] as const) {
        await r.promise(`get with ${label} as callback`, () =>
          client.get(k, undefined, cb)
        );
        await r.promise(`put with ${label} as callback`, () =>
          client.put(k, { v: 1 }, {}, undefined, cb)
        );
      }
    },
  },
  {
    name: 'callback in an unexpected position',
    async run({ Aerospike, client, r }) {
      const k = new Aerospike.Key('test', BAD_SET, 'cb');
      await r.callback('get with callback as policy', cb => client.get(k, cb));
      await r.callback('put with callback as meta', cb =>
        client.put(k, { v: 1 }, cb)
      );
      await r.callback('put with two callbacks', cb =>
        client.put(k, { v: 1 }, {}, () => {}, cb)
      );
      await r.callback('get with extra arguments', cb =>
        client.get(k, undefined, cb, 'extra', 1)
      );
    },
  },
  {
    name: 'bad policies and meta',
    async run({ Aerospike, client, r }) {
      const k = new Aerospike.Key('test', BAD_SET, 'policy');
      await both(r, 'get with string policy', (...cb) =>
        client.get(k, 'policy', ...cb)
      );
      await both(r, 'get with negative timeout', (...cb) =>
        client.get(k, { totalTimeout: -1 }, ...cb)
      );
      await both(r, 'put with string ttl', (...cb) =>
        client.put(k, { v: 1 }, { ttl: 'soon' }, ...cb)
      );
      await both(r, 'put with array meta', (...cb) =>
        client.put(k, { v: 1 }, [1], ...cb)
      );
    },
  },
  {
    name: 'bad operations',
    async run({ Aerospike, client, r }) {
      const k = new Aerospike.Key('test', BAD_SET, 'ops');
      await both(r, 'operate with null ops', (...cb) =>
        client.operate(k, null, ...cb)
      );
      await both(r, 'operate with junk ops', (...cb) =>
        client.operate(k, [null, 1, {}], ...cb)
      );
      await both(r, 'operate with no ops', (...cb) =>
        client.operate(k, [], ...cb)
      );
      await both(r, 'append number', (...cb) =>
        client.append(k, { s: 1 }, ...cb)
      );
      await both(r, 'add string', (...cb) => client.add(k, { n: 'x' }, ...cb));
      await both(r, 'select with non-array bins', (...cb) =>
        client.select(k, 'bins', ...cb)
      );
    },
  },
  {
    name: 'bad UDF calls',
    async run({ Aerospike, client, r }) {
      const k = new Aerospike.Key('test', BAD_SET, 'udf');
      await both(r, 'apply with null udf', (...cb) =>
        client.apply(k, null, ...cb)
      );
      await both(r, 'apply with string udf', (...cb) =>
        client.apply(k, 'mod.fn', ...cb)
      );
      await both(r, 'apply with non-array args', (...cb) =>
        client.apply(k, { module: 'm', funcname: 'f', args: 'x' }, ...cb)
      );
      await both(r, 'batchApply with null udf', (...cb) =>
        client.batchApply([k], null, ...cb)
      );
      await both(r, 'udfRegister null', (...cb) =>
        client.udfRegister(null, ...cb)
      );
      await both(r, 'udfRemove number', (...cb) => client.udfRemove(5, ...cb));
    },
  },
  {
    name: 'bad scans and queries',
    async run({ client, r }) {
      r.sync('query(null)', () => client.query(null));
      r.sync('scan(123)', () => client.scan(123));
      r.sync('query with object as set', () => client.query('test', {}));
      r.sync('where with a string', () =>
        client.query('test', BAD_SET).where('age = 1')
      );
      await r.stream('scan of an unknown namespace', () =>
        client.scan('nons', BAD_SET).foreach()
      );
      await r.stream('foreach with a number policy', () =>
        client.scan('test', BAD_SET).foreach(42)
      );
      await r.stream('foreach with non-function handlers', () =>
        client.scan('test', BAD_SET).foreach(undefined, 'a', 'b', 'c')
      );
      await r.promise('results with a string policy', () =>
        client.query('test', BAD_SET).results('policy')
      );
      // (query.apply with a null module is left out: against the embedded
      // server it fails with code 16 or 100 from one run to the next, bare.)
      await both(r, 'scan background with number module', (...cb) =>
        client
          .scan('test', BAD_SET)
          .background(1, 2, undefined, undefined, undefined, ...cb)
      );
      await both(r, 'query operate with junk ops', (...cb) =>
        client
          .query('test', BAD_SET)
          .operate('ops', undefined, undefined, ...cb)
      );
    },
  },
  {
    name: 'bad admin and info calls',
    async run({ client, r }) {
      await both(r, 'truncate(null)', (...cb) => client.truncate(null, ...cb));
      await both(r, 'truncate number set', (...cb) =>
        client.truncate('test', 5, 0, ...cb)
      );
      await both(r, 'createIndex(null)', (...cb) =>
        client.createIndex(null, ...cb)
      );
      await both(r, 'createIndex({})', (...cb) =>
        client.createIndex({}, ...cb)
      );
      await both(r, 'createIntegerIndex without bin', (...cb) =>
        client.createIntegerIndex({ ns: 'test', index: 'x' }, ...cb)
      );
      await both(r, 'indexRemove(undefined)', (...cb) =>
        client.indexRemove(undefined, undefined, ...cb)
      );
      // No command is a summary of the node, live statistics included:
      // what is compared is the names it answers.
      await both(r, 'infoAny(null)', (...cb) =>
        cb.length === 0
          ? client.infoAny(null).then(infoNames)
          : client.infoAny(null, function (this: unknown, ...args: unknown[]) {
              if (args.length > 1) args[1] = infoNames(args[1]);
              cb[0].apply(this, args);
            })
      );
      await both(r, 'infoAll(42)', (...cb) => client.infoAll(42, ...cb));
      await both(r, 'infoNode with a junk node', (...cb) =>
        client.infoNode('build', { name: 'nope' }, undefined, ...cb)
      );
      await both(r, 'commit(null)', (...cb) => client.commit(null, ...cb));
      await both(r, 'abort(undefined)', (...cb) =>
        client.abort(undefined, ...cb)
      );
    },
  },
  {
    name: 'callback that throws',
    async run({ Aerospike, client, r }) {
      const k = new Aerospike.Key('test', BAD_SET, 'cb');
      await r.callback('get with a callback that throws', cb =>
        client.get(k, (...args: unknown[]) => {
          cb(...args);
          throw new Error('thrown by the callback');
        })
      );
    },
  },
  {
    name: 'stream data handler that throws',
    async run({ Aerospike, client, r }) {
      await client.put(new Aerospike.Key('test', BAD_SET, 'row'), { a: 1 });
      await r.callback('scan with a data handler that throws', cb => {
        const stream = client.scan('test', BAD_SET).foreach();
        stream.on('data', () => {
          cb('data');
          throw new Error('thrown by the data handler');
        });
        stream.on('end', () => cb('end'));
        return stream;
      });
    },
  },
  {
    name: 'stream error without an error listener',
    async run({ Aerospike, client, r }) {
      await r.callback('query failing with no error listener', cb => {
        // No index on the bin: the stream fails (code 201).
        const query = client.query('test', BAD_SET);
        query.where(Aerospike.filter.equal('no_index_bin', 1));
        const stream = query.foreach();
        stream.on('data', () => cb('data'));
        stream.on('end', () => cb('end'));
        return stream;
      });
    },
  },
  {
    name: 'rejected promise nobody handles',
    async run({ Aerospike, client, r }) {
      await r.callback('get of a missing key, never awaited', cb => {
        // No handler: the rejection must stay unhandled and kill the child
        // with the client's own error, as it does the bare one.
        void client.get(new Aerospike.Key('test', BAD_SET, 'never-written'));
        setTimeout(() => cb('still alive'), 500);
      });
    },
  },
  badCall('method called on a plain object', A =>
    A.Client.prototype.get.call({}, new A.Key('test', BAD_SET, 'x'))
  ),
  badCall('method called on undefined', A =>
    A.Client.prototype.get.call(undefined, new A.Key('test', BAD_SET, 'x'))
  ),
  badCall('foreach called on a plain object', A =>
    A.Scan.prototype.foreach.call({ ns: 'test' })
  ),
];
