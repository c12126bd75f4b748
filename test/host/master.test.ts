// Proves MasterInfo is encoded as Mesos encodes it and that leadership changes follow
// mesos-spec §2.5 (a leader that sees another leader or none exits 1).
import { describe, expect, test } from "bun:test";
import { ipToMesosUint32 } from "../../host/net/address.ts";
import { makeMasterInfo, masterInfoJson } from "../../host/master/info.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";

describe("MasterInfo", () => {
  test("ip is network byte order read as a host integer", () => {
    expect(ipToMesosUint32("10.0.0.1")).toBe(16777226);
    expect(ipToMesosUint32("127.0.1.1")).toBe(16842879);
    expect(ipToMesosUint32("255.255.255.255")).toBe(4294967295);
    expect(() => ipToMesosUint32("10.0.0")).toThrow();
  });

  test("fields, pid and a fresh UUID per start", () => {
    const a = makeMasterInfo("10.0.0.1", 5050, "m1.example.com");
    const b = makeMasterInfo("10.0.0.1", 5050, "m1.example.com");
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.pid).toBe("master@10.0.0.1:5050");
    expect(a.address).toEqual({ hostname: "m1.example.com", ip: "10.0.0.1", port: 5050 });
  });

  test("JSON keys are sorted at every level, as stout writes them", () => {
    const info = makeMasterInfo("10.0.0.1", 5050, "m1.example.com");
    const text = masterInfoJson(info);
    expect(text).toBe(
      `{"address":{"hostname":"m1.example.com","ip":"10.0.0.1","port":5050},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{"type":"QUOTA_V2"}],"hostname":"m1.example.com","id":"${info.id}","ip":16777226,"pid":"master@10.0.0.1:5050","port":5050,"version":"1.12.0"}`,
    );
  });
});

describe("leadership", () => {
  test("standalone self-detection elects and records the time", () => {
    const master = testMaster();
    expect(master.elected()).toBe(false);
    expect(master.electedTimeMs()).toBeNull();
    master.detected(master.info);
    expect(master.elected()).toBe(true);
    expect(master.electedTimeMs()).not.toBeNull();
  });

  test("a leader that detects another leader exits 1", () => {
    const exits: number[] = [];
    const master = testMaster([], exits);
    master.detected(master.info);
    expect(() => master.detected(otherMaster())).toThrow("exit 1");
    expect(exits).toEqual([1]);
  });

  test("a leader that detects no leader exits 1", () => {
    const exits: number[] = [];
    const master = testMaster([], exits);
    master.detected(master.info);
    expect(() => master.detected(null)).toThrow("exit 1");
    expect(exits).toEqual([1]);
  });

  test("a standby follows leader changes without exiting", () => {
    const exits: number[] = [];
    const master = testMaster([], exits);
    master.detected(otherMaster());
    master.detected(null);
    master.detected(otherMaster("m3.example.com"));
    expect(master.leader()?.hostname).toBe("m3.example.com");
    master.detected(master.info);
    expect(master.elected()).toBe(true);
    expect(exits).toEqual([]);
  });
});
