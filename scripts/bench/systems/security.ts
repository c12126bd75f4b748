// The secured set-up the benchmarks run with, as `npm run cluster` and the README's "Securing a
// cluster" do it: a CA and a certificate for loopback, credentials for an operator and the
// agents, the log secret, and the flags and LIBPROCESS_SSL_* variables that turn it all on.
import { mkdirSync, readFileSync } from "node:fs";
import { makeCertificates, randomSecret, writeSecretFile } from "../../pki.ts";
import { basicHeader } from "../../../host/security/basic.ts";

/** What a secured run gives masters, agents and this script's own requests. */
export interface Security {
  env: Record<string, string>;
  master_flags: string[];
  agent_credential: string;
  /** The "framework" principal's secret, for --principal=framework --secret_file=… */
  framework_secret_file: string;
  init: { tls: { ca: string; cert: string; key: string }; headers: { authorization: string } };
}

/** `ips`: the addresses the certificate is for (loopback unless the servers listen elsewhere). */
export function secureSetup(dir: string, ips: readonly string[] = ["127.0.0.1"]): Security {
  mkdirSync(dir, { recursive: true });
  const pki = makeCertificates(dir, "", ips);
  const secrets = { operator: randomSecret(16), agent: randomSecret(16), framework: randomSecret(16) };
  const credentials = writeSecretFile(dir, "credentials.json",
    JSON.stringify({ credentials: Object.entries(secrets).map(([principal, secret]) => ({ principal, secret })) }));
  const log_secret = writeSecretFile(dir, "log.secret", `${randomSecret(32)}\n`);
  const agent_credential = writeSecretFile(dir, "agent.credential", JSON.stringify({ principal: "agent", secret: secrets.agent }));
  const framework_secret_file = writeSecretFile(dir, "framework.secret", `${secrets.framework}\n`);
  const env = {
    LIBPROCESS_SSL_ENABLED: "true", LIBPROCESS_SSL_CERT_FILE: pki.cert, LIBPROCESS_SSL_KEY_FILE: pki.key,
    LIBPROCESS_SSL_CA_FILE: pki.ca, LIBPROCESS_SSL_REQUIRE_CERT: "true",
  };
  return {
    env, agent_credential, framework_secret_file,
    master_flags: [`--log_secret_file=${log_secret}`, `--credentials=${credentials}`, "--authenticate_agents", "--authenticate_http_frameworks",
      "--http_framework_authenticators=basic", "--authenticate_http_readwrite", "--authenticate_http_readonly"],
    init: {
      tls: { ca: readFileSync(pki.ca, "utf8"), cert: readFileSync(pki.cert, "utf8"), key: readFileSync(pki.key, "utf8") },
      headers: { authorization: basicHeader("operator", secrets.operator) },
    },
  };
}
