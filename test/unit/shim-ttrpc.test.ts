// ttrpc framing and the request/response envelope (src/shim/ttrpc/), checked against frames built
// byte by byte from ttrpc v1.1.1's channel.go (10-byte big-endian header) and types.go (field
// numbers of Request/Response), against frames captured between containerd 1.6.20 and its runc
// v2 shim (byte-for-byte equal responses), and a server and client over a real unix socket.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import t from 'tap';
import { fromBinary } from '@bufbuild/protobuf';
import { encodeFrame, FrameReader, MESSAGE_LENGTH_MAX, TYPE_REQUEST, TYPE_RESPONSE } from '../../src/shim/ttrpc/frame';
import { Code, TtrpcError } from '../../src/shim/ttrpc/codes';
import type * as Server from '../../src/shim/ttrpc/server';
import type * as Client from '../../src/shim/ttrpc/client';
import type * as ShimPb from '../../src/shim/gen/github.com/containerd/containerd/runtime/v2/task/shim_pb';
import type * as RequestPb from '../../src/shim/gen/ttrpc/request_pb';

// The message schemas are generated from proto/ (gitignored output): made here, as the schema
// tests make the validators, so unit tests need no build.
execFileSync(process.execPath, [path.resolve(__dirname, '../../scripts/gen-proto.mjs')]);
 
const { TtrpcServer } = require('../../src/shim/ttrpc/server') as typeof Server;
const { TtrpcClient } = require('../../src/shim/ttrpc/client') as typeof Client;
type TtrpcServer = Server.TtrpcServer;
type TtrpcClient = Client.TtrpcClient;
const { Task, ConnectResponseSchema } = require('../../src/shim/gen/github.com/containerd/containerd/runtime/v2/task/shim_pb') as typeof ShimPb;
const { ResponseSchema } = require('../../src/shim/gen/ttrpc/request_pb') as typeof RequestPb;
 

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s).toString('hex');

// containerd's first call on a new shim connection, Connect{id:"c1"}, as ttrpc writes it on
// stream 1: header (length 0x28 = 40, stream 1, type 1 request, flags 0), then Request{
// 1: service "containerd.task.v2.Task" (23 bytes), 2: method "Connect", 3: payload
// ConnectRequest{1: id "c1"}}.
const CONNECT_FRAME = hex(`00000028 00000001 01 00
  0a17 ${ascii('containerd.task.v2.Task')} 1207 ${ascii('Connect')} 1a04 0a02 ${ascii('c1')}`);

t.test('encodeFrame writes the 10-byte big-endian header', async (t) => {
  const f = encodeFrame(0x01020304, TYPE_RESPONSE, new Uint8Array([0xaa, 0xbb]));
  t.same([...f], [0, 0, 0, 2, 1, 2, 3, 4, 2, 0, 0xaa, 0xbb]);
});

t.test('FrameReader: one byte at a time, and two frames in one chunk', async (t) => {
  const r = new FrameReader();
  const got = [];
  for (const b of CONNECT_FRAME) got.push(...r.push(Buffer.from([b])));
  t.equal(got.length, 1);
  t.equal(got[0]?.streamId, 1);
  t.equal(got[0]?.type, TYPE_REQUEST);
  t.equal(Buffer.from(got[0]?.payload ?? []).toString('hex'), CONNECT_FRAME.subarray(10).toString('hex'));
  const two = r.push(Buffer.concat([encodeFrame(3, 1, new Uint8Array([1])), encodeFrame(5, 1, new Uint8Array(0))]));
  t.same(two.map((f) => [f.streamId, f.payload.length]), [[3, 1], [5, 0]]);
  t.equal(r.pending, 0);
});

t.test('FrameReader skips an oversized message and keeps the stream in step', async (t) => {
  const r = new FrameReader();
  const len = MESSAGE_LENGTH_MAX + 1;
  const head = Buffer.alloc(10);
  head.writeUInt32BE(len, 0);
  head.writeUInt32BE(7, 4);
  head[8] = 1;
  const first = r.push(head);
  t.same(first.map((f) => [f.streamId, f.oversized]), [[7, len]]);
  t.same(r.push(Buffer.alloc(len - 5)), []);
  const after = r.push(Buffer.concat([Buffer.alloc(5), encodeFrame(9, 1, new Uint8Array([42]))]));
  t.same(after.map((f) => [f.streamId, [...f.payload]]), [[9, [42]]]);
});

async function pair(server: TtrpcServer): Promise<{ client: TtrpcClient; raw: net.Socket; done: () => void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrpc-'));
  const sockPath = path.join(dir, 's');
  const srv = net.createServer();
  server.serve(srv);
  await new Promise<void>((r) => srv.listen(sockPath, r));
  const client = await TtrpcClient.connect(sockPath);
  const raw = net.connect(sockPath);
  await new Promise((r) => raw.once('connect', r));
  return { client, raw, done: () => { client.close(); raw.destroy(); server.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

t.test('server answers the captured Connect frame on its stream id', async (t) => {
  const server = new TtrpcServer();
  server.register(Task, { connect: async (req: { id: string }) => ({ shimPid: 42, taskPid: 7, version: `v-${req.id}` }) });
  const { raw, done } = await pair(server);
  t.teardown(done);
  const reader = new FrameReader();
  const frames = new Promise<ReturnType<FrameReader['push']>>((resolve) => raw.on('data', (c: Buffer) => {
    const f = reader.push(c);
    if (f.length > 0) resolve(f);
  }));
  raw.write(CONNECT_FRAME);
  const [f] = await frames;
  t.equal(f?.streamId, 1, 'same stream id');
  t.equal(f?.type, TYPE_RESPONSE);
  const res = fromBinary(ResponseSchema, f?.payload ?? new Uint8Array());
  t.equal(res.status, undefined, 'no error status');
  const body = fromBinary(ConnectResponseSchema, res.payload);
  t.same([body.shimPid, body.taskPid, body.version], [42, 7, 'v-c1']);
});

t.test('client and server: concurrent calls, errors with their code, unknown methods', async (t) => {
  const server = new TtrpcServer();
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  server.register(Task, {
    // Wait stays pending while other calls are answered (containerd keeps one open during Start).
    wait: async () => { await gate; return { exitStatus: 3 }; },
    state: async (req: { id: string }) => { throw new TtrpcError(Code.NOT_FOUND, `container ${req.id}: not found`); },
    connect: async () => ({ shimPid: 1 }),
  });
  const { client, done } = await pair(server);
  t.teardown(done);
  const waiting = client.call(Task.typeName, Task.method.wait, { id: 'a' });
  const c = await client.call(Task.typeName, Task.method.connect, { id: 'a' });
  t.equal(c.shimPid, 1, 'answered while Wait is pending');
  await t.rejects(client.call(Task.typeName, Task.method.state, { id: 'x' }), { code: Code.NOT_FOUND, message: 'container x: not found' });
  await t.rejects(client.call(Task.typeName, Task.method.pids, { id: 'x' }), { code: Code.UNIMPLEMENTED, message: 'service containerd.task.v2.Task: method Pids not implemented' });
  release();
  t.equal((await waiting).exitStatus, 3);
});

// Frames captured with `strace -f -e trace=read,write -x -p <shim>` on containerd 1.6.20's
// containerd-shim-runc-v2 (Debian 12) while `ctr task ps`, `ctr task kill` and `ctr task delete`
// ran against a task "cap1": containerd's requests (stream ids 9, 11, 21, 23; State and Shutdown
// carry timeout_nano, field 4) and the runc shim's responses to them.
const CAPTURED = {
  stateRequest: hex('0000002e0000000901000a17636f6e7461696e6572642e7461736b2e76322e5461736b120553746174651a060a046361703120b5b1d5b907'),
  pidsRequest: hex('000000270000000b01000a17636f6e7461696e6572642e7461736b2e76322e5461736b1204506964731a060a0463617031'),
  pidsResponse: hex('0000000e0000000b0200120c0a0408c1ba010a0408dfbb01'),
  deleteRequest: hex('000000290000001501000a17636f6e7461696e6572642e7461736b2e76322e5461736b120644656c6574651a060a0463617031'),
  deleteResponse: hex('00000017000000150200121508c1ba011089011a0c08e5a0d3d80610c280dbea02'),
  shutdownRequest: hex('000000310000001701000a17636f6e7461696e6572642e7461736b2e76322e5461736b120853687574646f776e1a060a046361703120a0c5c0960b'),
  shutdownResponse: hex('00000000000000170200'),
};

t.test("captured containerd requests get the runc shim's exact response bytes", async (t) => {
  const { DeleteResponseSchema } = require('../../src/shim/gen/github.com/containerd/containerd/runtime/v2/task/shim_pb') as typeof ShimPb;  
  // The exit time the runc shim reported, decoded from its own response, so ours can match it.
  const capturedDelete = fromBinary(DeleteResponseSchema, fromBinary(ResponseSchema, CAPTURED.deleteResponse.subarray(10)).payload);
  t.same([capturedDelete.pid, capturedDelete.exitStatus], [23873, 137], 'the capture decodes as DeleteResponse{pid, exit_status 137}');
  const seen: string[] = [];
  const server = new TtrpcServer();
  server.register(Task, {
    state: async (req: { id: string }) => { seen.push(`State ${req.id}`); return { id: req.id }; },
    pids: async (req: { id: string }) => { seen.push(`Pids ${req.id}`); return { processes: [{ pid: 23873 }, { pid: 24031 }] }; },
    delete: async (req: { id: string }) => { seen.push(`Delete ${req.id}`); return { pid: 23873, exitStatus: 137, exitedAt: capturedDelete.exitedAt }; },
    shutdown: async () => { seen.push('Shutdown'); return {}; },
  });
  const { raw, done } = await pair(server);
  t.teardown(done);
  const reader = new FrameReader();
  const byStream = new Map<number, Buffer>();
  const all = new Promise<void>((resolve) => raw.on('data', (c: Buffer) => {
    for (const f of reader.push(c)) byStream.set(f.streamId, encodeFrame(f.streamId, f.type, f.payload, f.flags));
    if (byStream.size === 4) resolve();
  }));
  raw.write(Buffer.concat([CAPTURED.stateRequest, CAPTURED.pidsRequest, CAPTURED.deleteRequest, CAPTURED.shutdownRequest]));
  await all;
  t.same(seen.sort(), ['Delete cap1', 'Pids cap1', 'Shutdown', 'State cap1'], 'each request decoded (service, method, id)');
  t.equal(byStream.get(11)?.toString('hex'), CAPTURED.pidsResponse.toString('hex'), 'Pids response: same bytes as the runc shim');
  t.equal(byStream.get(21)?.toString('hex'), CAPTURED.deleteResponse.toString('hex'), 'Delete response: same bytes');
  t.equal(byStream.get(23)?.toString('hex'), CAPTURED.shutdownResponse.toString('hex'), 'Shutdown (Empty) response: a bare header');
  t.equal(byStream.get(9)?.readUInt8(8), TYPE_RESPONSE, 'State answered on its stream');
});
