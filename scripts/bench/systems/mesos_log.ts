// Our replicated log in bench:compare. Three replicas, quorum 2, durable writes (SQLite WAL,
// synchronous=FULL, one fsync per batch on each replica): two `mesos-log replica` processes of
// the built binary, and a third replica with the writer inside this process, which is how the
// master's registrar uses the log (its "ordinary client" is the library, not a socket). Each
// operation is one append of the load's payload, acknowledged once a quorum has it durably.
// With `secure` (mesos_log_secure.ts): mutual TLS on every peer link and the log secret's
// challenge-response in every hello, with a CA and certificates made for the run.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ReplicatedLog } from "../../../host/log/replicated_log.ts";
import { clusterName } from "../../../host/net/cluster.ts";
import { servePeerLinks } from "../../../host/log/serve.ts";
import { freePorts, spawnServer, type Server, tail, waitUntil } from "./processes.ts";
import { makeCertificates, randomSecret, writeSecretFile } from "../../pki.ts";
import { loadTls, type TlsConfig } from "../../../host/security/tls.ts";
import { type BenchSystem, driveLoad, type SystemOptions } from "./types.ts";

const ROOT = new URL("../../..", import.meta.url).pathname;
const BINARY = join(ROOT, "dist", "mesos");
const READY_MS = 60_000;

interface Security {
  env: Record<string, string>;
  flags: string[];
  secret: Uint8Array;
  tls: TlsConfig;
}

function secureSetup(dir: string): Security {
  mkdirSync(dir, { recursive: true });
  const pki = makeCertificates(dir);
  const secret = randomSecret(32);
  const secret_file = writeSecretFile(dir, "log.secret", `${secret}\n`);
  const env = {
    LIBPROCESS_SSL_ENABLED: "true", LIBPROCESS_SSL_CERT_FILE: pki.cert, LIBPROCESS_SSL_KEY_FILE: pki.key,
    LIBPROCESS_SSL_CA_FILE: pki.ca, LIBPROCESS_SSL_REQUIRE_CERT: "true",
  };
  return { env, flags: [`--log_secret_file=${secret_file}`], secret: new TextEncoder().encode(secret), tls: loadTls(env)! };
}

export function create(options: SystemOptions, secure = false): BenchSystem {
  let replicas: Server[] = [];
  let log: ReplicatedLog | null = null;
  let server: ReturnType<typeof Bun.serve> | null = null;

  return {
    name: secure ? "mesos-log-secure" : "mesos-log",
    describe: () => `3 replicas (2 processes + 1 in the writer's process), quorum 2, SQLite WAL synchronous=FULL${secure ? ", mutual TLS + log secret" : ""}`,
    async start() {
      if (!existsSync(BINARY)) await Bun.$`bun ${join(ROOT, "scripts/build.ts")}`;
      const ports = await freePorts(3);
      const addresses = ports.map((p) => `127.0.0.1:${p}`);
      const security = secure ? secureSetup(join(options.base_dir, "security")) : null;
      const common = [`--peers=${addresses.join(",")}`, "--quorum=2", "--ip=127.0.0.1", ...security?.flags ?? []];
      replicas = ports.slice(1).map((port, i) => {
        const dir = join(options.base_dir, `replica-${i + 1}`);
        mkdirSync(dir, { recursive: true });
        return spawnServer([BINARY, "log", "replica", ...common, `--port=${port}`, `--path=${dir}`], {
          cwd: options.base_dir, env: { PATH: process.env.PATH ?? "", ...security?.env }, log_path: join(options.base_dir, `replica-${i + 1}.log`),
        });
      });
      log = new ReplicatedLog({
        path: join(options.base_dir, "replica-0"), self: addresses[0]!, replicas: addresses, quorum: 2, auto_initialize: true,
        cluster: clusterName({ masters: addresses }), fatal: (message) => { throw new Error(message); },
        secret: security?.secret ?? null, tls: security?.tls ?? null,
      });
      server = servePeerLinks(log, "127.0.0.1", ports[0]!, undefined, security?.tls ?? null);
      log.start();
      const check = () => {
        for (const r of replicas) if (!r.alive()) throw new Error(`a replica exited: ${tail(r.log_path, 500)}`);
      };
      await waitUntil("the log to recover", async () => log!.loop.status() === 1, check, READY_MS, 20);
      const elected = await log.elect(READY_MS);
      if (elected === null) throw new Error("the writer was never elected");
    },
    run(load) {
      const writer = log;
      if (writer === null) throw new Error("mesos-log: run() before start()");
      return driveLoad(load, async (_index, payload) => {
        const position = await writer.loop.append(payload);
        if (position === null) throw new Error("append returned none: the writer lost its promise");
      });
    },
    async stop() {
      log?.close();
      log = null;
      await server?.stop(true);
      server = null;
      await Promise.all(replicas.map((r) => r.stop()));
      replicas = [];
    },
  };
}
