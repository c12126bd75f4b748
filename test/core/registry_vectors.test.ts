// Proves the registry's bytes are pinned: the TS codec encodes operations and batches, and the WASM core writes snapshots, exactly as test/fixtures/registry-vectors.json records.
import { describe, expect, test } from "bun:test";
import vectors from "../fixtures/registry-vectors.json";
import { RegistryCore } from "../../host/registry/core.ts";
import { decodeRegistry, encodeBatch, encodeOperation } from "../../host/registry/codec.ts";
import { crc32c, crc32cReference as referenceCrc } from "../../host/codec/crc32c.ts";
import type { Operation } from "../../host/registry/types.ts";

const golden = vectors as Record<string, string>;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The pinned operations: one of each layout family. */
const VECTOR_OPS: Record<string, Operation> = {
  "op.recover": { type: "RECOVER", master_info: { id: "m", port: 5050 } },
  "op.admit_slave": { type: "ADMIT_SLAVE", info: { id: { value: "S1" }, hostname: "h", resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 2 } }] } },
  "op.mark_slave_unreachable": { type: "MARK_SLAVE_UNREACHABLE", info: { id: { value: "S1" }, hostname: "h" }, time: { nanoseconds: 1_000_000_007 } },
  "op.prune": { type: "PRUNE", unreachable: ["S1"], gone: ["S2", "S3"] },
  "op.drain_agent": { type: "DRAIN_AGENT", id: "S1", max_grace_period: { nanoseconds: 60e9 }, mark_gone: true },
  "op.update_schedule": { type: "UPDATE_SCHEDULE", schedule: { windows: [{ machine_ids: [{ hostname: "m1", ip: "10.0.0.1" }, { ip: "10.0.0.2" }], unavailability: { start: { nanoseconds: 5 }, duration: { nanoseconds: 6 } } }] } },
  "op.update_quota": { type: "UPDATE_QUOTA", configs: [{ role: "r", guarantees: { mem: { value: 64 }, cpus: { value: 1.5 } }, limits: { cpus: { value: 2 } } }] },
  "op.update_weights": { type: "UPDATE_WEIGHTS", weights: [{ role: "r", weight: 2.5 }] },
};

const BATCH = ["op.recover", "op.admit_slave", "op.drain_agent", "op.update_schedule", "op.update_quota", "op.update_weights"];

describe("registry golden vectors", () => {
  test("the codec's slicing-by-8 CRC-32C agrees with the reference at every length and offset", () => {
    const bytes = Uint8Array.from({ length: 80 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let start = 0; start < 8; start++) {
      for (let end = start; end <= bytes.length; end++) expect(crc32c(bytes, start, end)).toBe(referenceCrc(bytes, start, end));
    }
  });

  test("operations encode to the pinned bytes", () => {
    for (const [name, op] of Object.entries(VECTOR_OPS)) expect(`${name}:${hex(encodeOperation(op))}`).toBe(`${name}:${golden[name]}`);
  });

  test("a batch encodes to the pinned bytes and the core's snapshot after it is pinned too", () => {
    const batch = encodeBatch(BATCH.map((name) => encodeOperation(VECTOR_OPS[name]!)));
    expect(hex(batch)).toBe(golden["batch.small"]!);
    const core = new RegistryCore();
    expect([...core.apply(batch)]).toEqual([1, 1, 1, 1, 1, 1]);
    const snapshot = core.snapshot();
    expect(hex(snapshot)).toBe(golden["snapshot.small"]!);
    expect(decodeRegistry(snapshot).slaves?.slaves[0]?.drain_info).toEqual({ state: "DRAINING", config: { mark_gone: true, max_grace_period: { nanoseconds: 60e9 } } });
  });

  test("the pinned snapshot restores into an equal registry", () => {
    const core = new RegistryCore();
    core.restore(Buffer.from(golden["snapshot.small"]!, "hex"));
    expect(hex(core.snapshot())).toBe(golden["snapshot.small"]!);
  });
});
