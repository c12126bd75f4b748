// Proves the README's rolling enablement: three masters running without security are restarted
// one by one with the log secret, TLS and credentials, standbys first and the leader last (right
// after the second standby: from then on the secured pair holds the quorum, so the old leader can
// no longer write). A leader serves writes after the first and after the last step, every replica
// votes at the end, and no acknowledged write is lost.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { until } from "../helpers/log_cluster.ts";
import { BINARY, freePort, ownedTempDir, type Running, requireBinary, start } from "../helpers/process.ts";
import { secureCommand, tlsFetch } from "../helpers/security.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";

setDefaultTimeout(240_000);
const zk = useZooKeeper();
const dir = ownedTempDir("rolling-");

interface Member {
  port: number;
  running: Running | null;
  secured: boolean;
}
const members: Member[] = [];
afterAll(() => members.forEach((m) => m.running?.kill("SIGKILL")));

function startMember(i: number, secured: boolean): void {
  const m = members[i]!;
  const plain = [BINARY, "master", `--zk=zk://${zk.connect}/rolling`, "--quorum=2", `--work_dir=${join(dir, `m${i}`)}`, "--ip=127.0.0.1",
    `--port=${m.port}`, "--hostname=127.0.0.1", "--zk_session_timeout=1secs", "--registry_fetch_timeout=20secs",
    `--masters=${members.map((o) => `127.0.0.1:${o.port}`).join(",")}`];
  const { command, env } = secureCommand(plain, {}, secured);
  m.running = start(command, { env, insecure: true });
  m.secured = secured;
}

const get = (m: Member, path: string, init: RequestInit = {}) => tlsFetch(`http://127.0.0.1:${m.port}${path}`, { redirect: "manual", ...init }, m.secured);

async function metric(m: Member, name: string): Promise<number | null> {
  try {
    return ((await (await get(m, "/metrics/snapshot")).json()) as Record<string, number>)[name] ?? null;
  } catch {
    return null;
  }
}

async function leader(): Promise<Member | null> {
  const elected = await Promise.all(members.map(async (m) => (m.running?.exitCode() === null ? await metric(m, "master/elected") : null)));
  const leaders = members.filter((_, i) => elected[i] === 1);
  return leaders.length === 1 ? leaders[0]! : null;
}

/** PUT /weights for one new role on the current leader: the role's name when acknowledged, else null. */
async function write(role: string): Promise<string | null> {
  const m = await leader();
  if (m === null) return null;
  try {
    const response = await get(m, "/weights", { method: "PUT", body: JSON.stringify([{ role, weight: 2 }]), signal: AbortSignal.timeout(5000) });
    return response.status === 200 ? role : null;
  } catch {
    return null;
  }
}

/** Writes until one is acknowledged (a step's proof that a leader serves writes), returning it. */
async function acknowledgedWrite(role: string): Promise<string> {
  return await until(async () => await write(role), `a leader to acknowledge the write of ${role}`, 90_000).catch((error: Error) => {
    const tails = members.map((m, i) => `m${i} (${m.secured ? "secured" : "plain"}):\n${m.running?.stderr().split("\n").slice(-25).join("\n")}`);
    throw new Error(`${error.message}\n${tails.join("\n")}`);
  });
}

test("log secret, TLS and credentials turned on master by master: a leader serves writes after every step, none lost", async () => {
  requireBinary();
  for (let i = 0; i < 3; i++) members.push({ port: await freePort(), running: null, secured: false });
  for (let i = 0; i < 3; i++) startMember(i, false);
  const acknowledged = [await acknowledgedWrite("before")];
  // Right after auto-initialisation a replica may still be STARTING: restarting one before all vote leaves no quorum.
  await until(async () => (await Promise.all(members.map((m) => metric(m, "registrar/log/recovered")))).every((r) => r === 1), "every replica to vote");
  const first = (await leader())!;
  const order = [...members.filter((m) => m !== first), first]; // standbys first, the leader last
  for (const [step, m] of order.entries()) {
    const i = members.indexOf(m);
    m.running!.kill("SIGTERM");
    expect(await m.running!.exited).toBe(0);
    startMember(i, true);
    // After the second standby the plain leader is alone: no write until it has been restarted too.
    if (step !== 1) acknowledged.push(await acknowledgedWrite(`step-${step}`));
    else await until(async () => (await metric(m, "registrar/log/recovered")) === 1 || null, "the second secured standby to vote");
  }
  expect(members.every((m) => m.secured)).toBe(true);
  await until(async () => (await Promise.all(members.map((m) => metric(m, "registrar/log/recovered")))).every((r) => r === 1), "every replica to vote");
  const final = (await leader())!;
  const weights = (await (await get(final, "/weights")).json()) as { role: string }[];
  for (const role of acknowledged) expect(weights.map((w) => w.role)).toContain(role);
  // Now secured: a plain client gets no answer, and one without credentials may not write.
  expect(await fetch(`http://127.0.0.1:${final.port}/health`).then(() => "answered", () => "refused")).toBe("refused");
  const anonymous = await get(final, "/weights", { method: "PUT", body: '[{"role":"anonymous","weight":2}]', headers: { authorization: "Basic bm9ib2R5Om5vdGhpbmc=" } });
  expect(anonymous.status).toBe(401);
});
