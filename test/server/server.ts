/*
 * Copyright The OpenTelemetry Authors
 * SPDX-License-Identifier: Apache-2.0
 */
import * as net from 'node:net';
import {
  FrameAssembler,
  FrameError,
  ProtoType,
  buildFrame,
  decompressFrame,
  type Frame,
} from './framing/proto.ts';
import { parseMessage } from './codec/message.ts';
import type { ServerContext } from './engine/context.ts';
import {
  codeReply,
  errorReply,
  handleMessage,
  type ReplySink,
} from './engine/dispatch.ts';
import { ResultCode } from './engine/errors.ts';
import { handleInfo } from './engine/info.ts';

/** AS_SEC_ERR_NOT_SUPPORTED (base/proto.h). */
const SECURITY_NOT_SUPPORTED = 51;

// TCP layer: one Connection per socket, frames handled strictly in order
// (the client runs one command per connection at a time).

export class Connection implements ReplySink {
  private readonly socket: net.Socket;
  private readonly ctx: ServerContext;
  private readonly assembler = new FrameAssembler();
  private readonly queue: Frame[] = [];
  private busy = false;
  closed = false;

  constructor(socket: net.Socket, ctx: ServerContext) {
    this.socket = socket;
    this.ctx = ctx;
    socket.setNoDelay(true);
    socket.on('data', chunk => this.onData(chunk));
    socket.on('error', () => {
      // Peer resets are routine (clients time out and close); the 'close'
      // handler does the bookkeeping.
    });
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
    });
  }

  private get peer(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.assembler.push(chunk);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    if (frames.length === 0) return;
    if (!this.busy && this.queue.length === 0 && frames.length === 1) {
      // Hot path: one request, nothing queued.
      this.process(frames[0]);
      return;
    }
    for (const f of frames) this.queue.push(f);
    this.pump();
  }

  private pump(): void {
    while (!this.busy && !this.closed && this.queue.length > 0) {
      this.process(this.queue.shift()!);
    }
  }

  private process(frame: Frame): void {
    let pending: void | Promise<void>;
    try {
      pending = this.handleFrame(frame);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    if (pending !== undefined) {
      this.busy = true;
      pending
        .catch(err => {
          if (!this.closed) this.send(errorReply(this.ctx, err, true));
        })
        .finally(() => {
          this.busy = false;
          this.pump();
        })
        .catch(() => {});
    }
  }

  private handleFrame(frame: Frame): void | Promise<void> {
    if (frame.type === ProtoType.SECURITY) {
      // as_security_transact() of a Community Edition node
      // (base/security_ce.c): every security message (login, users,
      // roles) gets one as_sec_msg with result 51, "not supported".
      const reply = Buffer.alloc(16);
      reply[1] = SECURITY_NOT_SUPPORTED;
      this.send(buildFrame(ProtoType.SECURITY, reply));
      return;
    }
    if (frame.type === ProtoType.INFO) {
      this.ctx.counters.incr('info');
      this.send(buildFrame(ProtoType.INFO, handleInfo(this.ctx, frame.body)));
      return;
    }
    if (
      frame.type === ProtoType.COMPRESSED &&
      this.ctx.config.edition === 'community'
    ) {
      // as_proto_uncompress() of a Community Edition node (base/proto_ce.c):
      // the request is refused, the connection stays usable.
      this.ctx.log('compressed request refused: enterprise only');
      this.send(codeReply(ResultCode.ENTERPRISE_ONLY));
      return;
    }
    const body =
      frame.type === ProtoType.COMPRESSED
        ? decompressFrame(frame.body).body
        : frame.body;
    const { msg } = parseMessage(body);
    try {
      return handleMessage(this.ctx, msg, this);
    } catch (err) {
      this.send(errorReply(this.ctx, err, true));
    }
  }

  private protocolError(err: unknown): void {
    if (err instanceof FrameError) {
      this.drop(`protocol error: ${err.message}`);
    } else {
      this.drop(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  send(frame: Buffer): void {
    if (this.closed) return;
    this.socket.write(frame);
  }

  drop(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.ctx.log(`closing connection from ${this.peer}: ${reason}`);
    this.socket.destroy();
  }

  flushed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise(resolve => {
      // An empty write's callback runs once the writes before it are out.
      this.socket.write(Buffer.alloc(0), () => resolve());
    });
  }

  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise(resolve => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}

export class TcpServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly ctx: ServerContext;

  constructor(ctx: ServerContext) {
    this.ctx = ctx;
    this.server = net.createServer(socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      try {
        new Connection(socket, ctx);
      } catch (err) {
        ctx.log(`connection setup failed: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    this.server.on('error', err => ctx.log(`server error: ${err.message}`));
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port, host: '127.0.0.1' }, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise(resolve => this.server.close(() => resolve()));
  }
}
