// Proves the replay of the registrar's log entries (host/registry/replay.ts): a snapshot whose
// chunks are interleaved with later batches gives the same registry whether replay starts at the
// log's beginning (chunk 0 checked against the replayed state, S4) or at the snapshot (later
// batches held, then applied on top); a snapshot that does not match the replay, operations
// without their snapshot, and a log that begins with an incomplete snapshot are refused.
import { expect, test } from "bun:test";
import { encodeBatch, encodeOperation } from "../../host/registry/codec.ts";
import { RegistryCore } from "../../host/registry/core.ts";
import { operationsEntry, snapshotEntries } from "../../host/registry/entries.ts";
import { RegistryReplay } from "../../host/registry/replay.ts";
import { Section, type Operation } from "../../host/registry/types.ts";

const admit = (n: number): Operation => ({
  type: "ADMIT_SLAVE",
  info: { id: { value: `S${n}` }, hostname: `agent-${n}.example.com`, port: 5051, attributes: [{ name: "rack", type: "TEXT", text: { value: `r${n % 7}` } }] },
});
const batch = (from: number, count: number) => encodeBatch(Array.from({ length: count }, (_, i) => encodeOperation(admit(from + i))));

/** The log a leader writes: B0, B1, then a snapshot's chunks each ahead of one more batch. */
function leaderLog(): { entries: Uint8Array[]; expected: Uint8Array; chunks: number } {
  const leader = new RegistryCore();
  const entries: Uint8Array[] = [];
  const write = (b: Uint8Array) => {
    leader.apply(b);
    entries.push(operationsEntry(b));
  };
  write(batch(0, 2500));
  write(batch(2500, 2500));
  const chunks = snapshotEntries(leader.snapshot(Section.ALL));
  expect(chunks.length).toBeGreaterThan(2);
  chunks.forEach((chunk, i) => {
    entries.push(chunk);
    write(batch(10_000 + i * 10, 10));
  });
  return { entries, expected: leader.snapshot(Section.ALL), chunks: chunks.length };
}

function replayed(entries: Uint8Array[], at_log_beginning: boolean): { core: RegistryCore; replay: RegistryReplay } {
  const core = new RegistryCore();
  const replay = new RegistryReplay(core);
  replay.start(at_log_beginning);
  for (const e of entries) replay.apply(e);
  return { core, replay };
}

test("from the log's beginning: chunk 0 matches the replayed state, and every batch applies", () => {
  const { entries, expected } = leaderLog();
  const { core, replay } = replayed(entries, true);
  expect(replay.known).toBe(true);
  expect(core.snapshot(Section.ALL)).toEqual(expected);
});

test("from a truncated log: batches between the chunks wait for the last chunk, then apply on top", () => {
  const { entries, expected } = leaderLog();
  const truncated = entries.slice(2); // the log truncated to chunk 0
  const core = new RegistryCore();
  const replay = new RegistryReplay(core);
  replay.start(false);
  for (const [i, e] of truncated.entries()) {
    replay.apply(e);
    if (i < truncated.length - 2) expect(replay.known).toBe(false);
  }
  expect(replay.known).toBe(true);
  expect(core.snapshot(Section.ALL)).toEqual(expected);
});

test("a snapshot that differs from the replayed state is refused (S4)", () => {
  const { entries } = leaderLog();
  const other = new RegistryCore();
  other.apply(batch(0, 2499));
  const forged = snapshotEntries(other.snapshot(Section.ALL))[0]!;
  expect(() => replayed([entries[0]!, entries[1]!, forged], true)).toThrow("(S4)");
});

test("operations without their snapshot, and a log that begins with an incomplete snapshot, give no registry", () => {
  const { entries } = leaderLog();
  expect(() => replayed([entries[3]!], false)).toThrow("without the snapshot they follow");
  const incomplete = replayed(entries.slice(2, 4), false);
  expect(incomplete.replay.known).toBe(false);
  expect(() => replayed([entries[3]!, entries[2]!], false)).toThrow("without the snapshot they follow");
});
