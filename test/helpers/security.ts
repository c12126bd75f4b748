// The security profile cluster tests run with: a CA and a loopback certificate made with
// openssl, a second CA (an outsider's), the log's shared secret, credentials for agents,
// frameworks and HTTP callers, all in one temporary directory per test process (files 0600).
// `secure()` says whether processes get it: on unless MESOS_TEST_SECURITY=off, so the whole
// cluster suite runs with TLS, peer authentication and credentials on, and security is not a
// mode only its own tests exercise. Clients (fetch, WebSocket) go through tlsFetch/clientTls.
import { readFileSync } from "node:fs";
import { makeCertificates, writeSecretFile } from "../../scripts/pki.ts";
import { ownedTempDir } from "./process.ts";

export const PRINCIPAL = "test-operator";
export const SECRET = "test-operator-secret";
export const AGENT_PRINCIPAL = "test-agent";
export const AGENT_SECRET = "test-agent-secret";
export const FRAMEWORK_PRINCIPAL = "test-framework";
export const FRAMEWORK_SECRET = "test-framework-secret";

export interface Pki {
  dir: string;
  ca_file: string;
  cert_file: string;
  key_file: string;
  /** A CA and a certificate for 127.0.0.1 that our CA did not sign. */
  other_ca_file: string;
  other_cert_file: string;
  other_key_file: string;
}

export interface SecurityProfile extends Pki {
  log_secret_file: string;
  /** A different secret of valid length: a peer that holds it is an outsider. */
  wrong_secret_file: string;
  credentials_file: string;
  agent_credential_file: string;
  framework_secret_file: string;
}

/** Whether spawned processes and clients use the security profile (MESOS_TEST_SECURITY=off turns it off). */
export function secure(): boolean {
  return process.env.MESOS_TEST_SECURITY !== "off";
}

let cached: SecurityProfile | null = null;

/** The profile of this test process (made once). */
export function securityProfile(): SecurityProfile {
  if (cached !== null) return cached;
  const dir = ownedTempDir("security-");
  const ours = makeCertificates(dir, "");
  const other = makeCertificates(dir, "other-");
  const credentials = {
    credentials: [
      { principal: PRINCIPAL, secret: SECRET },
      { principal: AGENT_PRINCIPAL, secret: AGENT_SECRET },
      { principal: FRAMEWORK_PRINCIPAL, secret: FRAMEWORK_SECRET },
    ],
  };
  cached = {
    dir, ca_file: ours.ca, cert_file: ours.cert, key_file: ours.key,
    other_ca_file: other.ca, other_cert_file: other.cert, other_key_file: other.key,
    log_secret_file: writeSecretFile(dir, "log.secret", "0123456789abcdef0123456789abcdef\n"),
    wrong_secret_file: writeSecretFile(dir, "wrong.secret", "fedcba9876543210fedcba9876543210\n"),
    credentials_file: writeSecretFile(dir, "credentials.json", JSON.stringify(credentials)),
    agent_credential_file: writeSecretFile(dir, "agent.credential", JSON.stringify({ principal: AGENT_PRINCIPAL, secret: AGENT_SECRET })),
    framework_secret_file: writeSecretFile(dir, "framework.secret", `${FRAMEWORK_SECRET}\n`),
  };
  return cached;
}

/** LIBPROCESS_SSL_* for a process of ours with mutual TLS (empty when insecure). */
export function tlsEnv(profile: SecurityProfile | null = secure() ? securityProfile() : null): Record<string, string> {
  if (profile === null) return {};
  return {
    LIBPROCESS_SSL_ENABLED: "true", LIBPROCESS_SSL_CERT_FILE: profile.cert_file, LIBPROCESS_SSL_KEY_FILE: profile.key_file,
    LIBPROCESS_SSL_CA_FILE: profile.ca_file, LIBPROCESS_SSL_VERIFY_CERT: "true", LIBPROCESS_SSL_REQUIRE_CERT: "true",
  };
}

/** "https"/"wss" when secure, else "http"/"ws". */
export function scheme(): { http: string; ws: string } {
  return secure() ? { http: "https", ws: "wss" } : { http: "http", ws: "ws" };
}

/** A client's TLS options: our CA, and our certificate for servers that require one. */
export function clientTls(profile: SecurityProfile = securityProfile()): { ca: string; cert: string; key: string } {
  const read = (path: string) => readFileSync(path, "utf8");
  return { ca: read(profile.ca_file), cert: read(profile.cert_file), key: read(profile.key_file) };
}

/** FrameworkInfo.principal for the profile's framework principal when secure() (none otherwise). */
export function frameworkPrincipal(): { principal?: string } {
  return secure() ? { principal: FRAMEWORK_PRINCIPAL } : {};
}

/** `Authorization` for the operator principal. */
export function operatorAuthorization(principal = PRINCIPAL, secret = SECRET): string {
  return `Basic ${Buffer.from(`${principal}:${secret}`).toString("base64")}`;
}

/**
 * fetch as an authenticated operator would: an http:// URL becomes https:// with our CA and
 * client certificate, and Basic credentials are sent, when secure(); plain fetch otherwise.
 * A caller's own Authorization header wins.
 */
export function tlsFetch(url: string, init: RequestInit = {}, on = secure()): Promise<Response> {
  if (!on) return fetch(url, init);
  const headers = new Headers(init.headers);
  // Schedulers authenticate as the framework principal (FrameworkInfo.principal must match it).
  const scheduler = url.includes("/api/v1/scheduler");
  if (!headers.has("authorization")) headers.set("authorization", scheduler ? operatorAuthorization(FRAMEWORK_PRINCIPAL, FRAMEWORK_SECRET) : operatorAuthorization());
  return fetch(url.replace(/^http:\/\//, "https://"), { ...init, headers, tls: clientTls() } as RequestInit);
}

/** Flags each personality of ours gets under the profile (a flag the command already has is left alone). */
function profileFlags(personality: string, sub: string | undefined, p: SecurityProfile): string[] {
  if (personality === "master") {
    return [`--log_secret_file=${p.log_secret_file}`, `--credentials=${p.credentials_file}`, "--authenticate_agents",
      "--authenticate_http_frameworks", "--http_framework_authenticators=basic", "--authenticate_http_readwrite", "--authenticate_http_readonly"];
  }
  // The agent's own port serves sandboxes (the files API) and its state: it needs credentials too.
  if (personality === "agent") {
    return [`--credential=${p.agent_credential_file}`, `--http_credentials=${p.credentials_file}`, "--authenticate_http_readonly", "--authenticate_http_readwrite"];
  }
  if (personality === "log" && (sub === "replica" || sub === "benchmark")) return [`--log_secret_file=${p.log_secret_file}`];
  return [];
}

/** The personality a command of the built binary runs as (mesos-master, or mesos master), or null for another program. */
function personalityOf(command: readonly string[]): { personality: string; at: number } | null {
  const name = (command[0] ?? "").split("/").pop() ?? "";
  const linked = /^mesos-(master|agent|log)$/.exec(name);
  if (linked) return { personality: linked[1]!, at: 1 };
  if (name === "mesos" && ["master", "agent", "log"].includes(command[1] ?? "")) return { personality: command[1]!, at: 2 };
  return null;
}

/**
 * A command of the built binary with the profile's flags added, and the TLS environment, when
 * secure(); anything else unchanged. start() applies it, so every cluster test's masters,
 * agents and log replicas run with TLS, peer authentication and credentials on.
 */
export function secureCommand(command: string[], env: Record<string, string> = {}, on = secure()): { command: string[]; env: Record<string, string> } {
  const found = personalityOf(command);
  if (!on || found === null) return { command, env };
  const profile = securityProfile();
  const sub = found.personality === "log" ? command[found.at] : undefined;
  const has = (flag: string) => command.some((a) => a === flag || a.startsWith(`${flag.split("=")[0]}=`) || a === `--no-${flag.slice(2).split("=")[0]}`);
  const extra = profileFlags(found.personality, sub, profile).filter((f) => !has(f.split("=")[0]!));
  const tls = env.LIBPROCESS_SSL_ENABLED === undefined ? tlsEnv(profile) : {};
  return { command: [...command, ...extra], env: { ...tls, ...env } };
}

/** Arguments and environment for scripts/example_framework.ts to authenticate and speak TLS when secure(). */
export function exampleFrameworkSecurity(): { args: string[]; env: Record<string, string> } {
  if (!secure()) return { args: [], env: {} };
  const p = securityProfile();
  return { args: [`--principal=${FRAMEWORK_PRINCIPAL}`, `--secret_file=${p.framework_secret_file}`], env: tlsEnv(p) };
}

/** A WebSocket client as our processes dial: ws:// becomes wss:// with our CA and client certificate when secure(). */
export function tlsWebSocket(url: string): WebSocket {
  if (!secure()) return new WebSocket(url);
  return new WebSocket(url.replace(/^ws:\/\//, "wss://"), { tls: clientTls() } as never);
}
