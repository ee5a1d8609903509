/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Aerospike from 'aerospike';
import { startBackend, uniqueName, type Backend } from '../helpers/backend.ts';
import { connectClient } from './client.ts';

// Info replies as a real 8.1 Community Edition node gives them: this suite
// runs against the embedded server and, unchanged, against AEROSPIKE_HOSTS.
// Each test names the function of aerospike-server 8.1.0.3
// (as/src/base/thr_info.c unless said otherwise) that writes the reply.

const { Key, status } = Aerospike;

let backend: Backend;
let client: any;

beforeAll(async () => {
  backend = await startBackend();
  client = await connectClient(backend.hosts);
});

afterAll(async () => {
  await client?.close();
  await backend?.close();
});

/** The value of a one-command info reply. */
async function info(command: string): Promise<string> {
  const reply: string = await client.infoAny(command);
  const tab = reply.indexOf('\t');
  return reply.slice(tab + 1).replace(/\n$/, '');
}

describe('unknown names are answered, not failed', () => {
  // cmd_namespace(): "clients won't handle error".
  it('namespace/<unknown> answers type=unknown', async () => {
    expect(await info('namespace/no_such_ns')).toBe('type=unknown');
  });

  // cmd_sets()
  it('sets/<unknown namespace> answers ns_type=unknown', async () => {
    expect(await info('sets/no_such_ns')).toBe('ns_type=unknown');
  });

  it('sets/<ns>/<unknown set> answers nothing', async () => {
    expect(await info(`sets/test/${uniqueName('noset')}`)).toBe('');
  });
});

describe('errors', () => {
  // as_info_process(): "unrecognized command" with code 4.
  it('an unknown command fails with 4', async () => {
    await expect(client.infoAny('no-such-command')).rejects.toMatchObject({
      code: status.ERR_REQUEST_INVALID,
    });
  });

  // handle_cmd(): enterprise-only commands on a Community Edition node.
  it('an enterprise-only command fails with 25', async () => {
    await expect(client.infoAny('racks')).rejects.toMatchObject({ code: 25 });
  });

  // cmd_query_show() / as_query_manager_get_job_info()
  // (query/query_manager.c).
  it('query-show of an unknown job fails with 2, of a bad id with 4', async () => {
    await expect(
      client.infoAny('query-show:id=123456789')
    ).rejects.toMatchObject({ code: status.ERR_RECORD_NOT_FOUND });
    await expect(client.infoAny('query-show:id=abc')).rejects.toMatchObject({
      code: status.ERR_REQUEST_INVALID,
    });
  });

  // cmd_sindex_list(): an explicit namespace must be served here.
  it('sindex-list of an unknown namespace fails with 20', async () => {
    await expect(
      client.infoAny('sindex-list:ns=no_such_ns')
    ).rejects.toMatchObject({ code: status.ERR_NAMESPACE_NOT_FOUND });
  });

  // cmd_truncate(): the set is required.
  it('truncate without a set fails with 4', async () => {
    await expect(
      client.infoAny('truncate:namespace=test')
    ).rejects.toMatchObject({ code: status.ERR_REQUEST_INVALID });
  });
});

describe('node identity', () => {
  // cmd_edition() and cmd_version(): "<edition> build <version>".
  it('edition and version name the Community Edition', async () => {
    expect(await info('edition')).toBe('Aerospike Community Edition');
    expect(await info('version')).toMatch(
      /^Aerospike Community Edition build \d+\.\d+\.\d+/
    );
    expect(await info('build')).toMatch(/^8\.1\./);
  });
});

describe('security', () => {
  // as_security_transact() (base/security_ce.c): a Community Edition node
  // answers every security message with 51, so a client configured with a
  // user cannot log in.
  it('a client with a user and password fails to connect with 51', async () => {
    await expect(
      connectClient(backend.hosts, { user: 'someone', password: 'secret' })
    ).rejects.toMatchObject({ code: 51 });
  });
});

describe('sets', () => {
  // as_namespace_get_set_info() and append_set_props() (base/namespace.c).
  it('sets/<ns>/<set> reports the set objects', async () => {
    const set = uniqueName('iset');
    for (let i = 0; i < 3; i++) {
      await client.put(new Key('test', set, i), { i });
    }
    const props = await info(`sets/test/${set}`);
    expect(props).toMatch(/^objects=3:tombstones=0:/);
    const all = await info('sets/test');
    expect(all).toContain(`ns=test:set=${set}:objects=3:`);
  });
});
