// A private CA and a certificate it signs for loopback, made with the openssl command, for
// `npm run cluster`, the benchmarks and the tests: what the README's "Securing a cluster"
// section tells an operator to do with their own hosts' addresses.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "ignore", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed (is the openssl command installed?): ${result.stderr.toString().trim()}`);
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** A CA (`<prefix>ca.crt`) and a certificate for `ips` and localhost (server and client use), keys 0600, in `dir`. */
export function makeCertificates(dir: string, prefix = "", ips: readonly string[] = ["127.0.0.1"]): Certificates {
  const ca = `${prefix}ca.crt`;
  const cert = `${prefix}node.crt`;
  const key = `${prefix}node.key`;
  // ECDSA P-256: a TLS handshake's signature costs a small fraction of RSA-2048's, which
  // shows when a new leader takes a thousand agents' connections at once.
  openssl(["req", "-x509", ...EC_KEY, "-nodes", "-keyout", `${prefix}ca.key`, "-out", ca, "-days", "30", "-subj", `/CN=${prefix}mesos-ca`], dir);
  openssl(["req", ...EC_KEY, "-nodes", "-keyout", key, "-out", `${prefix}node.csr`, "-subj", `/CN=${ips[0] ?? "localhost"}`], dir);
  const san = [...ips.map((ip) => `IP:${ip}`), "DNS:localhost"].join(",");
  writeFileSync(join(dir, `${prefix}ext.cnf`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(["x509", "-req", "-in", `${prefix}node.csr`, "-CA", ca, "-CAkey", `${prefix}ca.key`, "-CAcreateserial", "-out", cert, "-days", "30",
    "-extfile", `${prefix}ext.cnf`], dir);
  chmodSync(join(dir, key), 0o600);
  chmodSync(join(dir, `${prefix}ca.key`), 0o600);
  return { ca: join(dir, ca), cert: join(dir, cert), key: join(dir, key) };
}

/** Writes a secret file readable by its owner only. */
export function writeSecretFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** A random secret as hex (openssl rand -hex N's form). */
export function randomSecret(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}
