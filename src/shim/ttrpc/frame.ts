// ttrpc's framing (github.com/containerd/ttrpc v1.1.1, channel.go, the version containerd 1.6
// vendors): every message is a 10-byte header, then `length` bytes of protobuf.
//   bytes 0-3  length of the message, excluding the header (uint32, big-endian)
//   bytes 4-7  stream id (uint32, big-endian): a client's requests use odd ids, the response
//              carries the request's id
//   byte  8    type: 1 request, 2 response
//   byte  9    flags (reserved in v1.1; sent as 0)
// A message longer than 4 MiB is refused (messageLengthMax): the receiver skips its bytes and
// answers RESOURCE_EXHAUSTED on that stream.

const HEADER_LENGTH = 10;
export const MESSAGE_LENGTH_MAX = 4 << 20;
export const TYPE_REQUEST = 1;
export const TYPE_RESPONSE = 2;

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  /** The message; empty for an oversized one, whose bytes were skipped (`oversized` holds its length). */
  payload: Uint8Array;
  oversized?: number;
}

/** Header + payload in one buffer, ready for one write. */
export function encodeFrame(streamId: number, type: number, payload: Uint8Array, flags = 0): Buffer {
  const b = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.writeUInt32BE(streamId >>> 0, 4);
  b.writeUInt8(type, 8);
  b.writeUInt8(flags, 9);
  b.set(payload, HEADER_LENGTH);
  return b;
}

/**
 * Cuts a byte stream into frames, whatever the chunk boundaries are (a unix socket delivers a
 * frame in any number of reads, or several frames in one).
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  /** Bytes still to skip of an oversized message. */
  private skipping = 0;

  /** Appends a chunk and returns every frame completed by it, in order. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.buf.length);
        this.skipping -= n;
        this.buf = this.buf.subarray(n);
        if (this.skipping > 0) break;
      }
      if (this.buf.length < HEADER_LENGTH) break;
      const length = this.buf.readUInt32BE(0);
      const streamId = this.buf.readUInt32BE(4);
      const type = this.buf.readUInt8(8);
      const flags = this.buf.readUInt8(9);
      if (length > MESSAGE_LENGTH_MAX) {
        this.buf = this.buf.subarray(HEADER_LENGTH);
        this.skipping = length;
        out.push({ streamId, type, flags, payload: new Uint8Array(0), oversized: length });
        continue;
      }
      if (this.buf.length < HEADER_LENGTH + length) break;
      // A copy: the frame outlives this buffer, which the next push replaces.
      const payload = Uint8Array.prototype.slice.call(this.buf, HEADER_LENGTH, HEADER_LENGTH + length);
      this.buf = this.buf.subarray(HEADER_LENGTH + length);
      out.push({ streamId, type, flags, payload });
    }
    return out;
  }

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}
