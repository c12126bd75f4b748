// This project's Mesos v1 schemas (proto/*.proto, embedded in the binary as text), parsed once
// into one protobufjs root: the single source of field numbers and enum values for both the
// generic codec (protobuf.ts) and the one-pass one generated from it (protobuf_fast.ts).
import protobuf from "protobufjs";
import mesosSchema from "./proto/mesos_v1.proto" with { type: "text" };
import durationSchema from "./proto/google_duration.proto" with { type: "text" };
import maintenanceSchema from "./proto/maintenance_v1.proto" with { type: "text" };
import quotaSchema from "./proto/quota_v1.proto" with { type: "text" };
import schedulerSchema from "./proto/scheduler_v1.proto" with { type: "text" };
import masterSchema from "./proto/master_v1.proto" with { type: "text" };
import agentSchema from "./proto/agent_v1.proto" with { type: "text" };

let root: protobuf.Root | null = null;

export function schemaRoot(): protobuf.Root {
  if (root === null) {
    const parsed = new protobuf.Root();
    for (const text of [mesosSchema, durationSchema, maintenanceSchema, quotaSchema, schedulerSchema, masterSchema, agentSchema]) {
      protobuf.parse(text, parsed, { keepCase: true });
    }
    parsed.resolveAll();
    root = parsed;
  }
  return root;
}
