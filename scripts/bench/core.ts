// Benchmark of the replicated log core: three replicas and one coordinator in one process,
// messages carried in memory (no network, no fsync), 100-byte appends. The writer keeps a
// window of appends outstanding, so rounds batch and pipeline as they would under load.
// Each replica persists its batches into the in-memory store (host/storage/memory.ts);
// BENCH_STORE=none discards them instead, to see the core and message passing alone.
// Prints a table, then as its last line one JSON object with units in the names.
import { LogCore, BROADCAST, type ReadyBatch } from "../../host/core.ts";
import { MemoryStore } from "../../host/storage/memory.ts";
import { encodeRecord, Kind, Status } from "../../host/codec/index.ts";

const APPENDS = Number(process.env.BENCH_APPENDS ?? 1_000_000);
const PAYLOAD_BYTES = 100;
const OUTSTANDING = 8192; // appends submitted but not yet acknowledged
const TRUNCATE_EVERY = 100_000; // keep the log (and memory) bounded, as the registry does
const STORE = process.env.BENCH_STORE === "none" ? "none" : "memory";

const ids = [1, 2, 3];
const stores = ids.map(() => new MemoryStore());
for (const store of stores) {
  store.persist(encodeRecord({ kind: Kind.Metadata, status: Status.VOTING, promised: 0, fenceProposal: 0, fencePosition: 0 }), true);
}
const cores = ids.map((id, i) => {
  const core = new LogCore({ nodeId: id, quorum: 2, replicas: ids, autoInitialize: false, seed: id });
  for (const blob of stores[i]!.load()) core.restore(blob);
  core.start();
  return core;
});
const inbox: { to: number; from: number; bytes: Uint8Array }[] = [];
let acked = 0;
let learned = 0;
let lastPosition = 0;
let elected = false;

function carry(index: number, batch: ReadyBatch): void {
  if (STORE === "memory") stores[index]!.persist(batch.persist, batch.mustSync);
  const from = ids[index]!;
  for (const m of batch.messages) {
    if (m.to === BROADCAST) for (const to of ids) { if (to !== from) inbox.push({ to, from, bytes: m.bytes }); }
    else inbox.push({ to: m.to, from, bytes: m.bytes });
  }
  learned += batch.learned.length;
  for (const r of batch.results) {
    if (r.status !== 1) throw new Error(`append ${r.requestId} answered ${r.status}`);
    acked++;
    lastPosition = Math.max(lastPosition, r.position);
  }
  if (batch.notices.some((n) => n.kind === 2)) elected = true;
}

function pump(index: number): void {
  const core = cores[index]!;
  for (let batch = core.ready(); batch; batch = core.ready()) {
    carry(index, batch);
    core.advance();
  }
}

function deliver(): void {
  while (inbox.length > 0) {
    const pending = inbox.splice(0, inbox.length);
    for (const m of pending) {
      const code = cores[m.to - 1]!.receive(m.from, m.bytes);
      if (code !== 0) throw new Error(`receive returned ${code}`);
    }
    for (let i = 0; i < cores.length; i++) pump(i);
  }
}

cores[0]!.elect();
pump(0);
deliver();
if (!elected) throw new Error("no coordinator elected");

const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x61);
let submitted = 0;
let truncatedAt = 0;
const started = performance.now();
while (acked < APPENDS) {
  const room = Math.min(OUTSTANDING - (submitted - acked), APPENDS - submitted);
  for (let i = 0; i < room; i++) {
    const code = cores[0]!.append(++submitted, payload);
    if (code !== 0) throw new Error(`append returned ${code}`);
  }
  if (acked - truncatedAt >= TRUNCATE_EVERY) {
    truncatedAt = acked;
    cores[0]!.truncate(0x7fffffff, lastPosition - 1000);
    submitted++; // the truncate is answered like an append
  }
  pump(0);
  deliver();
}
const seconds = (performance.now() - started) / 1000;

const appendsPerSecond = Math.round(acked / seconds);
const costMicros = (seconds * 1e6) / acked;
const rows = [
  ["appends", String(acked)],
  ["payload", `${PAYLOAD_BYTES} B`],
  ["replicas", "3 (quorum 2), 1 coordinator, in-memory network, no fsync"],
  ["store", STORE === "memory" ? "in-memory store (persisted, never synced to disk)" : "none (persist discarded)"],
  ["elapsed", `${seconds.toFixed(2)} s`],
  ["appends/s", appendsPerSecond.toLocaleString("en-US")],
  ["cost per append", `${costMicros.toFixed(2)} µs`],
  ["learned entries applied", String(learned)],
];
for (const [k, v] of rows) console.log(`${k!.padEnd(24)} ${v}`);
console.log(JSON.stringify({ appends_per_s: appendsPerSecond, append_cost_us: Number(costMicros.toFixed(3)), appends: acked, payload_bytes: PAYLOAD_BYTES, store: STORE }));
