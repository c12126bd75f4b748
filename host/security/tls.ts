// TLS from libprocess's environment, as Mesos reads it (docs "ssl"): LIBPROCESS_SSL_ENABLED,
// _CERT_FILE, _KEY_FILE, _CA_FILE, _CA_DIR, _VERIFY_CERT, _REQUIRE_CERT. With TLS on, a
// process's one port speaks only TLS: HTTP, the log's peer links and the agent channel alike
// (no downgrade: LIBPROCESS_SSL_SUPPORT_DOWNGRADE is refused, it would let a plain client in).
//
// Verification is stricter than Mesos's defaults, on purpose: our clients (peer links, agents,
// tools) always verify the server's certificate against the CA (VERIFY_CERT=false turns that
// off, for a lab only), and REQUIRE_CERT makes every server demand a client certificate from
// the same CA (mutual TLS), which is how the log's peers and agents prove they hold a key.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSecretFile } from "./secrets.ts";

export interface TlsConfig {
  cert: string;
  key: string;
  /** PEM CA certificates (CA_FILE and every *.pem/*.crt of CA_DIR); null: the system's CAs. */
  ca: string[] | null;
  verify_cert: boolean;
  require_cert: boolean;
  /** Paths as given, for the start-up line (never the key's content). */
  files: { cert: string; key: string; ca_file?: string; ca_dir?: string };
  /** A key file others may read. */
  warning: string | null;
}

export class TlsError extends Error {
  override name = "TlsError";
}

type Env = Record<string, string | undefined>;

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new TlsError(`Environment variable '${name}': expected true or false, got '${raw}'`);
}

function readPem(name: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new TlsError(`Environment variable '${name}': cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The process's TLS settings, or null when LIBPROCESS_SSL_ENABLED is not true; TlsError names the variable at fault. */
export function loadTls(env: Env): TlsConfig | null {
  if (!bool(env, "LIBPROCESS_SSL_ENABLED", false)) return null;
  if (bool(env, "LIBPROCESS_SSL_SUPPORT_DOWNGRADE", false)) {
    throw new TlsError("Environment variable 'LIBPROCESS_SSL_SUPPORT_DOWNGRADE': not supported; a TLS port accepts only TLS");
  }
  const cert_file = env.LIBPROCESS_SSL_CERT_FILE;
  const key_file = env.LIBPROCESS_SSL_KEY_FILE;
  if (!cert_file) throw new TlsError("Environment variable 'LIBPROCESS_SSL_CERT_FILE' is required with LIBPROCESS_SSL_ENABLED=true");
  if (!key_file) throw new TlsError("Environment variable 'LIBPROCESS_SSL_KEY_FILE' is required with LIBPROCESS_SSL_ENABLED=true");
  const cert = readPem("LIBPROCESS_SSL_CERT_FILE", cert_file);
  let key: { text: string; warning: string | null };
  try {
    key = readSecretFile(key_file);
  } catch (error) {
    throw new TlsError(`Environment variable 'LIBPROCESS_SSL_KEY_FILE': ${(error as Error).message}`);
  }
  const ca: string[] = [];
  if (env.LIBPROCESS_SSL_CA_FILE) ca.push(readPem("LIBPROCESS_SSL_CA_FILE", env.LIBPROCESS_SSL_CA_FILE));
  if (env.LIBPROCESS_SSL_CA_DIR) ca.push(...readCaDir(env.LIBPROCESS_SSL_CA_DIR));
  const require_cert = bool(env, "LIBPROCESS_SSL_REQUIRE_CERT", false);
  if (require_cert && ca.length === 0) {
    throw new TlsError("Environment variable 'LIBPROCESS_SSL_REQUIRE_CERT': needs LIBPROCESS_SSL_CA_FILE or LIBPROCESS_SSL_CA_DIR to verify client certificates");
  }
  return {
    cert, key: key.text + "\n", ca: ca.length === 0 ? null : ca,
    verify_cert: bool(env, "LIBPROCESS_SSL_VERIFY_CERT", true), require_cert,
    files: { cert: cert_file, key: key_file, ca_file: env.LIBPROCESS_SSL_CA_FILE, ca_dir: env.LIBPROCESS_SSL_CA_DIR },
    warning: key.warning,
  };
}

function readCaDir(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.(pem|crt)$/.test(n)).sort();
  } catch (error) {
    throw new TlsError(`Environment variable 'LIBPROCESS_SSL_CA_DIR': cannot list ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return names.map((n) => readPem("LIBPROCESS_SSL_CA_DIR", join(dir, n)));
}

/** Bun.serve's `tls`: our certificate, and with REQUIRE_CERT a client certificate from the CA. */
export function serverTls(config: TlsConfig): Bun.TLSOptions {
  return {
    cert: config.cert, key: config.key,
    ...(config.ca === null ? {} : { ca: config.ca }),
    requestCert: config.require_cert, rejectUnauthorized: config.require_cert,
  };
}

/** fetch's and WebSocket's `tls`: verify the server against the CA, present our certificate (for mutual TLS). */
export function clientTls(config: TlsConfig): Bun.TLSOptions {
  return {
    cert: config.cert, key: config.key,
    ...(config.ca === null ? {} : { ca: config.ca }),
    rejectUnauthorized: config.verify_cert,
  };
}

/** "https"/"wss" with TLS on, else "http"/"ws". */
export function schemes(config: TlsConfig | null): { http: string; ws: string } {
  return config === null ? { http: "http", ws: "ws" } : { http: "https", ws: "wss" };
}

/** The start-up line saying what this port speaks (paths only). */
export function describeTls(config: TlsConfig | null): string {
  if (config === null) return "TLS is off (LIBPROCESS_SSL_ENABLED unset): HTTP, log peers and agents travel in clear text";
  const ca = [config.files.ca_file, config.files.ca_dir].filter(Boolean).join(", ") || "the system's CAs";
  return `TLS on with certificate ${config.files.cert}, CA ${ca}; client certificates ${config.require_cert ? "required" : "not required"}`;
}
