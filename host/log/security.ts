// What mesos-log's --log_secret_file and libprocess's TLS environment amount to, loaded once
// before the replica starts (as the master's host/master/security.ts does): a bad file or
// variable is a FlagError naming it, so the process exits 1 with that one line and nothing
// half-started.
import { asFlagError } from "../security/flag_errors.ts";
import { readLogSecret } from "../security/secrets.ts";
import { loadTls, type TlsConfig } from "../security/tls.ts";

export interface LogSecurity {
  /** The shared secret peers prove they hold; null: peers are not authenticated. */
  secret: Uint8Array | null;
  tls: TlsConfig | null;
  /** Lines to log once at start (a secret others may read, an open log). */
  warnings: string[];
}

export function loadLogSecurity(log_secret_file: string | undefined, env: Record<string, string | undefined>): LogSecurity {
  const warnings: string[] = [];
  let secret: Uint8Array | null = null;
  if (log_secret_file !== undefined) {
    const loaded = asFlagError("log_secret_file", () => readLogSecret(log_secret_file));
    secret = loaded.secret;
    if (loaded.warning) warnings.push(loaded.warning);
  }
  const tls = asFlagError("LIBPROCESS_SSL_ENABLED", () => loadTls(env));
  if (tls?.warning) warnings.push(tls.warning);
  return { secret, tls, warnings };
}

/** The start-up warning of a replica with peers but no secret (null when none is due). */
export function openLogWarning(security: LogSecurity, peer_count: number): string | null {
  if (security.secret !== null || peer_count === 0) return null;
  return "No --log_secret_file: this replica accepts any peer that can reach its port and names the cluster, and such a peer can rewrite the log; set the same secret on every replica";
}
