// Proves the agent parses its flags as Mesos does: the --master forms, required flags, defaults, MESOS_ variables, and one-line errors naming the flag.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderFlags } from "../../host/flags.ts";
import { AGENT_FLAGS, type AgentFlags, parseAgentFlags } from "../../host/agent/flags.ts";
import { flagParser } from "../helpers/flags.ts";

const BASE = ["--master=127.0.0.1:5050", "--work_dir=/tmp/agent"];

const { parse, failure } = flagParser<AgentFlags>(parseAgentFlags, BASE);

describe("agent flags", () => {
  test("defaults", () => {
    const flags = parse([]);
    expect(flags.port).toBe(5051);
    expect(flags.registration_backoff_factor).toBe(1000);
    expect(flags.zk_session_timeout).toBe(10_000);
    expect(flags.hostname_lookup).toBe(true);
    expect(flags.resources).toBeUndefined();
  });
  test("--master forms: host:port, master@host:port, zk://, file://", () => {
    expect(parse([], {}, ["--work_dir=/w", "--master=m1.example.com:5050"]).master).toEqual({ kind: "static", host: "m1.example.com", port: 5050, text: "m1.example.com:5050" });
    expect(parse([], {}, ["--work_dir=/w", "--master=master@10.0.0.1:5050"]).master).toMatchObject({ kind: "static", host: "10.0.0.1", port: 5050 });
    const zk = parse([], {}, ["--work_dir=/w", "--master=zk://u:secret@h1:2181,h2:2181/mesos/"]).master;
    expect(zk).toMatchObject({ kind: "zk", url: { servers: "h1:2181,h2:2181", path: "/mesos" } });
    const dir = mkdtempSync(join(tmpdir(), "agent-flags-"));
    writeFileSync(join(dir, "master"), "zk://h1:2181/mesos\n");
    writeFileSync(join(dir, "static"), "10.0.0.2:5050");
    expect(parse([], {}, ["--work_dir=/w", `--master=file://${join(dir, "master")}`]).master).toMatchObject({ kind: "zk", url: { path: "/mesos" } });
    expect(parse([], {}, ["--work_dir=/w", `--master=file://${join(dir, "static")}`]).master).toMatchObject({ kind: "static", port: 5050 });
  });
  test("/flags hides the ZooKeeper password", () => {
    const flags = parse([], {}, ["--work_dir=/w", "--master=zk://u:secret@h1:2181/mesos"]);
    expect(renderFlags(AGENT_FLAGS, flags).master).toBe("zk://u:****@h1:2181/mesos");
  });
  test("resources, attributes and durations", () => {
    const flags = parse(["--resources=cpus:4;ports:[31000-32000]", "--attributes=rack:a;zone:1", "--registration_backoff_factor=100ms"]);
    expect(flags.resources?.length).toBe(2);
    expect(flags.attributes).toEqual([{ name: "rack", type: "TEXT", text: { value: "a" } }, { name: "zone", type: "SCALAR", scalar: { value: 1 } }]);
    expect(flags.registration_backoff_factor).toBe(100);
  });
  test("MESOS_ variables, the command line winning", () => {
    expect(parse([], { MESOS_PORT: "6000" }).port).toBe(6000);
    expect(parse(["--port=7000"], { MESOS_PORT: "6000" }).port).toBe(7000);
    expect(parse([], { MESOS_MASTER: "10.0.0.3:5050", MESOS_WORK_DIR: "/w" }, []).master).toMatchObject({ host: "10.0.0.3" });
  });
  test("errors are one line naming the flag", () => {
    expect(failure([], {}, ["--work_dir=/w"])).toMatch(/^Flag 'master' is required/);
    expect(failure([], {}, ["--master=h:1"])).toMatch(/^Flag 'work_dir' is required/);
    expect(failure(["--port=0"])).toMatch(/^Failed to load flag 'port': expected an integer in \[1, 65535\], got '0'$/);
    expect(failure(["--frobnicate=1"])).toBe("Failed to load unknown flag 'frobnicate'");
    expect(failure(["--master=nowhere"], {}, ["--work_dir=/w"])).toMatch(/^Failed to load flag 'master': expected zk:\/\//);
    expect(failure(["--master=zk://h1:2181//x"], {}, ["--work_dir=/w"])).toMatch(/^Failed to load flag 'master': expected a znode path/);
    expect(failure(["--master=file:///no/such/file"], {}, ["--work_dir=/w"])).toMatch(/^Failed to load flag 'master': expected a readable file/);
    expect(failure(["--resources=cpus:x"])).toMatch(/^Failed to load flag 'resources': expected resources like .*bad scalar/);
    expect(failure(["--attributes=rack"])).toMatch(/^Failed to load flag 'attributes': expected attributes like rack:a;zone:1/);
    expect(failure(["--ip=host"])).toMatch(/^Failed to load flag 'ip': expected an IPv4 address/);
    expect(failure(["--registration_backoff_factor=soon"])).toMatch(/^Failed to load flag 'registration_backoff_factor'/);
    expect(failure([], { MESOS_PORT: "x" })).toMatch(/^Failed to load flag 'port' from environment variable 'MESOS_PORT'/);
  });
  test("--help and --version", () => {
    expect(parseAgentFlags(["--help"], {}).kind).toBe("help");
    expect(parseAgentFlags(["--version"], {}).kind).toBe("version");
  });
});
