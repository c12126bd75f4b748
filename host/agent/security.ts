// What an agent's security flags and libprocess's TLS environment amount to, loaded once at
// start: its own credential (for the master), the credentials its HTTP port accepts, and TLS.
// A bad file is a FlagError naming the flag; warnings go to the log once.
import { asFlagError as attempt } from "../security/flag_errors.ts";
import { Credentials } from "../security/credentials.ts";
import { type Credential, parseCredential, readSecretFile } from "../security/secrets.ts";
import { loadTls, type TlsConfig } from "../security/tls.ts";
import type { AgentFlags } from "./flags.ts";

export interface AgentSecurity {
  /** This agent's principal and secret for the master's challenge; null: it does not authenticate. */
  credential: Credential | null;
  /** Who may call the agent's HTTP endpoints when they require authentication. */
  http_credentials: Credentials | null;
  tls: TlsConfig | null;
  warnings: string[];
}

export function loadAgentSecurity(flags: AgentFlags, env: Record<string, string | undefined>): AgentSecurity {
  const warnings: string[] = [];
  let credential: Credential | null = null;
  if (flags.credential !== undefined) {
    const { text, warning } = attempt("credential", () => readSecretFile(flags.credential!));
    credential = attempt("credential", () => parseCredential(text, flags.credential!));
    if (warning) warnings.push(warning);
  }
  let http_credentials: Credentials | null = null;
  if (flags.http_credentials !== undefined) {
    const loaded = attempt("http_credentials", () => Credentials.load(flags.http_credentials!));
    http_credentials = loaded.credentials;
    if (loaded.warning) warnings.push(loaded.warning);
  }
  const tls = attempt("LIBPROCESS_SSL_ENABLED", () => loadTls(env));
  if (tls?.warning) warnings.push(tls.warning);
  return { credential, http_credentials, tls, warnings };
}
