/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import { inflateSync } from 'node:zlib';

// The 8-byte proto header that starts every frame: version, type, 48-bit
// length of the body that follows.

export const PROTO_VERSION = 2;
export const PROTO_HEADER_SIZE = 8;
export const ProtoType = {
  INFO: 1,
  SECURITY: 2,
  MESSAGE: 3,
  COMPRESSED: 4,
} as const;

/** Larger declared bodies are refused before any byte of them is buffered. */
export const MAX_FRAME_SIZE = 128 * 1024 * 1024;

/** A protocol violation: the connection that sent it gets closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface Frame {
  type: number;
  body: Buffer;
}

/** Writes a proto header for a body of `size` bytes at `offset`. */
export function writeProtoHeader(
  buf: Buffer,
  offset: number,
  type: number,
  size: number
): void {
  buf[offset] = PROTO_VERSION;
  buf[offset + 1] = type;
  buf.writeUIntBE(size, offset + 2, 6);
}

export function buildFrame(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PROTO_HEADER_SIZE + body.length);
  writeProtoHeader(out, 0, type, body.length);
  body.copy(out, PROTO_HEADER_SIZE);
  return out;
}

/**
 * Reads a proto header and validates it. Returns the declared body size.
 */
export function parseProtoHeader(
  buf: Buffer,
  offset: number
): { type: number; size: number } {
  const version = buf[offset];
  const type = buf[offset + 1];
  if (version !== PROTO_VERSION) {
    throw new FrameError(`unsupported proto version ${version}`);
  }
  if (
    type !== ProtoType.INFO &&
    type !== ProtoType.SECURITY &&
    type !== ProtoType.MESSAGE &&
    type !== ProtoType.COMPRESSED
  ) {
    throw new FrameError(`unsupported proto type ${type}`);
  }
  const size = buf.readUIntBE(offset + 2, 6);
  if (size > MAX_FRAME_SIZE) {
    throw new FrameError(
      `declared frame length ${size} exceeds ${MAX_FRAME_SIZE}`
    );
  }
  return { type, size };
}

/**
 * Unwraps a type-4 body: u64 uncompressed size, then a zlib stream holding a
 * complete type-3 frame (header included). Returns that inner message body.
 */
export function decompressFrame(body: Buffer): Frame {
  if (body.length < 8) {
    throw new FrameError('compressed frame too short');
  }
  const declared = Number(body.readBigUInt64BE(0));
  if (declared > MAX_FRAME_SIZE + PROTO_HEADER_SIZE) {
    throw new FrameError(`declared uncompressed size ${declared} too large`);
  }
  let inner: Buffer;
  try {
    inner = inflateSync(body.subarray(8), {
      maxOutputLength: MAX_FRAME_SIZE + PROTO_HEADER_SIZE,
    });
  } catch (err) {
    throw new FrameError(`bad zlib stream: ${(err as Error).message}`);
  }
  if (inner.length < PROTO_HEADER_SIZE) {
    throw new FrameError('compressed payload too short');
  }
  const { type, size } = parseProtoHeader(inner, 0);
  if (type !== ProtoType.MESSAGE) {
    throw new FrameError(`compressed payload of proto type ${type}`);
  }
  if (size !== inner.length - PROTO_HEADER_SIZE) {
    throw new FrameError('compressed payload length mismatch');
  }
  return { type, body: inner.subarray(PROTO_HEADER_SIZE) };
}

/**
 * Assembles frames from TCP chunks. Chunks are kept as a list and only
 * concatenated once a whole frame is available, so a large frame arriving
 * in many chunks is copied once.
 */
export class FrameAssembler {
  private chunks: Buffer[] = [];
  private buffered = 0;
  // Header of the frame being assembled, once known.
  private pendingType = -1;
  private pendingSize = 0;

  /** Bytes received but not yet returned as a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds a chunk; returns the frames it completes (throws FrameError). */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    // Fast path: nothing buffered and the chunk holds whole frames.
    if (this.buffered === 0) {
      let off = 0;
      while (chunk.length - off >= PROTO_HEADER_SIZE) {
        const { type, size } = parseProtoHeader(chunk, off);
        const end = off + PROTO_HEADER_SIZE + size;
        if (end > chunk.length) break;
        frames.push({
          type,
          body: chunk.subarray(off + PROTO_HEADER_SIZE, end),
        });
        off = end;
      }
      if (off === chunk.length) return frames;
      chunk = chunk.subarray(off);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.pendingType < 0) {
        if (this.buffered < PROTO_HEADER_SIZE) break;
        const head = this.peek(PROTO_HEADER_SIZE);
        const { type, size } = parseProtoHeader(head, 0);
        this.pendingType = type;
        this.pendingSize = size;
      }
      const total = PROTO_HEADER_SIZE + this.pendingSize;
      if (this.buffered < total) break;
      const all =
        this.chunks.length === 1
          ? this.chunks[0]
          : Buffer.concat(this.chunks, this.buffered);
      frames.push({
        type: this.pendingType,
        body: all.subarray(PROTO_HEADER_SIZE, total),
      });
      const rest = all.subarray(total);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.pendingType = -1;
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}
