// Outstanding offers, from the leader's /state (frameworks' offers), while the page is shown.
import type { ViewContext } from "../context.ts";
import { bytes, h, num, shortId, table } from "../dom.ts";

const POLL_MS = 3_000;

interface StateOffers { frameworks: { id: string; name: string; offers?: { id: string; slave_id: string; resources: Record<string, number> }[] }[] }

export function offersView(ctx: ViewContext): HTMLElement {
  const state = ctx.poll("offers", POLL_MS, () => ctx.client.leaderJson<StateOffers>("/master/state"));
  const offers = (state.value?.frameworks ?? []).flatMap((f) => (f.offers ?? []).map((o) => ({ framework: f, offer: o })));
  return h("section", { "aria-labelledby": "offers-title" },
    h("h1", { id: "offers-title" }, "Offers"),
    state.error ? h("p", { class: "error", role: "alert" }, state.error) : null,
    table("Outstanding offers", ["Offer", "Framework", "Agent", "CPUs", "Memory", "Disk"], offers.map(({ framework, offer }) => [
      shortId(offer.id), framework.name, shortId(offer.slave_id), num(offer.resources.cpus ?? 0), bytes(offer.resources.mem ?? 0), bytes(offer.resources.disk ?? 0),
    ])));
}
