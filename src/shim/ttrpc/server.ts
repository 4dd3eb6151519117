// A ttrpc server on a unix socket (github.com/containerd/ttrpc v1.1.1 server.go, as containerd 1.6
// calls its shims): each request frame carries a ttrpc.Request {service, method, payload}; the
// answer is a response frame on the same stream id with a ttrpc.Response {status, payload}.
// Requests on one connection are served concurrently, as ttrpc's server does (one goroutine per
// request): containerd keeps a Wait call pending while it sends Start and Kill on the same
// connection.
import type net from 'node:net';
import { create, fromBinary, toBinary, type DescMessage, type DescService } from '@bufbuild/protobuf';
import { RequestSchema, ResponseSchema } from '../gen/ttrpc/request_pb';
import { Code, TtrpcError } from './codes';
import { encodeFrame, FrameReader, MESSAGE_LENGTH_MAX, TYPE_REQUEST, TYPE_RESPONSE } from './frame';

/** One method: the decoded request in, the response fields out. */
type Handler = (payload: Uint8Array) => Promise<Uint8Array>;

/** Implementation of a generated service: methods by their localName (`create`, `wait`...). */
 
export type ServiceImpl = Record<string, ((req: any) => Promise<any>) | undefined>;

export class TtrpcServer {
  private readonly handlers = new Map<string, Handler>();
  private readonly conns = new Set<net.Socket>();
  private server?: net.Server;
  /** Called with errors that have nobody to answer to (a broken connection). */
  onError: (e: Error) => void = () => {};

  /**
   * Registers every method of `service` found in `impl`; a method missing from impl answers
   * UNIMPLEMENTED with its name, as a ttrpc server answers a method it does not know.
   */
  register(service: DescService, impl: ServiceImpl): void {
    for (const m of service.methods) {
      const fn = impl[m.localName];
      if (!fn) continue;
      const input = m.input as DescMessage;
      const output = m.output as DescMessage;
      this.handlers.set(`${service.typeName}/${m.name}`, async (payload) => {
        let req;
        try {
          req = fromBinary(input, payload);
        } catch (e) {
          throw new TtrpcError(Code.INVALID_ARGUMENT, `${m.name}: cannot decode ${input.typeName}: ${(e as Error).message}`);
        }
        const res = await fn.call(impl, req);
        return toBinary(output, create(output, res));
      });
    }
  }

  /** Starts serving on a listening server (the caller made and bound it). */
  serve(server: net.Server): void {
    this.server = server;
    server.on('connection', (sock) => this.accept(sock));
  }

  /** Stops accepting and closes every connection. */
  close(): void {
    this.server?.close();
    for (const c of this.conns) c.destroy();
  }

  /** Handles the frames of one connection; exported for tests through a socket pair. */
  accept(sock: net.Socket): void {
    this.conns.add(sock);
    const reader = new FrameReader();
    sock.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.type !== TYPE_REQUEST) continue; // ttrpc's server ignores other types
        if (f.oversized !== undefined) {
          this.reply(sock, f.streamId, undefined, new TtrpcError(Code.RESOURCE_EXHAUSTED, `message length ${f.oversized} exceed maximum message size of ${MESSAGE_LENGTH_MAX}`));
          continue;
        }
        void this.dispatch(f.payload).then(
          (payload) => this.reply(sock, f.streamId, payload, undefined),
          (e: unknown) => this.reply(sock, f.streamId, undefined, e),
        );
      }
    });
    sock.on('error', (e) => this.onError(e));
    sock.on('close', () => this.conns.delete(sock));
  }

  private async dispatch(frame: Uint8Array): Promise<Uint8Array> {
    let req;
    try {
      req = fromBinary(RequestSchema, frame);
    } catch (e) {
      throw new TtrpcError(Code.INVALID_ARGUMENT, `cannot decode ttrpc request: ${(e as Error).message}`);
    }
    const h = this.handlers.get(`${req.service}/${req.method}`);
    // ttrpc server.go: `service %v: method %v not implemented` (status Unimplemented).
    if (!h) throw new TtrpcError(Code.UNIMPLEMENTED, `service ${req.service}: method ${req.method} not implemented`);
    return h(req.payload);
  }

  private reply(sock: net.Socket, streamId: number, payload: Uint8Array | undefined, err: unknown): void {
    if (sock.destroyed) return;
    const status = err === undefined
      ? undefined
      : err instanceof TtrpcError
        ? { code: err.code, message: err.message }
        : { code: Code.UNKNOWN, message: (err as Error)?.message ?? String(err) };
    const res = toBinary(ResponseSchema, create(ResponseSchema, { status, payload: payload ?? new Uint8Array(0) }));
    sock.write(encodeFrame(streamId, TYPE_RESPONSE, res));
  }
}
