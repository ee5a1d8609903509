/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// app.mjs as CommonJS (copied as app.js or app.cjs): a put, a get and a get
// of a missing record in APP_SET; APP_MODE=serve keeps running until a
// signal, otherwise it exits naturally.
'use strict';
const Aerospike = require('aerospike');

async function main() {
  const client = await Aerospike.connect({
    hosts: process.env.AEROSPIKE_HOSTS,
    log: { level: -1 },
  });
  const key = id => new Aerospike.Key('test', process.env.APP_SET, id);
  await client.put(key('readme'), { n: 1, s: 'one' });
  const record = await client.get(key('readme'));
  const missing = await client.get(key('missing')).then(
    () => 'found',
    err => err.code
  );
  if (process.env.APP_MODE === 'serve') {
    setInterval(() => {}, 60_000);
    console.log(`ready n=${record.bins.n} missing=${missing}`);
  } else {
    await client.close();
    console.log(`app done n=${record.bins.n} missing=${missing}`);
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
