// The init stage's end of the parent channel: blocking reads and writes on the socket fd, on the
// main thread. The init stage never runs the event loop while it builds the container, so every
// step happens in a known order on the thread that will call execve.
import { RuntimeError } from '../../errors';
import fs = require('node:fs');
import { StringDecoder } from 'node:string_decoder';
import * as libc from '../../sys/libc';
import { POLLIN, POLLOUT } from '../../sys/constants';
import { Decoder, encode, isOneOf, type Accepts, type Msg } from '../protocol';

/** Blocks until `fd` is ready for `events`: the socket is blocking as libuv hands it over, but a non-blocking one (EAGAIN) must not spin. */
function waitFor(fd: number, events: number): void {
  libc.poll([{ fd, events }], -1);
}

/** `In`/`Out`: the messages this side receives/sends; `accepts` checks what comes in (protocol.ts PARENT_TO_INIT, exec-config.ts EXEC_TO_STAGE). */
export class SyncChannel<In extends Msg, Out extends Msg> {
  private readonly decoder: Decoder<In>;
  // A multi-byte UTF-8 character can be split across two reads; decode across them.
  private readonly utf8 = new StringDecoder('utf8');
  private queue: In[] = [];
  constructor(readonly fd: number, accepts: Accepts<In>) {
    this.decoder = new Decoder(accepts);
  }

  send(msg: Out): void {
    const buf = Buffer.from(encode(msg));
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(this.fd, buf, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        waitFor(this.fd, POLLOUT);
      }
    }
  }

  /** Blocks until the next message; EOF means the parent is gone, and the init stage must go too. */
  receive(): In {
    const buf = Buffer.alloc(65536);
    while (this.queue.length === 0) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          waitFor(this.fd, POLLIN);
          continue;
        }
        throw e;
      }
      if (n === 0) throw new ChannelClosed();
      this.queue.push(...this.decoder.push(this.utf8.write(buf.subarray(0, n))));
    }
    return this.queue.shift() as In;
  }

  expect<T extends In['type']>(type: T): Extract<In, { type: T }> {
    const msg = this.receive();
    if (!isOneOf(msg, [type])) throw new RuntimeError('protocol', `protocol: expected ${type}, got ${msg.type}`);
    return msg;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export class ChannelClosed extends Error {
  constructor() {
    super('parent closed the channel');
  }
}
