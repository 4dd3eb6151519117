// Task events to containerd. containerd 1.6's own shims forward them over ttrpc to containerd's
// ttrpc address (env TTRPC_ADDRESS), method containerd.services.events.ttrpc.v1.Events/Forward,
// in an Envelope {timestamp, namespace, topic, event: Any} (runtime/v2/shim/publisher.go
// RemoteEventsPublisher; the -publish-binary flag is used only by v1 shims). Events go out one
// at a time in the order they were made (create before start before exit), each retried a few
// times over a fresh connection, as the Go publisher requeues up to 5 times.
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { Events } from './gen/github.com/containerd/containerd/api/services/ttrpc/events/v1/events_pb';
import { TtrpcClient } from './ttrpc/client';
import { pathOfAddress } from './address';

const MAX_TRIES = 5;
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class EventPublisher {
  private client?: TtrpcClient;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly ttrpcAddress: string, private readonly namespace: string, private readonly onError: (m: string) => void) {}

  /**
   * Queues `event` under `topic` (/tasks/create, /tasks/start, /tasks/exit, /tasks/delete). The
   * Any's type URL is the message's full name without a prefix: containerd's typeurl registry
   * resolves gogo messages by that name (containerd/typeurl MarshalAny).
   */
  publish<D extends DescMessage>(topic: string, schema: D, event: MessageInitShape<D>): Promise<void> {
    const envelope = {
      timestamp: timestampNow(),
      namespace: this.namespace,
      topic,
      event: { typeUrl: schema.typeName, value: toBinary(schema, create(schema, event)) },
    };
    this.chain = this.chain.then(() => this.forward(topic, envelope));
    return this.chain;
  }

  /** Resolves when every queued event has been sent (or given up on). */
  flush(): Promise<void> {
    return this.chain;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private async forward(topic: string, envelope: MessageInitShape<typeof Events.method.forward.input>['envelope']): Promise<void> {
    if (this.ttrpcAddress === '') return;
    for (let attempt = 1; ; attempt++) {
      try {
        this.client ??= await TtrpcClient.connect(pathOfAddress(this.ttrpcAddress));
        await this.client.call(Events.typeName, Events.method.forward, { envelope });
        return;
      } catch (e) {
        this.close();
        if (attempt >= MAX_TRIES) {
          this.onError(`event ${topic}: dropped after ${MAX_TRIES} tries: ${(e as Error).message}`);
          return;
        }
        await delay(100 * attempt);
      }
    }
  }
}
