// The replicated log and HA view (beyond Mesos's UI): every master's /log/status, polled by
// the client: its role (leader, standby, unreachable), its replica's status and positions, the
// quorum, its ZooKeeper session, the leader's election time, and the registry's size and store
// latency over time.
import { lineChart } from "../charts.ts";
import type { Reachability } from "../client.ts";
import type { ViewContext } from "../context.ts";
import { ago, h, num, sizeOf, table } from "../dom.ts";

function row(origin: string, reach: Reachability | null | undefined, leader: string | null): (string | HTMLElement)[] {
  const address = origin.replace(/^https?:\/\//, "");
  if (!reach) return [address, "…", "", "", "", "", "", "", ""];
  if (!reach.ok) return [address, h("span", { class: "bad" }, "unreachable"), reach.error, "", "", "", "", "", ""];
  const s = reach.status;
  const r = s.replica;
  const role = s.master.elected ? h("strong", { class: "ok" }, "leader") : origin === leader ? "leader" : "standby";
  return [
    address, role, r?.status ?? "no log", r === null ? "" : String(r.learned), r === null ? "" : String(r.begin),
    r === null ? "" : `${r.quorum} of ${r.replicas.length}`, s.zookeeper === null ? "standalone" : s.zookeeper.state,
    r === null ? "" : `${r.fsyncs_per_s}/s (${num(r.entries_per_fsync)} per fsync)`, r === null ? "" : `${num(r.append_latency_ms_p99, 2)} ms`,
  ];
}

export function haView(ctx: ViewContext): HTMLElement {
  const { client, model } = ctx;
  const origins = [...client.masters.keys()].sort();
  const leader = client.leader === null ? undefined : client.masters.get(client.leader);
  const chart = ctx.persistent("ha-registry-chart", () => h("div", { class: "chart", id: "registry-chart" }));
  const h_ = model.registry_history;
  queueMicrotask(() => lineChart(chart, "Registry: size (KiB) and store latency p99 (ms)", h_.time_s, [
    { label: "size KiB", values: h_.size_kib }, { label: "store p99 ms", values: h_.store_ms_p99 },
  ]));
  const registry = leader?.ok ? leader.status.registry : null;
  return h("section", { "aria-labelledby": "ha-title" },
    h("h1", { id: "ha-title" }, "Replicated log & HA"),
    h("dl", { class: "summary" },
      h("dt", {}, "Leader"), h("dd", { id: "ha-leader" }, client.leader?.replace(/^https?:\/\//, "") ?? "none elected"),
      h("dt", {}, "Elected"), h("dd", {}, leader?.ok ? ago(leader.status.master.elected_time) : "—"),
      h("dt", {}, "Registry"), h("dd", {}, registry === null ? "—" : `${registry.recovered ? "recovered" : "recovering"}, ${sizeOf(registry.size_bytes ?? 0)}, store p50 ${num(registry.store_ms_p50 ?? 0, 2)} ms, p99 ${num(registry.store_ms_p99 ?? 0, 2)} ms`)),
    h("div", { id: "masters-table" }, table("Masters", ["Master", "Role", "Replica", "Learned", "Begin", "Quorum", "ZooKeeper", "fsyncs", "Append p99"],
      origins.map((origin) => row(origin, client.masters.get(origin), client.leader)))),
    chart);
}
