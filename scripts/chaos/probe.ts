// What the chaos suite asks the masters from outside, as an operator's monitoring would: who
// says it leads (master/elected on /metrics/snapshot), and whether the leader answers a
// registry read (GET /weights: 503 until the registrar has recovered).
import type { ChaosCluster } from "./cluster.ts";

const PROBE_TIMEOUT_MS = 1_000;

async function get(cluster: ChaosCluster, index: number, path: string): Promise<Response | null> {
  try {
    const m = cluster.masters[index]!;
    return await fetch(`https://${m.host}:${m.port}${path}`, {
      redirect: "manual", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headers: cluster.security.init.headers, tls: cluster.security.init.tls,
    } as RequestInit);
  } catch {
    return null;
  }
}

/** The one live master reporting master/elected = 1 (null unless exactly one does). */
export async function leader(cluster: ChaosCluster): Promise<number | null> {
  const elected = await Promise.all(cluster.masters.map(async (m) => {
    if (!cluster.alive(m.index) || m.paused) return false;
    const response = await get(cluster, m.index, "/metrics/snapshot");
    if (response === null || response.status !== 200) return false;
    return ((await response.json()) as Record<string, number>)["master/elected"] === 1;
  }));
  const leaders = elected.flatMap((e, i) => (e ? [i] : []));
  return leaders.length === 1 ? leaders[0]! : null;
}

/** Waits (bounded, one look every 100 ms) for a leader whose registry answers; its index, or null. */
export async function healthyLeader(cluster: ChaosCluster, wait_ms: number): Promise<number | null> {
  const until = Date.now() + wait_ms;
  while (Date.now() < until) {
    const index = await leader(cluster);
    if (index !== null && (await get(cluster, index, "/weights"))?.status === 200) return index;
    await Bun.sleep(100);
  }
  return null;
}
