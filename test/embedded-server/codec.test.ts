/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from 'vitest';
import {
  FieldType,
  OpType,
  OutBuffer,
  parseMessage,
  writeField,
  writeMsgHeader,
  writeOp,
} from '../server/codec/message.ts';
import { decodeParticle, encodeParticle } from '../server/codec/particles.ts';
import { AsDouble, AsGeoJSON, ParticleType } from '../server/codec/values.ts';
import { FrameError } from '../server/framing/proto.ts';
import { partitionOf } from '../server/store/store.ts';
import { userKeyDigest } from '../server/faults/faults.ts';

// The message and particle codecs alone: no server, no client.

describe('as_msg', () => {
  it('round-trips header, fields and ops', () => {
    const out = new OutBuffer(16);
    writeMsgHeader(
      out,
      {
        info1: 0x03,
        info2: 0x01,
        info3: 0x08,
        resultCode: 2,
        generation: 7,
        recordTtl: 1234,
        transactionTtl: 1000,
      },
      2,
      1
    );
    writeField(out, FieldType.NAMESPACE, Buffer.from('test'));
    writeField(out, FieldType.DIGEST, Buffer.alloc(20, 9));
    writeOp(
      out,
      OpType.WRITE,
      ParticleType.STRING,
      Buffer.from('bin'),
      Buffer.from('v')
    );
    const { msg, end } = parseMessage(out.take());
    expect(end).toBe(22 + 9 + 25 + 12);
    expect(msg).toMatchObject({
      info1: 0x03,
      info2: 0x01,
      info3: 0x08,
      resultCode: 2,
      generation: 7,
      recordTtl: 1234,
      transactionTtl: 1000,
    });
    expect(msg.fields.map(f => f.type)).toEqual([0, 4]);
    expect(msg.fields[0].data.toString()).toBe('test');
    expect(msg.ops).toEqual([
      {
        opType: OpType.WRITE,
        particleType: ParticleType.STRING,
        name: 'bin',
        value: Buffer.from('v'),
      },
    ]);
  });

  it('rejects truncated headers, fields and ops', () => {
    expect(() => parseMessage(Buffer.alloc(10))).toThrow(FrameError);
    const out = new OutBuffer();
    writeMsgHeader(out, { resultCode: 0 }, 1, 0);
    writeField(out, FieldType.SET, Buffer.from('abc'));
    const bytes = out.take();
    expect(() => parseMessage(bytes.subarray(0, bytes.length - 1))).toThrow(
      /overruns/
    );
    const ops = new OutBuffer();
    writeMsgHeader(ops, { resultCode: 0 }, 0, 2);
    writeOp(ops, OpType.READ, 0, Buffer.from('a'), Buffer.alloc(0));
    expect(() => parseMessage(ops.take())).toThrow(/truncated op/);
  });
});

describe('particles', () => {
  it('round-trips scalars with their particle types', () => {
    const cases: Array<[unknown, number]> = [
      [null, ParticleType.NIL],
      [42, ParticleType.INTEGER],
      [-(2 ** 40), ParticleType.INTEGER],
      [2n ** 62n, ParticleType.INTEGER],
      [-(2n ** 63n), ParticleType.INTEGER],
      ['héllo', ParticleType.STRING],
      [Buffer.from([1, 2]), ParticleType.BLOB],
      [true, ParticleType.BOOL],
    ];
    for (const [v, type] of cases) {
      const p = encodeParticle(v as never);
      expect(p.type).toBe(type);
      expect(decodeParticle(p.type, p.data)).toEqual(v);
    }
  });

  it('keeps doubles apart from integers', () => {
    const p = encodeParticle(new AsDouble(2));
    expect(p.type).toBe(ParticleType.DOUBLE);
    const back = decodeParticle(p.type, p.data);
    expect(back).toBeInstanceOf(AsDouble);
    expect((back as AsDouble).value).toBe(2);
  });

  it('integers beyond 2^53 decode as bigints, smaller ones as numbers', () => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(2n ** 53n + 1n);
    expect(decodeParticle(ParticleType.INTEGER, b)).toBe(2n ** 53n + 1n);
    b.writeBigInt64BE(-5n);
    expect(decodeParticle(ParticleType.INTEGER, b)).toBe(-5);
  });

  it('decodes geojson past its cell header', () => {
    const p = encodeParticle(new AsGeoJSON('{"type":"Point"}'));
    expect(p.type).toBe(ParticleType.GEOJSON);
    expect(decodeParticle(p.type, p.data)).toEqual(
      new AsGeoJSON('{"type":"Point"}')
    );
  });

  it('refuses unknown particle types with a parameter error', () => {
    expect(() => decodeParticle(99, Buffer.alloc(1))).toThrow(
      expect.objectContaining({ code: 4 })
    );
  });
});

describe('digests and partitions', () => {
  it('computes the client digest of a user key', () => {
    // Digest the real client computes for Key('test', 'demo', 'k1').
    expect(userKeyDigest('demo', 'k1').toString('hex')).toBe(
      'b747f5854d0b33259928d0cfab7fad81d6abfbf6'
    );
  });

  it('takes the partition from the first two digest bytes', () => {
    const d = Buffer.alloc(20);
    d[0] = 0x34;
    d[1] = 0x12;
    expect(partitionOf(d)).toBe(0x1234 & 4095);
  });
});
