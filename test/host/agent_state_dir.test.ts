// Proves meta/slave.json round-trips the agent id and SlaveInfo, is replaced atomically, refuses torn content, and that a changed SlaveInfo is detected.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metaPath, readSlaveMeta, slaveInfoChanges, StateDirError, writeSlaveMeta } from "../../host/agent/state_dir.ts";

const info = { hostname: "a1", port: 5051, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 1 }, role: "*" }], attributes: [], checkpoint: true };

describe("meta/slave.json", () => {
  test("absent: a fresh agent", () => {
    expect(readSlaveMeta(mkdtempSync(join(tmpdir(), "agent-state-")))).toBeNull();
  });
  test("written and read back, replacing the previous one, no temporary left", () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-state-"));
    writeSlaveMeta(dir, { id: "M-S0", info: { ...info, id: { value: "M-S0" } } });
    writeSlaveMeta(dir, { id: "M-S1", info: { ...info, id: { value: "M-S1" } } });
    expect(readSlaveMeta(dir)).toEqual({ id: "M-S1", info: { ...info, id: { value: "M-S1" } } });
    expect(readdirSync(join(dir, "meta"))).toEqual(["slave.json"]);
  });
  test("unreadable or inconsistent content is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-state-"));
    mkdirSync(join(dir, "meta"));
    writeFileSync(metaPath(dir), "{\"id\":");
    expect(() => readSlaveMeta(dir)).toThrow(StateDirError);
    writeFileSync(metaPath(dir), JSON.stringify({ id: "A", info: { ...info, id: { value: "B" } } }));
    expect(() => readSlaveMeta(dir)).toThrow(/holds no agent id and SlaveInfo/);
    expect(existsSync(metaPath(dir))).toBe(true);
  });
  test("slaveInfoChanges names what differs", () => {
    const recovered = { ...info, id: { value: "X" } };
    expect(slaveInfoChanges(recovered, info)).toEqual([]);
    expect(slaveInfoChanges(recovered, { ...info, hostname: "a2", resources: [] })).toEqual(["hostname", "resources"]);
  });
});
