// Roles with their weights, quota and what their frameworks hold (GET_ROLES, GET_WEIGHTS,
// GET_QUOTA at the leader, while the page is shown).
import type { ViewContext } from "../context.ts";
import { bytes, h, num, table } from "../dom.ts";
import { type Resource, scalar } from "../model.ts";

const POLL_MS = 3_000;

interface Roles { get_roles: { roles?: { name: string; weight: number; frameworks?: unknown[]; resources?: Resource[] }[] } }
interface Quota { get_quota: { status: { infos?: { role: string; guarantee?: Resource[] }[]; configs?: { role: string; guarantees?: Record<string, { value: number }>; limits?: Record<string, { value: number }> }[] } } }

const quantities = (q: Record<string, { value: number }> | undefined) => Object.entries(q ?? {}).map(([k, v]) => `${k} ${num(v.value)}`).join(", ") || "—";

export function rolesView(ctx: ViewContext): HTMLElement {
  const roles = ctx.poll("roles", POLL_MS, () => ctx.client.call<Roles>("GET_ROLES"));
  const quota = ctx.poll("quota", POLL_MS, () => ctx.client.call<Quota>("GET_QUOTA"));
  const configs = new Map((quota.value?.get_quota.status.configs ?? []).map((c) => [c.role, c]));
  const list = roles.value?.get_roles.roles ?? [];
  return h("section", { "aria-labelledby": "roles-title" },
    h("h1", { id: "roles-title" }, "Roles"),
    roles.error ? h("p", { class: "error", role: "alert" }, roles.error) : null,
    roles.value === undefined && !roles.error ? h("p", {}, "Loading…") : table("Roles", ["Role", "Weight", "Frameworks", "CPUs held", "Memory held", "Quota guarantees", "Quota limits"], list.map((r) => [
      r.name, num(r.weight, 2), String(r.frameworks?.length ?? 0), num(scalar(r.resources, "cpus")), bytes(scalar(r.resources, "mem")),
      quantities(configs.get(r.name)?.guarantees), quantities(configs.get(r.name)?.limits),
    ])));
}
