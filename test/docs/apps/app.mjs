/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
// The application the README's bootstraps and zero-code commands are run
// with (as app.mjs): a put, a get and a get of a missing record in the set
// APP_SET. APP_MODE=serve then prints "ready" and runs until a signal (the
// bootstrap's handler decides how it ends); otherwise it closes the client
// and exits naturally.
import Aerospike from 'aerospike';

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
