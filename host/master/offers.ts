// Outstanding offers (mesos-spec §6.5): ids `<master id>-O<n>`, indexed by agent and framework,
// and their v1 JSON. No --offer_timeout (Mesos leaves it unset): an offer lives until it is
// accepted, declined, or rescinded because its agent or framework went away. Bounded: at most
// OUTSTANDING_OFFERS_MAX at once, OFFERS_PER_FRAMEWORK_PER_ROUND new ones per framework per round.
import type { JsonObject } from "../agent/task_protocol.ts";
import type { Offer } from "./frameworks/types.ts";
import type { Resources } from "./resources.ts";

export const OUTSTANDING_OFFERS_MAX = 100_000;
export const OFFERS_PER_FRAMEWORK_PER_ROUND = 1_000;

export interface HeldOffer extends Offer {
  res: Resources;
}

export class OfferBook {
  readonly offers = new Map<string, HeldOffer>();
  private readonly by_agent = new Map<string, Set<string>>();
  private readonly by_framework = new Map<string, Set<string>>();
  private next = 0;

  constructor(private readonly master_id: string) {}

  get size(): number {
    return this.offers.size;
  }

  create(framework_id: string, agent_id: string, hostname: string, role: string, res: Resources, unavailability?: JsonObject): HeldOffer {
    const offer: HeldOffer = { id: `${this.master_id}-O${this.next++}`, framework_id, agent_id, hostname, role, resources: res.toJson(role), res };
    if (unavailability !== undefined) offer.unavailability = unavailability;
    this.offers.set(offer.id, offer);
    index(this.by_agent, agent_id, offer.id);
    index(this.by_framework, framework_id, offer.id);
    return offer;
  }

  get(id: string): HeldOffer | undefined {
    return this.offers.get(id);
  }

  remove(id: string): HeldOffer | undefined {
    const offer = this.offers.get(id);
    if (offer === undefined) return undefined;
    this.offers.delete(id);
    unindex(this.by_agent, offer.agent_id, id);
    unindex(this.by_framework, offer.framework_id, id);
    return offer;
  }

  ofAgent(agent_id: string): HeldOffer[] {
    return [...(this.by_agent.get(agent_id) ?? [])].map((id) => this.offers.get(id)!);
  }

  ofFramework(framework_id: string): HeldOffer[] {
    return [...(this.by_framework.get(framework_id) ?? [])].map((id) => this.offers.get(id)!);
  }
}

function index(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(id);
}

function unindex(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  set?.delete(id);
  if (set?.size === 0) map.delete(key);
}

/** v1 Offer JSON. */
export function offerJson(offer: Offer): JsonObject {
  return {
    id: { value: offer.id }, framework_id: { value: offer.framework_id }, agent_id: { value: offer.agent_id },
    hostname: offer.hostname, resources: offer.resources, allocation_info: { role: offer.role },
    ...(offer.unavailability !== undefined ? { unavailability: offer.unavailability } : {}),
  };
}
