// Benchmark of the replicated log core: three replicas and one coordinator in one process,
// messages carried in memory (no network, no fsync), 100-byte appends. The writer keeps a
// window of appends outstanding, so rounds batch and pipeline as they would under load.
// Two runs: each replica persisting its batches into the in-memory store
// (host/storage/memory.ts, never synced to a disk), then the core and message passing alone
// (persist batches discarded). Prints a table, then as its last line one JSON object with
// units in the names. BENCH_APPENDS sets the number of appends per run.
import { LogCore, BROADCAST, NoticeKind, ResultStatus, type ReadyBatch } from "../../host/core.ts";
import { MemoryStore } from "../../host/storage/memory.ts";
import { encodeRecord, Kind, Status } from "../../host/codec/index.ts";

const APPENDS = Number(process.env.BENCH_APPENDS ?? 1_000_000);
const PAYLOAD_BYTES = 100;
const OUTSTANDING = 8192; // appends submitted but not yet acknowledged
const TRUNCATE_EVERY = 100_000; // keep the log (and memory) bounded, as the registry does
const ARENA_CHUNK_BYTES = 16 << 20; // copies of persisted batches and messages in flight

interface Run {
  store: "memory" | "none";
  appends: number;
  seconds: number;
  learned: number;
}

/** One cluster's life: elect node 1, then keep OUTSTANDING appends in flight until done. */
function run(store: "memory" | "none"): Run {
  const ids = [1, 2, 3];
  const stores = ids.map(() => new MemoryStore());
  const voting = encodeRecord({ kind: Kind.Metadata, status: Status.VOTING, promised: 0, fenceProposal: 0, fencePosition: 0 });
  const cores = ids.map((id) => {
    const core = new LogCore({ nodeId: id, quorum: 2, replicas: ids, autoInitialize: false, seed: id });
    core.restore(voting);
    core.start();
    return core;
  });
  const inbox: { to: number; from: number; bytes: Uint8Array }[] = [];
  const state = { acked: 0, learned: 0, lastPosition: 0, elected: false };

  // Batches are read in place (readyView): what outlives advance() is copied, as a real
  // disk write and socket send copy it: the persisted records and each message in flight.
  // Copies go into large shared chunks (16 MiB) (as a page cache or socket buffer would take them)
  // instead of one fresh buffer each; a chunk is freed when nothing refers into it.
  const arena = { chunk: new Uint8Array(0), used: 0 };
  const copy = (bytes: Uint8Array): Uint8Array => {
    if (bytes.length > ARENA_CHUNK_BYTES / 4) return bytes.slice();
    if (arena.used + bytes.length > arena.chunk.length) {
      arena.chunk = new Uint8Array(ARENA_CHUNK_BYTES);
      arena.used = 0;
    }
    const at = arena.used;
    arena.chunk.set(bytes, at);
    arena.used += bytes.length;
    return arena.chunk.subarray(at, at + bytes.length);
  };
  const carry = (index: number, batch: ReadyBatch): void => {
    if (store === "memory") stores[index]!.persist(copy(batch.persist), batch.mustSync);
    const from = ids[index]!;
    for (const m of batch.messages) {
      const bytes = copy(m.bytes);
      if (m.to !== BROADCAST) inbox.push({ to: m.to, from, bytes });
      else for (const to of ids) if (to !== from) inbox.push({ to, from, bytes });
    }
    state.learned += batch.learned.length;
    for (const r of batch.results) {
      if (r.status !== ResultStatus.Ok) throw new Error(`request ${r.requestId} answered ${r.status}`);
      state.acked++;
      state.lastPosition = Math.max(state.lastPosition, r.position);
    }
    if (batch.notices.some((n) => n.kind === NoticeKind.Elected)) state.elected = true;
  };
  const pump = (index: number): void => {
    const core = cores[index]!;
    for (let batch = core.readyView(); batch; batch = core.readyView()) {
      carry(index, batch);
      core.advance();
    }
  };
  const deliver = (): void => {
    while (inbox.length > 0) {
      for (const m of inbox.splice(0, inbox.length)) {
        const code = cores[m.to - 1]!.receive(m.from, m.bytes);
        if (code !== 0) throw new Error(`receive returned ${code}`);
      }
      for (let i = 0; i < cores.length; i++) pump(i);
    }
  };

  cores[0]!.elect();
  pump(0);
  deliver();
  if (!state.elected) throw new Error("no coordinator elected");
  const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x61);
  let submitted = 0;
  let truncatedAt = 0;
  const started = performance.now();
  while (state.acked < APPENDS) {
    const room = Math.min(OUTSTANDING - (submitted - state.acked), APPENDS - submitted);
    for (let i = 0; i < room; i++) {
      const code = cores[0]!.append(++submitted, payload);
      if (code !== 0) throw new Error(`append returned ${code}`);
    }
    if (state.acked - truncatedAt >= TRUNCATE_EVERY) {
      truncatedAt = state.acked;
      cores[0]!.truncate(++submitted, state.lastPosition - 1000); // answered like an append
    }
    pump(0);
    deliver();
  }
  return { store, appends: state.acked, seconds: (performance.now() - started) / 1000, learned: state.learned };
}

const runs = [run("memory"), run("none")];
const perSecond = (r: Run) => Math.round(r.appends / r.seconds);
const costMicros = (r: Run) => (r.seconds * 1e6) / r.appends;
console.log(`3 replicas (quorum 2), 1 coordinator, in-memory network, no fsync, ${PAYLOAD_BYTES}-byte appends`);
console.log(`${"run".padEnd(34)} ${"appends".padStart(9)} ${"seconds".padStart(8)} ${"appends/s".padStart(11)} ${"µs/append".padStart(10)}`);
for (const r of runs) {
  const name = r.store === "memory" ? "core + in-memory store" : "core only (persist discarded)";
  console.log(
    `${name.padEnd(34)} ${String(r.appends).padStart(9)} ${r.seconds.toFixed(2).padStart(8)} ` +
      `${perSecond(r).toLocaleString("en-US").padStart(11)} ${costMicros(r).toFixed(2).padStart(10)}`,
  );
}
const [stored, bare] = runs as [Run, Run];
console.log(
  JSON.stringify({
    appends_per_s: perSecond(stored),
    append_cost_us: Number(costMicros(stored).toFixed(3)),
    core_only_appends_per_s: perSecond(bare),
    core_only_append_cost_us: Number(costMicros(bare).toFixed(3)),
    appends: stored.appends,
    payload_bytes: PAYLOAD_BYTES,
  }),
);
