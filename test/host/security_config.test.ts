// Proves the master's and agent's security settings load as an operator would check them: flags
// that need --credentials say so, a bad secret, credentials or TLS file exits with one line
// naming the flag or variable (never the secret), a secret file others can read warns, and the
// log secret has a floor of 16 bytes.
import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAgentFlags } from "../../host/agent/flags.ts";
import { loadAgentSecurity } from "../../host/agent/security.ts";
import { FlagError } from "../../host/flags.ts";
import { parseMasterFlags, type MasterFlags } from "../../host/master/flags.ts";
import { loadMasterSecurity } from "../../host/master/security.ts";
import { Credentials } from "../../host/security/credentials.ts";
import { loadTls } from "../../host/security/tls.ts";
import { flagParser } from "../helpers/flags.ts";
import { ownedTempDir } from "../helpers/process.ts";
import { securityProfile } from "../helpers/security.ts";

const dir = ownedTempDir("security-config-");
const { parse, failure } = flagParser<MasterFlags>(parseMasterFlags, ["--work_dir=/tmp/x"]);

function file(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

function loadError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(FlagError);
    expect((error as Error).message).not.toContain("\n");
    return (error as Error).message;
  }
  throw new Error("loaded");
}

describe("master flags", () => {
  test("every --authenticate_* flag needs --credentials, and HTTP frameworks an authenticator", () => {
    for (const flag of ["authenticate_agents", "authenticate_frameworks", "authenticate_http_frameworks", "authenticate_http_readonly", "authenticate_http_readwrite"]) {
      expect(failure([`--${flag}`])).toBe(`Flag 'credentials' is required with --${flag}: expected --credentials=FILE`);
    }
    const credentials = file("c.json", '{"credentials":[{"principal":"p","secret":"s"}]}');
    expect(failure(["--authenticate_http_frameworks", `--credentials=${credentials}`])).toContain("Flag 'http_framework_authenticators' is required");
    expect(parse(["--authenticate_slaves", `--credentials=${credentials}`]).authenticate_agents).toBe(true);
    expect(failure(["--http_framework_authenticators=crammd5"])).toContain("expected one of basic");
  });

  test("credentials load from JSON or 'principal secret' lines; a secret is checked exactly", () => {
    const json = Credentials.load(file("json.json", '{"credentials":[{"principal":"ops","secret":"s3cret"},{"principal":"agent","secret":"a"}]}')).credentials;
    expect(json.check("ops", "s3cret")).toBe(true);
    expect(json.check("ops", "s3cre")).toBe(false);
    expect(json.check("ops", "s3cret ")).toBe(false);
    expect(json.check("nobody", "s3cret")).toBe(false);
    const text = Credentials.load(file("text", "ops s3cret\n# a comment\nagent a\n")).credentials;
    expect(text.check("agent", "a")).toBe(true);
    expect(text.size).toBe(2);
  });

  test("an unreadable or malformed file names the flag and never prints a secret", () => {
    const flags = parse([`--credentials=${file("bad.json", '{"credentials":[{"principal":"ops","secret":"hunter2hunter2"}')}`]);
    const message = loadError(() => loadMasterSecurity(flags, {}));
    expect(message).toStartWith("Failed to load flag 'credentials':");
    expect(message).not.toContain("hunter2");
    expect(loadError(() => loadMasterSecurity(parse([`--credentials=${join(dir, "missing")}`]), {}))).toContain("ENOENT");
    expect(loadError(() => loadMasterSecurity(parse([`--credentials=${file("dup", "a x\na y\n")}`]), {}))).toContain("principal 'a' is listed twice");
  });

  test("the log secret needs 16 bytes; a secret file others may read warns; an open log warns with --zk", () => {
    expect(loadError(() => loadMasterSecurity(parse([`--log_secret_file=${file("short", "tooshort\n")}`]), {}))).toContain("at least 16");
    const open = loadMasterSecurity(parse([`--log_secret_file=${file("open", "0123456789abcdef0123\n", 0o644)}`]), {});
    expect(open.log_secret).toEqual(new TextEncoder().encode("0123456789abcdef0123"));
    expect(open.warnings.join("\n")).toContain("readable by its group or others (mode 644); chmod 600 it");
    const closed = loadMasterSecurity(parse([`--log_secret_file=${file("closed", "0123456789abcdef0123\n")}`]), {});
    expect(closed.warnings).toEqual([]);
    const ensemble = loadMasterSecurity(parse(["--zk=zk://127.0.0.1:2181/mesos", "--quorum=1"]), {});
    expect(ensemble.warnings.join("\n")).toContain("No --log_secret_file: the replicated log accepts any peer");
  });
});

describe("TLS from LIBPROCESS_SSL_*", () => {
  test("off unless enabled; on needs a certificate and a key; REQUIRE_CERT needs a CA", () => {
    const p = securityProfile();
    expect(loadTls({})).toBeNull();
    expect(loadTls({ LIBPROCESS_SSL_ENABLED: "false" })).toBeNull();
    const error = (env: Record<string, string>) => {
      try {
        loadTls(env);
      } catch (e) {
        return (e as Error).message;
      }
      return "loaded";
    };
    expect(error({ LIBPROCESS_SSL_ENABLED: "yes" })).toBe("Environment variable 'LIBPROCESS_SSL_ENABLED': expected true or false, got 'yes'");
    expect(error({ LIBPROCESS_SSL_ENABLED: "true" })).toContain("'LIBPROCESS_SSL_CERT_FILE' is required");
    expect(error({ LIBPROCESS_SSL_ENABLED: "1", LIBPROCESS_SSL_CERT_FILE: p.cert_file })).toContain("'LIBPROCESS_SSL_KEY_FILE' is required");
    const base = { LIBPROCESS_SSL_ENABLED: "true", LIBPROCESS_SSL_CERT_FILE: p.cert_file, LIBPROCESS_SSL_KEY_FILE: p.key_file };
    expect(error({ ...base, LIBPROCESS_SSL_REQUIRE_CERT: "true" })).toContain("needs LIBPROCESS_SSL_CA_FILE or LIBPROCESS_SSL_CA_DIR");
    expect(error({ ...base, LIBPROCESS_SSL_SUPPORT_DOWNGRADE: "true" })).toContain("not supported");
    expect(error({ ...base, LIBPROCESS_SSL_CA_FILE: join(dir, "nope.crt") })).toContain("'LIBPROCESS_SSL_CA_FILE': cannot read");
    const config = loadTls({ ...base, LIBPROCESS_SSL_CA_DIR: p.dir, LIBPROCESS_SSL_REQUIRE_CERT: "1" })!;
    expect(config.require_cert).toBe(true);
    expect(config.verify_cert).toBe(true); // clients verify servers unless told not to
    expect(config.ca!.length).toBeGreaterThanOrEqual(2); // ca.crt and other-ca.crt (and the node certificates) of the directory
  });

  test("the master exits naming the variable when TLS is misconfigured", () => {
    const message = loadError(() => loadMasterSecurity(parse([]), { LIBPROCESS_SSL_ENABLED: "true" }));
    expect(message).toContain("LIBPROCESS_SSL_CERT_FILE");
  });
});

describe("agent flags", () => {
  const agent = flagParser(parseAgentFlags, ["--master=127.0.0.1:5050", "--work_dir=/tmp/a"]);

  test("--credential reads JSON or one line; HTTP authentication needs --http_credentials", () => {
    expect(agent.failure(["--authenticate_http_readonly"])).toBe("Flag 'http_credentials' is required with --authenticate_http_readonly: expected --http_credentials=FILE");
    const json = agent.parse([`--credential=${file("agent.json", '{"principal":"agent","secret":"a-secret"}')}`]);
    expect(loadAgentSecurity(json as never, {}).credential).toEqual({ principal: "agent", secret: "a-secret" });
    const line = agent.parse([`--credential=${file("agent.txt", "agent a-secret\n")}`]);
    expect(loadAgentSecurity(line as never, {}).credential).toEqual({ principal: "agent", secret: "a-secret" });
    const two = agent.parse([`--credential=${file("agent2.txt", "a x\nb y\n")}`]);
    expect(loadError(() => loadAgentSecurity(two as never, {}))).toContain("holds 2 credentials; expected one");
  });
});
