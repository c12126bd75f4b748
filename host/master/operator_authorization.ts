// Which ACL guards each state-changing v1 operator call: the same as the endpoint it mirrors
// (UPDATE_WEIGHTS as PUT /weights, START_MAINTENANCE as POST /machine/down, …) and the agent
// calls as Mesos's Http::markAgentGone, drainAgent, deactivateAgent and reactivateAgent.
// TEARDOWN is decided after its framework is found (host/master/teardown.ts); reads filter
// what they show instead of refusing.
import type { MachineID, QuotaConfig, WeightInfo } from "../registry/types.ts";
import type { MasterAuthorization } from "./authorization.ts";
import type { Reply } from "./registry_requests.ts";

interface GuardedArguments {
  weight_infos?: WeightInfo[];
  quota_configs?: QuotaConfig[];
  machines?: MachineID[];
  mark_gone?: boolean;
}

/** The 403 of a call its caller may not make, or null. */
export function callForbidden(authorization: MasterAuthorization, type: string, args: GuardedArguments, principal: string | null): Reply | null {
  switch (type) {
    case "UPDATE_WEIGHTS":
      return authorization.checkEach("update_weights", principal, (args.weight_infos ?? []).map((w) => w.role.trim()));
    case "UPDATE_QUOTA":
      return authorization.checkEach("update_quotas", principal, (args.quota_configs ?? []).map((c) => c.role));
    case "UPDATE_MAINTENANCE_SCHEDULE":
      return authorization.check("update_maintenance_schedules", principal);
    case "START_MAINTENANCE":
      return authorization.check("start_maintenances", principal);
    case "STOP_MAINTENANCE":
      return authorization.check("stop_maintenances", principal);
    case "MARK_AGENT_GONE":
      return authorization.check("mark_agents_gone", principal);
    case "DRAIN_AGENT":
      // Draining that marks the agent gone needs both (Mesos's _drainAgent).
      return authorization.check("drain_agents", principal) ?? (args.mark_gone ? authorization.check("mark_agents_gone", principal) : null);
    case "DEACTIVATE_AGENT":
      return authorization.check("deactivate_agents", principal);
    case "REACTIVATE_AGENT":
      return authorization.check("reactivate_agents", principal);
    default:
      return null;
  }
}
