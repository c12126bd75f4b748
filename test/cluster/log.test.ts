// Proves the replicated log survives what real machines do, with real processes of the built
// binary, real SQLite files and real sockets: SIGKILL of a replica and of the writer mid-run
// (every acknowledged append stays at its position on every replica; restarted replicas catch
// up: S1, S3, L2), two of three down (nothing acknowledged, nothing lost, resumes), a wiped
// replica (non-voting until caught up; never votes with one VOTING peer), auto-initialisation
// only with all replicas, a flipped byte never read back, and a SIGSTOPped writer superseded
// by another having no write accepted after SIGCONT (S7).
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Ack, LogCluster, until } from "../helpers/log_cluster.ts";
import { BINARY, start } from "../helpers/process.ts";

setDefaultTimeout(90_000);

let cluster: LogCluster | null = null;
afterEach(() => {
  cluster?.destroy();
  cluster = null;
});

const maxPosition = (acks: Ack[]) => acks.reduce((m, a) => Math.max(m, a.position), 0);

/** Waits until each listed replica reports VOTING (registrar/log/recovered = 1). */
async function allVoting(c: LogCluster, replicas: number[]): Promise<void> {
  await until(async () => (await Promise.all(replicas.map((i) => c.recovered(i)))).every((r) => r === 1), `replicas ${replicas.join(", ")} to vote`);
}

/** Waits for a process and expects status 0, showing its last stderr lines otherwise. */
async function expectSuccess(running: { exited: Promise<number>; stderr: () => string }): Promise<void> {
  const status = await running.exited;
  expect({ status, stderr: status === 0 ? "" : running.stderr().split("\n").slice(-4).join("\n") }).toEqual({ status: 0, stderr: "" });
}

/** Every replica has [1, to] learned, identically, and holds every acknowledged position. */
async function expectAgreement(c: LogCluster, replicas: number[], to: number, acks: Ack[]): Promise<void> {
  const reads = await Promise.all(replicas.map((i) => c.read(i, 1, to)));
  for (const [k, r] of reads.entries()) expect({ replica: replicas[k], status: r.status, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ replica: replicas[k], status: 0, stderr: "" });
  const first = reads[0]!.entries;
  for (const r of reads.slice(1)) expect(r.entries).toEqual(first);
  for (const ack of acks) {
    const entry = first.get(ack.position);
    expect(entry).toBeDefined();
    expect(entry).toContain("type: APPEND");
  }
}

test("SIGKILL a replica, then the writer, mid-run: acknowledged appends survive everywhere; restarted replicas catch up", async () => {
  const c = (cluster = await LogCluster.create());
  c.startReplica(1);
  c.startReplica(2);
  const w1 = c.startWriter(0, 1_000_000);
  await until(() => c.acks(w1.output).length >= 200, "200 acknowledged appends");
  await allVoting(c, [0, 1, 2]); // after auto-initialisation one replica may still be STARTING
  c.kill(1);
  await c.stopped(1);
  const before = c.acks(w1.output).length;
  await until(() => c.acks(w1.output).length >= before + 200, "progress with replica 1 down");
  c.startReplica(1);
  await until(() => c.acks(w1.output).length >= before + 400, "progress after replica 1 restarts");
  c.kill(0); // the writer, holding the coordinator
  await c.stopped(0);
  const acked = c.acks(w1.output);
  const top = maxPosition(acked);
  // A new writer elects on replica 2 (filling what it missed) and appends past the old end, so
  // the reader catch-up of the others covers every acknowledged position.
  c.kill(2);
  await c.stopped(2);
  const w2 = c.startWriter(2, 20, 1);
  await expectSuccess(w2.running);
  c.startReplica(0);
  c.startReplica(2);
  await until(async () => (await c.read(0, 1, top)).status === 0 && (await c.read(1, 1, top)).status === 0, "replicas 0 and 1 to catch up");
  await expectAgreement(c, [0, 1, 2], top, acked);
});

test("two of three replicas down: nothing is acknowledged or lost, and appends resume when one returns", async () => {
  const c = (cluster = await LogCluster.create());
  c.startReplica(1);
  c.startReplica(2);
  const w = c.startWriter(0, 1_000_000);
  await until(() => c.acks(w.output).length >= 100, "100 acknowledged appends");
  await allVoting(c, [0, 1, 2]);
  c.kill(1);
  c.kill(2);
  await Promise.all([c.stopped(1), c.stopped(2)]);
  await Bun.sleep(200); // the writer's output is flushed every 50 ms
  const stalled = c.acks(w.output).length;
  await Bun.sleep(1500);
  expect(c.acks(w.output).length).toBe(stalled); // no quorum, no acknowledgement
  c.startReplica(1);
  await until(() => c.acks(w.output).length >= stalled + 100, "appends to resume with a quorum back");
  const acks = c.acks(w.output);
  const top = maxPosition(acks);
  // While the writer runs (a quorum with replica 1), replica 1 catches up what it missed.
  await until(async () => (await c.read(1, 1, top - 1)).status === 0, "replica 1 to hold what was acknowledged");
  const held = await c.read(1, 1, top - 1);
  for (const ack of acks) if (ack.position < top) expect(held.entries.has(ack.position)).toBe(true);
});

test("a wiped replica stays non-voting until it caught up from a VOTING quorum; with one VOTING peer it never votes", async () => {
  const c = (cluster = await LogCluster.create());
  c.startReplica(1);
  c.startReplica(2);
  const w = c.startWriter(0, 200, 4);
  await expectSuccess(w.running);
  const top = maxPosition(c.acks(w.output));
  c.startReplica(0);
  await allVoting(c, [0, 1, 2]);
  await until(async () => (await c.read(1, 1, top - 1)).status === 0 && (await c.read(2, 1, top - 1)).status === 0, "replicas to hold the log");
  c.kill(0);
  c.kill(1);
  c.kill(2);
  await Promise.all([c.stopped(0), c.stopped(1), c.stopped(2)]);
  rmSync(c.path(1), { recursive: true, force: true });
  // Replica 0 is VOTING, 1 is wiped (EMPTY), 2 is down: one VOTING reply is not a quorum.
  c.startReplica(0);
  c.startReplica(1);
  await until(async () => (await c.recovered(1)) !== null, "replica 1 to serve metrics");
  for (let i = 0; i < 15; i++) {
    expect(await c.recovered(1)).toBe(0);
    await Bun.sleep(100);
  }
  c.startReplica(2);
  await until(async () => (await c.recovered(1)) === 1, "replica 1 to recover once two peers vote");
  await until(async () => (await c.read(1, 1, top)).status === 0, "replica 1 to hold the log");
  await expectAgreement(c, [0, 1, 2], top, c.acks(w.output));
});

test("a brand-new log initialises only with all 2*quorum-1 replicas; the first append lands at position 1", async () => {
  const c = (cluster = await LogCluster.create());
  c.startReplica(1);
  c.startReplica(2);
  await until(async () => (await c.recovered(1)) !== null && (await c.recovered(2)) !== null, "replicas to serve metrics");
  for (let i = 0; i < 10; i++) {
    expect([await c.recovered(1), await c.recovered(2)]).toEqual([0, 0]);
    await Bun.sleep(100);
  }
  const w = c.startWriter(0, 5, 1);
  await expectSuccess(w.running);
  expect(c.acks(w.output).map((a) => a.position)).toEqual([1, 2, 3, 4, 5]);
  const position0 = await c.read(0, 0, 0);
  expect(position0.entries.get(0)).toContain("type: NOP");
});

/**
 * Writes `entries` from replica 0 (replicas 1 and 2 running), brings 0 back as a replica, waits
 * until replica 2 holds the log (it may still have been STARTING during a short run and catches
 * up once VOTING), stops it cleanly (which checkpoints the WAL into replica.db) and returns its file.
 */
async function stoppedReplicaFile(c: LogCluster, entries: number, concurrency: number): Promise<{ file: string; bytes: Buffer }> {
  c.startReplica(1);
  c.startReplica(2);
  const w = c.startWriter(0, entries, concurrency);
  await expectSuccess(w.running);
  c.startReplica(0);
  await until(async () => (await c.read(2, 1, entries - 1)).status === 0, "replica 2 to hold the log");
  c.kill(2, "SIGTERM");
  await c.stopped(2);
  const file = join(c.path(2), "replica.db");
  return { file, bytes: readFileSync(file) };
}

test("a flipped byte in a stored record is detected and never read back", async () => {
  const c = (cluster = await LogCluster.create());
  const { file, bytes } = await stoppedReplicaFile(c, 50, 1);
  // The ACTION frame of position 5: version 1, kind 2, body length 94 (64-byte payload), position 5.
  const header = Buffer.from([1, 2, 94, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0]);
  // SQLite may keep stale copies of a row in free pages: flip the payload of every copy, so the
  // live record is surely among them.
  let copies = 0;
  for (let at = bytes.indexOf(header); at >= 0; at = bytes.indexOf(header, at + 1)) {
    bytes[at + 50]! ^= 0x01;
    copies++;
  }
  expect(copies).toBeGreaterThan(0);
  writeFileSync(file, bytes);
  const read = await c.read(2, 1, 10);
  expect(read.status).toBe(1);
  expect(read.stderr).toMatch(/corrupt record at position 5|quick_check/);
  expect(read.entries.size).toBe(0);
});

test("a replica whose file has a damaged page mid-file moves it aside at restart and recovers from its peers (issue #14)", async () => {
  const c = (cluster = await LogCluster.create());
  const { file, bytes } = await stoppedReplicaFile(c, 2000, 16);
  const middle = Math.floor(bytes.length / 4096 / 2) * 4096;
  expect(middle).toBeGreaterThan(4096);
  for (let i = middle - 128; i < middle + 128; i++) bytes[i]! ^= 0x5a;
  writeFileSync(file, bytes);
  const restarted = c.startReplica(2);
  await until(async () => (await c.recovered(2)) === 1, "the restarted replica to vote again");
  expect(restarted.stderr()).toMatch(/corrupt .*moved it to .*replica\.db\.corrupt-\d+ and starting EMPTY/);
  expect(readdirSync(c.path(2)).some((f) => /^replica\.db\.corrupt-\d+$/.test(f))).toBe(true);
  // It caught up from its peers: what it serves equals what replica 1 holds.
  await until(async () => (await c.read(2, 1, 1998)).status === 0, "the restarted replica to learn the log again");
  expect((await c.read(2, 1, 1998)).entries).toEqual((await c.read(1, 1, 1998)).entries);
});

test("a SIGSTOPped writer superseded by another has no write accepted after SIGCONT (S7)", async () => {
  const c = (cluster = await LogCluster.create());
  c.startReplica(1);
  c.startReplica(2);
  const w1 = c.startWriter(0, 1_000_000);
  await until(() => c.acks(w1.output).length >= 100, "100 acknowledged appends");
  await allVoting(c, [0, 1, 2]);
  c.kill(0, "SIGSTOP");
  c.kill(1);
  await c.stopped(1);
  const w2 = c.startWriter(1, 50, 1);
  await expectSuccess(w2.running);
  const elected = /Elected as the writer at position (\d+)/.exec(w2.running.stdout())?.[1];
  expect(elected).toBeDefined();
  const e = Number(elected);
  c.kill(0, "SIGCONT");
  expect(await c.processes.get(0)!.exited).toBe(1);
  expect(c.processes.get(0)!.stderr()).toContain("returned none");
  for (const ack of c.acks(w1.output)) expect(ack.position).toBeLessThanOrEqual(e);
  for (const ack of c.acks(w2.output)) expect(ack.position).toBeGreaterThan(e);
  c.startReplica(1);
  await until(async () => (await c.read(2, 1, e)).status === 0, "replica 2 to hold the first writer's log");
  const second = await c.read(2, e + 1, maxPosition(c.acks(w2.output)) - 1);
  expect(second.status).toBe(0);
});

test("a replica takes its address from LIBPROCESS_IP and LIBPROCESS_PORT when --ip and --port are absent", async () => {
  const c = (cluster = await LogCluster.create());
  const port = c.ports[0]!;
  const replica = start([BINARY, "log", "replica", `--peers=${c.ports.map((p) => `127.0.0.1:${p}`).join(",")}`, "--quorum=2", `--path=${c.path(0)}`],
    { env: { LIBPROCESS_IP: "127.0.0.1", LIBPROCESS_PORT: String(port) } });
  c.processes.set(0, replica);
  await until(async () => (await c.recovered(0)) !== null, "the replica to listen on LIBPROCESS_PORT");
  expect(replica.stderr()).toContain(`Starting replica 127.0.0.1:${port} of 3`);
});
