// Proves the master parses flags as Mesos does: forms, env precedence, durations, ranges, the
// cross-flag rules, and that every error is one line naming the flag and what was expected.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatDuration, parseDuration } from "../../host/duration.ts";
import { helpText, renderFlags } from "../../host/flags.ts";
import { MASTER_FLAGS, type MasterFlags, parseMasterFlags } from "../../host/master/flags.ts";
import { flagParser } from "../helpers/flags.ts";

const BASE = ["--work_dir=/tmp/x"];

const { parse, failure } = flagParser<MasterFlags>(parseMasterFlags, BASE);

describe("durations", () => {
  test("parse every stout unit", () => {
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("10secs")).toBe(10_000);
    expect(parseDuration("1mins")).toBe(60_000);
    expect(parseDuration("2hrs")).toBe(7_200_000);
    expect(parseDuration("3days")).toBe(259_200_000);
    expect(parseDuration("2weeks")).toBe(1_209_600_000);
    expect(parseDuration("1.5secs")).toBe(1500);
    expect(parseDuration("250us")).toBe(0.25);
    expect(parseDuration("10ns")).toBeCloseTo(1e-5);
  });
  test("reject what is not a duration", () => {
    for (const bad of ["10", "secs", "10 secs", "10s", "10sec", "1.secs", "ten secs", ""]) expect(parseDuration(bad)).toBeNull();
  });
  test("format in the largest whole unit, as stout prints", () => {
    expect(formatDuration(10_000)).toBe("10secs");
    expect(formatDuration(60_000)).toBe("1mins");
    expect(formatDuration(90_000)).toBe("1.5mins");
    expect(formatDuration(1_209_600_000)).toBe("2weeks");
    expect(formatDuration(500)).toBe("500ms");
    expect(formatDuration(15 * 60_000)).toBe("15mins");
  });
});

describe("forms", () => {
  test("defaults follow Mesos", () => {
    const f = parse([]);
    expect(f.port).toBe(5050);
    expect(f.registry).toBe("replicated_log");
    expect(f.zk_session_timeout).toBe(10_000);
    expect(f.registry_fetch_timeout).toBe(60_000);
    expect(f.registry_store_timeout).toBe(20_000);
    expect(f.agent_ping_timeout).toBe(15_000);
    expect(f.max_agent_ping_timeouts).toBe(5);
    expect(f.agent_reregister_timeout).toBe(600_000);
    expect(f.recovery_agent_removal_limit).toBe(1);
    expect(f.registry_gc_interval).toBe(900_000);
    expect(f.registry_max_agent_age).toBe(1_209_600_000);
    expect(f.registry_max_agent_count).toBe(102_400);
    expect(f.log_auto_initialize).toBe(true);
    expect(f.hostname_lookup).toBe(true);
    expect(f.require_agent_domain).toBe(false);
    expect(f.quorum).toBeUndefined();
    expect(f.zk).toBeUndefined();
  });
  test("--name=value, --name and --no-name for booleans", () => {
    expect(parse(["--port=6000"]).port).toBe(6000);
    expect(parse(["--no-hostname_lookup"]).hostname_lookup).toBe(false);
    expect(parse(["--hostname_lookup=false", "--log_auto_initialize"]).hostname_lookup).toBe(false);
    expect(parse(["--no-log_auto_initialize"]).log_auto_initialize).toBe(false);
    expect(parse(["--log_auto_initialize=true"]).log_auto_initialize).toBe(true);
  });
  test("aliases set the canonical flag", () => {
    expect(parse(["--slave_ping_timeout=30secs"]).agent_ping_timeout).toBe(30_000);
    expect(parse(["--max_slave_ping_timeouts=3"]).max_agent_ping_timeouts).toBe(3);
    expect(parse(["--recovery_slave_removal_limit=50%"]).recovery_agent_removal_limit).toBe(0.5);
    expect(parse(["--slave_removal_rate_limit=1/10mins"]).agent_removal_rate_limit).toEqual({ agents: 1, per_ms: 600_000, text: "1/10mins" });
    expect(parse(["--registry=log_storage"]).registry).toBe("replicated_log");
  });
  test("MESOS_ environment variables, the command line wins", () => {
    expect(parse([], { MESOS_PORT: "7000" }).port).toBe(7000);
    expect(parse(["--port=7001"], { MESOS_PORT: "7000" }).port).toBe(7001);
    expect(parse([], { MESOS_HOSTNAME_LOOKUP: "false" }).hostname_lookup).toBe(false);
    expect(parse([], { MESOS_SLAVE_PING_TIMEOUT: "2secs" }).agent_ping_timeout).toBe(2000);
    expect(parse([], { MESOS_UNRELATED_THING: "x" }).port).toBe(5050);
    const env = parseMasterFlags([], { MESOS_WORK_DIR: "/tmp/w" });
    expect(env.kind === "flags" && env.values.work_dir).toBe("/tmp/w");
  });
  test("LIBPROCESS_IP is honoured when --ip is absent", () => {
    expect(parse([], { LIBPROCESS_IP: "127.0.0.2" }).ip).toBe("127.0.0.2");
    expect(parse(["--ip=127.0.0.3"], { LIBPROCESS_IP: "127.0.0.2" }).ip).toBe("127.0.0.3");
  });
  test("--help and --version win over everything else", () => {
    expect(parseMasterFlags(["--bogus", "--help"], {}).kind).toBe("help");
    expect(parseMasterFlags(["--version"], {}).kind).toBe("version");
  });
  test("zk URLs: servers, path, credentials, file://", () => {
    const f = parse(["--zk=zk://u:secret@h1:2181,h2:2182/mesos/", "--quorum=2"]);
    expect(f.zk).toMatchObject({ servers: "h1:2181,h2:2182", path: "/mesos", credentials: { user: "u", password: "secret" } });
    expect(renderFlags(MASTER_FLAGS, f).zk).toBe("zk://u:****@h1:2181,h2:2182/mesos/");
    const dir = mkdtempSync(join(tmpdir(), "zkfile-"));
    writeFileSync(join(dir, "zk"), "zk://10.0.0.1:2181/mesos\n");
    const fromFile = parse([`--zk=file://${join(dir, "zk")}`, "--quorum=1"]);
    rmSync(dir, { recursive: true });
    expect(fromFile.zk).toMatchObject({ servers: "10.0.0.1:2181", path: "/mesos" });
  });
});

describe("errors name the flag and what was expected", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus=1"], /unknown flag 'bogus'/],
    [["--no-bogus"], /unknown flag 'no-bogus'/],
    [["--port=abc"], /flag 'port'.*expected an integer in \[1, 65535\], got 'abc'/],
    [["--port=0"], /flag 'port'.*expected an integer in \[1, 65535\]/],
    [["--port=70000"], /flag 'port'/],
    [["--port"], /non-boolean flag 'port'.*expected --port=VALUE/],
    [["--no-port"], /non-boolean flag 'port'/],
    [["--hostname_lookup=maybe"], /flag 'hostname_lookup'.*expected true or false/],
    [["--no-hostname_lookup=true"], /flag 'hostname_lookup'/],
    [["--port=1", "--port=2"], /'port' is given more than once/],
    [["--agent_ping_timeout=1", "--port=1"], /flag 'agent_ping_timeout'.*expected a duration like/],
    [["--agent_ping_timeout=500ms"], /flag 'agent_ping_timeout'.*in \[1secs, 15mins\]/],
    [["--agent_ping_timeout=16mins"], /flag 'agent_ping_timeout'/],
    [["--agent_reregister_timeout=9mins"], /flag 'agent_reregister_timeout'.*>= 10mins/],
    [["--max_agent_ping_timeouts=0"], /flag 'max_agent_ping_timeouts'/],
    [["--recovery_agent_removal_limit=101%"], /flag 'recovery_agent_removal_limit'.*percentage/],
    [["--recovery_agent_removal_limit=50"], /flag 'recovery_agent_removal_limit'/],
    [["--agent_removal_rate_limit=fast"], /flag 'agent_removal_rate_limit'.*1\/10mins/],
    [["--registry=leveldb"], /flag 'registry'.*one of replicated_log, in_memory/],
    [["--registry_strict"], /flag 'registry_strict'/],
    [["--ip=localhost"], /flag 'ip'.*IPv4/],
    [["--advertise_ip=1.2.3"], /flag 'advertise_ip'/],
    [["--advertise_port=0"], /flag 'advertise_port'/],
    [["--quorum=0"], /flag 'quorum'/],
    [["--zk=http://h:2181/mesos", "--quorum=1"], /flag 'zk'.*zk:\/\//],
    [["--zk=zk:///mesos", "--quorum=1"], /flag 'zk'.*at least one ZooKeeper server/],
    [["--zk=zk://h:99999/mesos", "--quorum=1"], /flag 'zk'.*bad server/],
    [["--zk=file:///no/such/file", "--quorum=1"], /flag 'zk'.*readable file/],
    [["--zk=zk://h:2181/mesos"], /Flag 'quorum' is required with --zk/],
    [["--masters=m1:5050,m2"], /flag 'masters'/],
    [["--masters=m1:5050,m2:5050", "--zk=zk://h:2181/m", "--quorum=2"], /Flag 'masters'.*2\*quorum-1 = 3/],
    [["--masters=m1:5050"], /Flag 'masters'.*--zk/],
    [["--weights=a=0"], /flag 'weights'/],
    [["--weights=a=1,a=2"], /flag 'weights'/],
    [["--domain={}"], /flag 'domain'.*fault_domain/],
    [["--logging_level=DEBUG"], /flag 'logging_level'/],
    [["--registry_max_agent_count=0"], /flag 'registry_max_agent_count'/],
    [["positional"], /Unexpected argument 'positional'/],
  ];
  for (const [argv, pattern] of cases) {
    test(argv.join(" "), () => expect(failure(argv)).toMatch(new RegExp(pattern.source, "i")));
  }
  test("a bad environment value names the variable", () => {
    expect(failure([], { MESOS_PORT: "x" })).toMatch(/flag 'port' from environment variable 'MESOS_PORT'/);
  });
  test("--work_dir is required for the replicated log, not for in_memory", () => {
    expect(failure([], {}, [])).toMatch(/Flag 'work_dir' is required/);
    const result = parseMasterFlags(["--registry=in_memory"], {});
    expect(result.kind).toBe("flags");
  });
});

describe("--help", () => {
  const help = helpText("mesos-master", MASTER_FLAGS);
  test("lists every flag with its default", () => {
    for (const [name, spec] of Object.entries(MASTER_FLAGS)) {
      const line = help.split("\n").find((l) => l.includes(`--${name}=`) || l.includes(`--[no-]${name} `));
      expect(line).toBeDefined();
      const format = spec.format as (value: unknown) => string;
      if (spec.default !== undefined) expect(line).toContain(`(default: ${format(spec.default)})`);
    }
  });
  test("names aliases", () => expect(help).toContain("--slave_ping_timeout"));
});
