// Proves host/loop.ts runs the log end to end on real SQLite files: three EMPTY replicas
// auto-initialise only together, a coordinator elects and appends from position 1, every
// replica learns the same entries with group commit, and a replica whose persist fails sends
// nothing of that batch and exits naming its file.
import { afterAll, afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogCore } from "../../host/core.ts";
import { LogLoop, ReplicaStatus, replicaId } from "../../host/loop.ts";
import { MemoryNetwork } from "../../host/net/memory.ts";
import { SqliteStore } from "../../host/storage/sqlite.ts";

setDefaultTimeout(20_000);

const dir = mkdtempSync(join(tmpdir(), "loop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ADDRESSES = ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"];
const running: { loop: LogLoop; store: SqliteStore }[] = [];
afterEach(() => {
  for (const r of running.splice(0)) {
    r.loop.stop();
    r.store.close();
  }
});

function startReplica(network: MemoryNetwork, address: string, events: string[] = [], learned = new Map<number, string>()) {
  const store = SqliteStore.open(join(dir, address.replace(":", "_"), "replica.db"));
  const core = new LogCore({ nodeId: replicaId(address), quorum: 2, replicas: ADDRESSES.map(replicaId), autoInitialize: true, seed: 7 });
  const tracing = {
    load: () => store.load(),
    persist: (blob: Uint8Array, sync: boolean) => { store.persist(blob, sync); events.push(sync ? "sync" : "write"); },
    path: store.path,
  };
  let loop: LogLoop | null = null;
  // A fatal() in a test throws "exit": the replica is gone, as its process would be.
  const transport = network.transport(address, (from, payload) => {
    try {
      loop?.receive(from, payload);
    } catch (error) {
      if ((error as Error).message !== "exit") throw error;
      loop?.stop();
    }
  });
  const sending = { send: (to: string, payload: Uint8Array) => { events.push("send"); return transport.send(to, payload); } };
  loop = new LogLoop({
    core, store: tracing, transport: sending, self: address, replicas: ADDRESSES,
    fatal: (message) => { throw new Error(`fatal: ${message}`); },
    onLearned: (entry) => learned.set(entry.position, new TextDecoder().decode(entry.bytes)),
  });
  running.push({ loop, store });
  loop.start();
  return { loop, store, transport, learned, events };
}

/** Elects `loop`'s coordinator (retrying as a registrar would), failing the test if it never wins. */
async function electWriter(loop: LogLoop): Promise<{ position: number; proposal: number }> {
  let elected = await loop.elect();
  for (let i = 0; i < 20 && elected === null; i++) elected = await loop.elect();
  expect(elected).not.toBeNull();
  return elected!;
}

async function until(condition: () => boolean, what: string, deadline_ms = 10_000): Promise<void> {
  const end = Date.now() + deadline_ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

test("three EMPTY replicas initialise together; appends land from position 1 and are learned everywhere", async () => {
  const network = new MemoryNetwork();
  const a = startReplica(network, ADDRESSES[0]!);
  const b = startReplica(network, ADDRESSES[1]!);
  await Bun.sleep(300);
  expect(a.loop.status()).not.toBe(ReplicaStatus.VOTING); // two of three cannot auto-initialise
  const c = startReplica(network, ADDRESSES[2]!);
  await until(() => [a, b, c].every((r) => r.loop.status() === ReplicaStatus.VOTING), "all VOTING");
  await electWriter(a.loop);
  const positions = await Promise.all(Array.from({ length: 10 }, (_, i) => a.loop.append(new TextEncoder().encode(`entry-${i}`))));
  expect(positions).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  await until(() => [a, b, c].every((r) => r.learned.get(10) === "entry-9"), "every replica to learn 10");
  for (const r of [a, b, c]) for (let i = 0; i < 10; i++) expect(r.learned.get(i + 1)).toBe(`entry-${i}`);
  expect(a.loop.stats.latency_samples).toBe(10); // every acknowledged append is sampled
  expect(a.loop.stats.fsyncs).toBeGreaterThan(0);
  expect(a.loop.stats.entries_synced / a.loop.stats.fsyncs).toBeGreaterThan(1); // group commit
});

test("a failed persist sends nothing of its batch and exits naming the file", async () => {
  const network = new MemoryNetwork();
  const replicas = ADDRESSES.map((address) => startReplica(network, address));
  await until(() => replicas.every((r) => r.loop.status() === ReplicaStatus.VOTING), "all VOTING");
  const a = replicas[0]!;
  const elected = await electWriter(a.loop);
  // Replica B's disk now fails: its next persist throws. It must not answer the write.
  const b = running[1]!;
  const fatal: string[] = [];
  const sentAfterFailure: string[] = [];
  let failed = false;
  const core = (b.loop as unknown as { options: { store: { persist: (x: Uint8Array, s: boolean) => void }; fatal: (m: string) => never; transport: { send: (to: string, p: Uint8Array) => boolean } } }).options;
  core.store.persist = () => { failed = true; throw new Error("disk I/O error"); };
  core.fatal = ((message: string) => { fatal.push(message); }) as (message: string) => never;
  const send = core.transport.send;
  core.transport.send = (to, p) => { if (failed) sentAfterFailure.push(to); return send(to, p); };
  const appended = a.loop.append(new TextEncoder().encode("x"));
  await until(() => fatal.length > 0, "B to fail its persist");
  expect(fatal[0]).toContain("Failed to persist to");
  expect(fatal[0]).toContain("replica.db");
  expect(sentAfterFailure).toEqual([]);
  expect(await appended).toBe(elected.position + 1); // A and C still form a quorum
});

test("an append made from inside onLearned waits for the drain instead of stepping the core mid-batch", async () => {
  const network = new MemoryNetwork();
  const replicas = ADDRESSES.map((address) => startReplica(network, address));
  await until(() => replicas.every((r) => r.loop.status() === ReplicaStatus.VOTING), "all VOTING");
  const a = replicas[0]!;
  await electWriter(a.loop);
  // Re-entrancy as a registrar would cause it: each learned "ping" appends a "pong".
  const options = (a.loop as unknown as { options: { onLearned?: (e: { bytes: Uint8Array }) => void } }).options;
  const pongs: Promise<number | null>[] = [];
  const previous = options.onLearned;
  options.onLearned = (entry) => {
    previous?.(entry as never);
    if (new TextDecoder().decode(entry.bytes) === "ping") pongs.push(a.loop.append(new TextEncoder().encode("pong")));
  };
  const ping = await a.loop.append(new TextEncoder().encode("ping"));
  await until(() => pongs.length === 1, "the pong to be appended");
  expect(await pongs[0]!).toBe(ping! + 1);
});
