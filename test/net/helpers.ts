// Shared pieces of the host/net tests: a replica (PeerTransport + its own Bun.serve on
// 127.0.0.1, wired exactly as host/master/main.ts wires it) and bounded polling.
import { afterEach } from "bun:test";
import type { Server } from "bun";
import { Metrics } from "../../host/metrics.ts";
import { type PeerSocketData, PeerTransport, type PeerTransportOptions } from "../../host/net/transport.ts";
import { freePort } from "../helpers/process.ts";

export const LOOPBACK = "127.0.0.1";
export const CLUSTER = "/mesos-test";

/** Polls `condition` every few ms until it holds; throws naming `what` after `deadline_ms`. */
export async function waitFor(what: string, condition: () => boolean, deadline_ms = 4000): Promise<void> {
  const until = performance.now() + deadline_ms;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`timed out after ${deadline_ms} ms waiting for: ${what}`);
    await Bun.sleep(5);
  }
}

export interface Received {
  from: string;
  text: string;
  payload: Uint8Array;
}

export interface Replica {
  id: string;
  port: number;
  transport: PeerTransport;
  metrics: Metrics;
  received: Received[];
  server: Server<PeerSocketData> | null;
  /** Stops the HTTP listener (closing its sockets); the transport keeps running. */
  stopListening(): Promise<void>;
  /** Listens again on the same port. */
  listen(): void;
  stop(): Promise<void>;
}

/** Serves `transport` on 127.0.0.1:`port` the way main.ts does: upgrade, else the app (404 here). */
export function serve(transport: PeerTransport, port: number): Server<PeerSocketData> {
  return Bun.serve<PeerSocketData>({
    hostname: LOOPBACK,
    port,
    fetch: (request, server) => (transport.upgrade(request, server) ? undefined : new Response("not found", { status: 404 })),
    websocket: transport.websocket,
  });
}

export type ReplicaOptions = Partial<Omit<PeerTransportOptions, "onMessage" | "metrics">>;

/** A replica on a fresh loopback port whose received payloads are collected as text. */
export async function startReplica(options: ReplicaOptions = {}, port?: number): Promise<Replica> {
  const chosen = port ?? (await freePort());
  const id = options.id ?? `${LOOPBACK}:${chosen}`;
  const metrics = new Metrics();
  const received: Received[] = [];
  const decoder = new TextDecoder();
  const transport = new PeerTransport({
    cluster: CLUSTER,
    heartbeat_ms: 50,
    idle_timeout_ms: 1000,
    handshake_timeout_ms: 1000,
    backoff_ms_min: 10,
    backoff_ms_max: 200,
    ...options,
    id,
    metrics,
    onMessage: (from, payload) => received.push({ from, text: decoder.decode(payload), payload }),
  });
  const replica: Replica = {
    id,
    port: chosen,
    transport,
    metrics,
    received,
    server: serve(transport, chosen),
    stopListening: async () => {
      await replica.server?.stop(true);
      replica.server = null;
    },
    listen: () => {
      replica.server = serve(transport, chosen);
    },
    stop: async () => {
      transport.close();
      await replica.stopListening();
    },
  };
  return replica;
}

export function metric(replica: Replica, name: string): number {
  return replica.metrics.snapshot()[name] ?? Number.NaN;
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function texts(replica: Replica, from?: string): string[] {
  return replica.received.filter((r) => from === undefined || r.from === from).map((r) => r.text);
}

/**
 * Call at the top of a test file: `replica()` starts one that is stopped after the test, and
 * `cleanup` takes anything else to undo then (servers, log sinks), run in order.
 */
export function useReplicas(): { replica: (options?: ReplicaOptions, port?: number) => Promise<Replica>; cleanup: (() => Promise<void> | void)[] } {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const stop of cleanup.splice(0)) await stop();
  });
  const replica = async (options: ReplicaOptions = {}, port?: number) => {
    const r = await startReplica(options, port);
    cleanup.push(() => r.stop());
    return r;
  };
  return { replica, cleanup };
}
