// Proves a master with LIBPROCESS_SSL_ENABLED speaks only TLS on its one port, as an operator
// would check with curl: plain HTTP gets no answer, a client that does not trust the CA is
// refused, and with REQUIRE_CERT a client without a certificate, or with one from another CA,
// cannot connect, while one with a certificate from our CA is served.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, freePort, ownedTempDir, requireBinary, type Running, start } from "../helpers/process.ts";
import { securityProfile, tlsEnv } from "../helpers/security.ts";

setDefaultTimeout(30_000);
const running: Running[] = [];
afterAll(() => running.forEach((r) => r.kill("SIGKILL")));

async function tlsMaster(env: Record<string, string>): Promise<{ port: number; master: Running }> {
  requireBinary();
  const port = await freePort();
  const dir = ownedTempDir("tls-master-");
  const master = start([BINARY, "master", `--work_dir=${join(dir, "work")}`, "--ip=127.0.0.1", `--port=${port}`], { env, insecure: true });
  running.push(master);
  const p = securityProfile();
  const tls = { ca: readFileSync(p.ca_file, "utf8"), cert: readFileSync(p.cert_file, "utf8"), key: readFileSync(p.key_file, "utf8") };
  for (let i = 0; i < 200; i++) {
    if (await fetch(`https://127.0.0.1:${port}/health`, { tls } as RequestInit).then((r) => r.status === 200, () => false)) return { port, master };
    if (master.exitCode() !== null) throw new Error(`master exited: ${master.stderr()}`);
    await Bun.sleep(50);
  }
  throw new Error(`no TLS health on ${port}: ${master.stderr()}`);
}

/** "answered <status>" or why the connection failed. */
async function outcome(url: string, tls?: Record<string, string>): Promise<string> {
  try {
    const response = await fetch(url, (tls ? { tls } : {}) as RequestInit);
    return `answered ${response.status}`;
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

test("with mutual TLS: only a client with a certificate from our CA is served", async () => {
  const p = securityProfile();
  const { port, master } = await tlsMaster(tlsEnv(p));
  const read = (path: string) => readFileSync(path, "utf8");
  const url = `https://127.0.0.1:${port}/master/state`;
  expect(await outcome(url, { ca: read(p.ca_file), cert: read(p.cert_file), key: read(p.key_file) })).toBe("answered 200");
  expect(await outcome(`http://127.0.0.1:${port}/master/state`)).toStartWith("refused");
  expect(await outcome(url)).toStartWith("refused"); // the system's CAs do not know ours
  expect(await outcome(url, { ca: read(p.ca_file) })).toStartWith("refused"); // no client certificate
  expect(await outcome(url, { ca: read(p.ca_file), cert: read(p.other_cert_file), key: read(p.other_key_file) })).toStartWith("refused");
  expect(master.stderr()).toContain(`TLS on with certificate ${p.cert_file}, CA ${p.ca_file}; client certificates required`);
  expect(master.stderr()).not.toContain("BEGIN"); // no key or certificate text in the log
});

test("without REQUIRE_CERT: a client that trusts the CA is served without a certificate", async () => {
  const p = securityProfile();
  const { port } = await tlsMaster({ ...tlsEnv(p), LIBPROCESS_SSL_REQUIRE_CERT: "false" });
  expect(await outcome(`https://127.0.0.1:${port}/master/health`, { ca: readFileSync(p.ca_file, "utf8") })).toBe("answered 200");
  expect(await outcome(`https://127.0.0.1:${port}/master/health`, { ca: readFileSync(p.other_ca_file, "utf8") })).toStartWith("refused");
});

test("a misconfigured TLS environment exits 1 naming the variable, before binding", async () => {
  requireBinary();
  const port = await freePort();
  const dir = ownedTempDir("tls-master-");
  const master = start([BINARY, "master", `--work_dir=${join(dir, "work")}`, "--ip=127.0.0.1", `--port=${port}`],
    { env: { LIBPROCESS_SSL_ENABLED: "true", LIBPROCESS_SSL_CERT_FILE: join(dir, "missing.crt"), LIBPROCESS_SSL_KEY_FILE: join(dir, "missing.key") }, insecure: true });
  expect(await master.exited).toBe(1);
  expect(master.stderr().trim()).toBe(`Environment variable 'LIBPROCESS_SSL_CERT_FILE': cannot read ${join(dir, "missing.crt")} (ENOENT)`);
});
