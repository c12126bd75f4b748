// The chaos suite's registry workload: clients, each with one operation in flight at a time (a
// Jepsen "process"), writing and reading registers kept in the registry — a role's weight
// (PUT /weights), a role's quota limit (UPDATE_QUOTA on /api/v1; limits only, as guarantees
// would hold the agent's resources back from the framework's tasks) and the maintenance schedule (POST
// /maintenance/schedule) — each write with a value never written before, each read through the
// matching GET. A client sends to the master it last saw lead (or, now and then, to any), and
// follows 307s itself so the history names the master that answered.
import type { ChaosCluster } from "./cluster.ts";
import type { HistoryFile, Op, Outcome } from "./history.ts";
import type { Prng as Random } from "../../host/sim/prng.ts";

const REQUEST_TIMEOUT_MS = 3_000;
const REDIRECTS_MAX = 2;
/** 503 texts that mean the request went no further than the answering master's door. */
const REFUSED_503 = ["No leader elected", "Master has not finished recovery", "Too many registry requests are waiting"];

interface Family {
  keys: string[];
  write(key: string, value: number): { method: string; path: string; body: string };
  read: { path: string };
  /** The value of every key of this family in a read's body (null: absent). */
  parse(body: any, keys: string[]): Map<string, number | null>;
}

const FAMILIES: Family[] = [
  {
    keys: ["weight/w0", "weight/w1", "weight/w2", "weight/w3"],
    write: (key, value) => ({ method: "PUT", path: "/weights", body: JSON.stringify([{ role: key.split("/")[1], weight: value }]) }),
    read: { path: "/weights" },
    parse: (body: { role: string; weight: number }[], keys) =>
      new Map(keys.map((k) => [k, body.find((w) => w.role === k.split("/")[1])?.weight ?? null])),
  },
  {
    keys: ["quota/q0", "quota/q1", "quota/q2"],
    write: (key, value) => ({ method: "POST", path: "/api/v1", body: JSON.stringify({ type: "UPDATE_QUOTA", update_quota: { force: true,
      quota_configs: [{ role: key.split("/")[1], limits: { cpus: { value } } }] } }) }),
    read: { path: "/quota" },
    parse: (body: { configs?: { role: string; limits?: { cpus?: { value: number } } }[] }, keys) =>
      new Map(keys.map((k) => [k, body.configs?.find((c) => c.role === k.split("/")[1])?.limits?.cpus?.value ?? null])),
  },
  {
    keys: ["maintenance/schedule"],
    write: (_key, value) => ({ method: "POST", path: "/maintenance/schedule", body: JSON.stringify({ windows: [{
      machine_ids: [{ hostname: `host-${value}`, ip: "10.0.0.1" }], unavailability: { start: { nanoseconds: value } } }] }) }),
    read: { path: "/maintenance/schedule" },
    parse: (body: { windows?: { unavailability: { start: { nanoseconds: number } } }[] }, keys) =>
      new Map(keys.map((k) => [k, body.windows?.[0] === undefined ? null : Number(body.windows[0].unavailability.start.nanoseconds)])),
  },
];

export const KEYS = FAMILIES.flatMap((f) => f.keys);

interface Answer {
  status: number;
  text: string;
  master: number;
}

export class Workload {
  private next_value = 1;
  private next_id = 0;
  private next_process = 0;
  leader = 0;
  readonly counts: Record<Outcome, number> = { ok: 0, fail: 0, unknown: 0 };

  constructor(private readonly cluster: ChaosCluster, private readonly history: HistoryFile, private readonly random: Random,
    private readonly started_ms: number) {}

  now(): number {
    return performance.now() - this.started_ms;
  }

  /** `clients` clients until `deadline_ms` (run clock), each pausing up to think_ms between operations. */
  async run(clients: number, deadline_ms: number, think_ms: number): Promise<void> {
    await Promise.all(Array.from({ length: clients }, async () => {
      let process = this.next_process++;
      while (this.now() < deadline_ms) {
        const outcome = await this.step(process);
        if (outcome === "unknown") process = this.next_process++;
        // After a failure, back off and try another master (an operator's client would), so a
        // dead master costs a few attempts, not thousands.
        if (outcome !== "ok") this.leader = this.random.int(0, this.cluster.masters.length - 1);
        await Bun.sleep(outcome === "ok" ? this.random.int(0, think_ms) : this.random.int(50, 200));
      }
    }));
  }

  /** One read or write by `process`; the outcome it recorded. */
  async step(process: number): Promise<Outcome> {
    const family = this.random.pick(FAMILIES);
    const first = this.random.chance(0.7) ? this.leader : this.random.int(0, this.cluster.masters.length - 1);
    if (this.random.chance(0.5)) return await this.write(process, family, this.random.pick(family.keys), first);
    return (await this.read(process, family, first)) ? "ok" : "fail";
  }

  private async write(process: number, family: Family, key: string, first: number): Promise<Outcome> {
    const value = this.next_value++;
    const request = family.write(key, value);
    const op: Op = { id: this.next_id++, process, key, kind: "write", value, invoke_ms: this.now(), complete_ms: null, outcome: "unknown", master: null, incarnation: null };
    const answer = await this.send(first, request.method, request.path, request.body);
    if ("error" in answer) {
      op.outcome = answer.refused ? "fail" : "unknown";
      op.error = answer.error;
    } else {
      op.master = answer.master;
      op.incarnation = this.cluster.incarnation(answer.master);
      op.outcome = classify(answer);
      if (op.outcome !== "ok") op.error = `${answer.status} ${answer.text.slice(0, 120)}`;
      if (op.outcome === "ok") this.leader = answer.master;
    }
    if (op.outcome !== "unknown") op.complete_ms = this.now();
    this.counts[op.outcome]++;
    this.history.record(op);
    return op.outcome;
  }

  /** A read of every key of the family at once, recorded as one read per key. Failed reads did nothing: not recorded. */
  async read(process: number, family: Family, first: number): Promise<boolean> {
    const invoke_ms = this.now();
    const answer = await this.send(first, "GET", family.read.path, null);
    if ("error" in answer || answer.status !== 200) return false;
    const complete_ms = this.now();
    this.leader = answer.master;
    const incarnation = this.cluster.incarnation(answer.master);
    for (const [key, value] of family.parse(JSON.parse(answer.text), family.keys)) {
      this.history.record({ id: this.next_id++, process, key, kind: "read", value, invoke_ms, complete_ms, outcome: "ok", master: answer.master, incarnation });
    }
    this.counts.ok++;
    return true;
  }

  /** Reads every key through the leader, retrying until one answers (the run's final state). */
  async finalReads(deadline_ms: number): Promise<boolean> {
    let done = 0;
    for (const family of FAMILIES) {
      while (this.now() < deadline_ms) {
        if (await this.read(this.next_process++, family, this.random.int(0, this.cluster.masters.length - 1))) break;
        await Bun.sleep(200);
      }
      done++;
    }
    return done === FAMILIES.length && this.now() < deadline_ms;
  }

  private async send(index: number, method: string, path: string, body: string | null): Promise<Answer | { error: string; refused: boolean }> {
    let { host, port } = this.cluster.masters[index]!;
    for (let hop = 0; ; hop++) {
      let response: Response;
      try {
        response = await fetch(`https://${host}:${port}${path}`, {
          method, body, redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
          headers: { ...this.cluster.security.init.headers, "content-type": "application/json" }, tls: this.cluster.security.init.tls,
        } as RequestInit);
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        // Never "refused": Bun's fetch retries a request whose pooled connection died on a new
        // one, so ECONNREFUSED can follow a request that did reach a master (the checker showed it).
        return { error: `${code}: ${(error as Error).message}`, refused: false };
      }
      const text = await response.text().catch(() => "");
      const master = this.cluster.masters.findIndex((m) => m.port === port && m.host === host);
      const location = response.headers.get("location");
      if (response.status !== 307 || location === null || hop >= REDIRECTS_MAX) return { status: response.status, text, master };
      const next = new URL(`https:${location}`);
      host = next.hostname;
      port = Number(next.port);
    }
  }
}

/** ok; fail when certainly not applied (refused at the door or by validation); else unknown. */
function classify(answer: Answer): Outcome {
  if (answer.status === 200) return "ok";
  if (answer.status === 307 || (answer.status >= 400 && answer.status < 500)) return "fail";
  if (answer.status === 503 && REFUSED_503.some((t) => answer.text.startsWith(t))) return "fail";
  return "unknown";
}
