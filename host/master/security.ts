// What a master's security flags and libprocess's TLS environment amount to, loaded once at
// start: the credentials of agents, frameworks and HTTP callers, the log's shared secret, the
// ACLs and the TLS certificates. Any unreadable or malformed file is a FlagError naming the
// flag (exit 1 before anything starts); warnings (a secret others may read, an open log) are
// returned for the caller to log once.
import { asFlagError as attempt } from "../security/flag_errors.ts";
import { type AclsJson, readAcls } from "../security/acls.ts";
import { Authorizer } from "../security/authorizer.ts";
import { Credentials } from "../security/credentials.ts";
import { readLogSecret } from "../security/secrets.ts";
import { loadTls, type TlsConfig } from "../security/tls.ts";
import type { MasterFlags } from "./flags.ts";

export const REALMS = {
  readonly: "mesos-master-readonly",
  readwrite: "mesos-master-readwrite",
  scheduler: "mesos-master-scheduler",
} as const;
export type Realm = (typeof REALMS)[keyof typeof REALMS];

export interface MasterSecurity {
  credentials: Credentials | null;
  /** The replicated log's shared secret; null: peers are not authenticated. */
  log_secret: Uint8Array | null;
  acls: AclsJson | null;
  /** The local authorizer over --acls; null without --acls (Mesos then authorizes nothing). */
  authorizer: Authorizer | null;
  /** HTTP realms whose endpoints need credentials (--authenticate_http_readonly, _readwrite, frameworks). */
  realms: ReadonlySet<Realm>;
  tls: TlsConfig | null;
  /** Frameworks must authenticate (--authenticate_http_frameworks, or --authenticate_frameworks). */
  authenticate_frameworks: boolean;
  warnings: string[];
}

/** Loads every file the flags name; `env` gives the LIBPROCESS_SSL_* variables (none in in-process tests). */
export function loadMasterSecurity(flags: MasterFlags, env: Record<string, string | undefined>): MasterSecurity {
  const warnings: string[] = [];
  let credentials: Credentials | null = null;
  if (flags.credentials !== undefined) {
    const loaded = attempt("credentials", () => Credentials.load(flags.credentials!));
    credentials = loaded.credentials;
    if (loaded.warning) warnings.push(loaded.warning);
  }
  let log_secret: Uint8Array | null = null;
  if (flags.log_secret_file !== undefined) {
    const loaded = attempt("log_secret_file", () => readLogSecret(flags.log_secret_file!));
    log_secret = loaded.secret;
    if (loaded.warning) warnings.push(loaded.warning);
  } else if (flags.registry === "replicated_log" && flags.zk !== undefined) {
    warnings.push("No --log_secret_file: the replicated log accepts any peer that can reach this port and names the cluster; set one on every master");
  }
  const acls = flags.acls === undefined ? null : attempt("acls", () => readAcls(flags.acls!));
  const authorizer = acls === null ? null : attempt("acls", () => Authorizer.fromJson(acls));
  if (authorizer !== null && authorizer.unenforced.length > 0) {
    warnings.push(`--acls: this master does not check ${authorizer.unenforced.join(", ")} (their calls do not exist here)`);
  }
  const tls = attempt("LIBPROCESS_SSL_ENABLED", () => loadTls(env));
  if (tls?.warning) warnings.push(tls.warning);
  const authenticate_frameworks = flags.authenticate_http_frameworks || flags.authenticate_frameworks;
  const realms = new Set<Realm>();
  if (flags.authenticate_http_readonly) realms.add(REALMS.readonly);
  if (flags.authenticate_http_readwrite) realms.add(REALMS.readwrite);
  if (authenticate_frameworks) realms.add(REALMS.scheduler);
  return { credentials, log_secret, acls, authorizer, realms, tls, warnings, authenticate_frameworks };
}
