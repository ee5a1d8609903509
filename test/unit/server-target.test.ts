/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  parseEndpoint,
  peerFromErrorMessage,
  peerFromInfoHost,
  serverTarget,
} from '../../src/server-target';

describe('serverTarget: one seed', () => {
  it.each([
    ['10.0.0.1:3100', '10.0.0.1', 3100],
    ['db.example', 'db.example', 3000],
    ['db.example:3000', 'db.example', 3000],
    ['  db.example:4000 ', 'db.example', 4000],
    ['db.example:tls-name', 'db.example', 3000],
    ['db.example:tls-name:4333', 'db.example', 4333],
    ['[::1]:3001', '::1', 3001],
    ['[::1]', '::1', 3000],
    ['[2001:db8::1]:tls:4333', '2001:db8::1', 4333],
    ['2001:db8::1', '2001:db8::1', 3000],
    ['db.example:3000,', 'db.example', 3000],
  ])('reads %j as address %j, port %j', (hosts, address, port) => {
    expect(serverTarget({ hosts })).toEqual({
      serverAddress: address,
      serverPort: port,
    });
  });

  it('uses config.port for a seed without a port, in strings and arrays', () => {
    expect(serverTarget({ hosts: 'db', port: 3500 })).toEqual({
      serverAddress: 'db',
      serverPort: 3500,
    });
    expect(serverTarget({ hosts: 'db:tls', port: 3500 })).toEqual({
      serverAddress: 'db',
      serverPort: 3500,
    });
    expect(serverTarget({ hosts: [{ addr: 'db' }], port: 3500 })).toEqual({
      serverAddress: 'db',
      serverPort: 3500,
    });
    // A port of the wrong type is the client's default, 3000.
    expect(serverTarget({ hosts: 'db', port: 'x' })).toEqual({
      serverAddress: 'db',
      serverPort: 3000,
    });
  });

  it('reads a host array: brackets and TLS names are not part of the address', () => {
    expect(serverTarget({ hosts: [{ addr: '[::1]', port: 3100 }] })).toEqual({
      serverAddress: '::1',
      serverPort: 3100,
    });
    expect(
      serverTarget({ hosts: [{ addr: '192.168.1.1', tlsname: 'x' }] })
    ).toEqual({ serverAddress: '192.168.1.1', serverPort: 3000 });
    expect(serverTarget({ hosts: [{ addr: '::1', port: 4333 }] })).toEqual({
      serverAddress: '::1',
      serverPort: 4333,
    });
  });
});

describe('serverTarget: several seeds (semantic-conventions #4058)', () => {
  const address = (hosts: unknown, port?: number) => {
    const target = serverTarget({ hosts, port });
    expect(target.serverPort).toBeUndefined();
    return target.serverAddress;
  };

  it('lists every seed, comma-separated, without ports when all use 3000', () => {
    expect(address('b.example:3000,a.example:3000')).toBe(
      'a.example,b.example'
    );
    expect(address('b.example,a.example')).toBe('a.example,b.example');
    expect(
      address([{ addr: 'b.example' }, { addr: 'a.example', port: 3000 }])
    ).toBe('a.example,b.example');
  });

  it('keeps every port inline when any seed uses another port', () => {
    expect(address('a.example:3000,b.example:3100')).toBe(
      'a.example:3000,b.example:3100'
    );
    expect(address('a.example,b.example', 4000)).toBe(
      'a.example:4000,b.example:4000'
    );
    expect(
      address([
        { addr: 'a.example', port: 3000 },
        { addr: 'b.example', port: 4333, tlsname: 'tls' },
      ])
    ).toBe('a.example:3000,b.example:4333');
  });

  it('brackets IPv6 hosts only when their port is inline', () => {
    expect(address('[::2]:3000,[::1]:3000')).toBe('::1,::2');
    expect(address('[::1]:3000,10.0.0.1:3100')).toBe(
      '10.0.0.1:3100,[::1]:3000'
    );
    expect(
      address([
        { addr: '2001:db8::1', port: 3100 },
        { addr: '[2001:db8::2]', port: 3100 },
      ])
    ).toBe('[2001:db8::1]:3100,[2001:db8::2]:3100');
  });

  it('drops TLS names', () => {
    expect(address('a.example:tls:4333,b.example:tls:4333')).toBe(
      'a.example:4333,b.example:4333'
    );
    expect(address('a.example:tls,b.example:tls')).toBe('a.example,b.example');
  });

  it('keeps duplicates', () => {
    expect(address('a.example:3000,a.example:3000')).toBe(
      'a.example,a.example'
    );
  });

  it('lists the first five seeds in sorted order, ports decided by them all', () => {
    const seeds = ['f', 'e', 'd', 'c', 'b', 'a'].map(h => `${h}.example:3000`);
    expect(address(seeds.join(','))).toBe(
      'a.example,b.example,c.example,d.example,e.example'
    );
    // The sixth seed, left out, still puts every port inline.
    expect(address([...seeds, 'z.example:3100'].join(','))).toBe(
      'a.example:3000,b.example:3000,c.example:3000,d.example:3000,e.example:3000'
    );
  });
});

describe('serverTarget: configs the client cannot use', () => {
  it.each([
    undefined,
    null,
    42,
    {},
    { hosts: 42 },
    { hosts: '' },
    { hosts: [] },
    { hosts: [null] },
    { hosts: [{}] },
    { hosts: [{ addr: '' }] },
    { hosts: [{ addr: 'a', port: '3000' }] },
    { hosts: [{ addr: 'a', port: 0 }] },
    { hosts: '[::1' },
    { hosts: '[::1]x' },
    { hosts: 'db:notaport:' },
    { hosts: 'db:tls:port' },
    { hosts: 'db:70000' },
    { hosts: 'db:0' },
    { hosts: 'a:3000,,b:3000' },
    { hosts: 'a:3000,[::1' },
    { hosts: 'a:b:c:d' },
  ])('gives no server attributes for %j', config => {
    expect(serverTarget(config)).toEqual({});
  });
});

describe('parseEndpoint', () => {
  it('reads host, TLS name and port as the C client does', () => {
    expect(parseEndpoint('h:1')).toEqual({ host: 'h', port: 1 });
    expect(parseEndpoint('h:tls')).toEqual({ host: 'h', port: 3000 });
    expect(parseEndpoint('h:tls', 4000)).toEqual({ host: 'h', port: 4000 });
    expect(parseEndpoint('h:1x')).toBeUndefined();
  });
});

describe('peerFromErrorMessage', () => {
  it.each([
    [
      '127.0.0.1:3000 Record does not exist in database.',
      { address: '127.0.0.1', port: 3000 },
    ],
    [
      '[2001:db8::1]:3100 Generation error',
      { address: '2001:db8::1', port: 3100 },
    ],
    [
      'Client timeout: iterations=1 lastNode=10.1.2.3:3000',
      { address: '10.1.2.3', port: 3000 },
    ],
    [
      'Server timeout: socket=0 total=10 iterations=3 lastNode=[::1]:3000',
      { address: '::1', port: 3000 },
    ],
    [
      'namespace not found from 10.0.0.2:3000',
      { address: '10.0.0.2', port: 3000 },
    ],
  ])('reads the node of %j', (message, peer) => {
    expect(peerFromErrorMessage(message)).toEqual(peer);
  });

  it.each([
    'Record does not exist in database.',
    'UDF: Execution Error 1',
    'Batch failed',
    'Socket read failed: -4095',
    'Not connected.',
    'db.example:3000 not an address',
    '999.1.1.1:3000 bad',
    '10.0.0.1:99999 bad',
    'see 10.0.0.1:3000 later',
  ])('names no node for %j', message => {
    expect(peerFromErrorMessage(message)).toBeUndefined();
  });
});

describe('peerFromInfoHost', () => {
  it('reads an IP host, as a string or an object', () => {
    expect(peerFromInfoHost('10.0.0.1:3100')).toEqual({
      address: '10.0.0.1',
      port: 3100,
    });
    expect(peerFromInfoHost('[::1]')).toEqual({ address: '::1', port: 3000 });
    expect(peerFromInfoHost({ addr: '10.0.0.1', port: 3000 })).toEqual({
      address: '10.0.0.1',
      port: 3000,
    });
  });

  it('names no peer for a host name, a missing port or junk', () => {
    expect(peerFromInfoHost('db.example:3000')).toBeUndefined();
    expect(peerFromInfoHost({ addr: '10.0.0.1' })).toBeUndefined();
    expect(peerFromInfoHost(undefined)).toBeUndefined();
    expect(peerFromInfoHost(null)).toBeUndefined();
    expect(peerFromInfoHost(42)).toBeUndefined();
  });
});
