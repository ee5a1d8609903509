/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  FrameAssembler,
  FrameError,
  MAX_FRAME_SIZE,
  buildFrame,
  decompressFrame,
} from '../server/framing/proto.ts';

// The framing layer alone: no server, no client.

const frame = (type: number, body: string): Buffer =>
  buildFrame(type, Buffer.from(body));

describe('FrameAssembler', () => {
  it('returns whole frames from one chunk holding several', () => {
    const a = new FrameAssembler();
    const frames = a.push(Buffer.concat([frame(1, 'node\n'), frame(3, 'xy')]));
    expect(frames.map(f => [f.type, f.body.toString()])).toEqual([
      [1, 'node\n'],
      [3, 'xy'],
    ]);
    expect(a.pendingBytes).toBe(0);
  });

  it('reassembles a frame split at every byte boundary', () => {
    const bytes = Buffer.concat([frame(1, 'build\n'), frame(3, 'abc')]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const a = new FrameAssembler();
      const got = [
        ...a.push(bytes.subarray(0, cut)),
        ...a.push(bytes.subarray(cut)),
      ];
      expect(got.map(f => f.body.toString())).toEqual(['build\n', 'abc']);
    }
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const bytes = frame(3, 'hello world');
    const a = new FrameAssembler();
    const got = [];
    for (const b of bytes) got.push(...a.push(Buffer.from([b])));
    expect(got).toHaveLength(1);
    expect(got[0].body.toString()).toBe('hello world');
  });

  it('keeps a partial frame pending', () => {
    const a = new FrameAssembler();
    expect(a.push(frame(1, 'node\n').subarray(0, 10))).toEqual([]);
    expect(a.pendingBytes).toBe(10);
  });

  it('rejects a bad version, an unknown type and an oversized length', () => {
    const badVersion = frame(1, 'x');
    badVersion[0] = 3;
    expect(() => new FrameAssembler().push(badVersion)).toThrow(FrameError);
    const badType = frame(1, 'x');
    badType[1] = 9;
    expect(() => new FrameAssembler().push(badType)).toThrow(/type 9/);
    const huge = Buffer.alloc(8);
    huge[0] = 2;
    huge[1] = 3;
    huge.writeUIntBE(MAX_FRAME_SIZE + 1, 2, 6);
    expect(() => new FrameAssembler().push(huge)).toThrow(/exceeds/);
  });

  it('accepts a header declaring exactly the maximum size', () => {
    const head = Buffer.alloc(8);
    head[0] = 2;
    head[1] = 3;
    head.writeUIntBE(MAX_FRAME_SIZE, 2, 6);
    expect(new FrameAssembler().push(head)).toEqual([]);
  });
});

describe('decompressFrame', () => {
  it('unwraps a zlib-compressed message frame', () => {
    const inner = frame(3, 'payload');
    const size = Buffer.alloc(8);
    size.writeBigUInt64BE(BigInt(inner.length));
    const f = decompressFrame(Buffer.concat([size, deflateSync(inner)]));
    expect(f.type).toBe(3);
    expect(f.body.toString()).toBe('payload');
  });

  it('rejects garbage, a non-message payload and a length mismatch', () => {
    const size = Buffer.alloc(8);
    expect(() =>
      decompressFrame(Buffer.concat([size, Buffer.from('nope')]))
    ).toThrow(/zlib/);
    expect(() =>
      decompressFrame(Buffer.concat([size, deflateSync(frame(1, 'x'))]))
    ).toThrow(/proto type 1/);
    const lying = frame(3, 'abc');
    lying.writeUIntBE(10, 2, 6);
    expect(() =>
      decompressFrame(Buffer.concat([size, deflateSync(lying)]))
    ).toThrow(/mismatch/);
  });
});
