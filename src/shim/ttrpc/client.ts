// A ttrpc client on a unix socket (ttrpc v1.1.1 client.go): requests on odd stream ids counting
// up from 1, each answered by a response frame with the same id. The shim uses it to forward
// events to containerd's ttrpc address (src/shim/events.ts), and the unit tests to drive the
// server.
import net = require('node:net');
import { create, fromBinary, toBinary, type DescMethodUnary, type MessageInitShape, type MessageShape, type DescMessage } from '@bufbuild/protobuf';
import { RequestSchema, ResponseSchema } from '../gen/ttrpc/request_pb';
import { TtrpcError } from './codes';
import { encodeFrame, FrameReader, TYPE_REQUEST, TYPE_RESPONSE } from './frame';

interface Pending {
  resolve: (payload: Uint8Array) => void;
  reject: (e: Error) => void;
}

export class TtrpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedWith?: Error;

  constructor(private readonly sock: net.Socket) {
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.type !== TYPE_RESPONSE) continue;
        const p = this.pending.get(f.streamId);
        if (!p) continue;
        this.pending.delete(f.streamId);
        try {
          const res = fromBinary(ResponseSchema, f.payload);
          if (res.status && res.status.code !== 0) p.reject(new TtrpcError(res.status.code, res.status.message));
          else p.resolve(res.payload);
        } catch (e) {
          p.reject(e as Error);
        }
      }
    });
    const fail = (e: Error): void => {
      this.closedWith = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('ttrpc: closed')));
  }

  /** Connects to a unix socket path. */
  static connect(path: string): Promise<TtrpcClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new TtrpcClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Calls `method` of `service` (its full name, e.g. containerd.task.v2.Task). */
  async call<I extends DescMessage, O extends DescMessage>(service: string, method: DescMethodUnary<I, O>, req: MessageInitShape<I>, timeoutMs = 5000): Promise<MessageShape<O>> {
    if (this.closedWith) throw this.closedWith;
    const id = this.nextId;
    this.nextId += 2;
    const payload = toBinary(method.input, create(method.input, req));
    const frame = toBinary(RequestSchema, create(RequestSchema, { service, method: method.name, payload, timeoutNano: BigInt(timeoutMs) * 1_000_000n }));
    const answer = new Promise<Uint8Array>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.sock.write(encodeFrame(id, TYPE_REQUEST, frame));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ttrpc: ${service}/${method.name}: no answer in ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return fromBinary(method.output, await Promise.race([answer, timeout]));
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  close(): void {
    this.sock.destroy();
  }
}
