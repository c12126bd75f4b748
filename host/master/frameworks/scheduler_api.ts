// `POST /api/v1/scheduler` (mesos-spec §6.5, master/http.cpp's Master::Http::scheduler) after
// the redirect and recovery checks of the HTTP module, in Mesos's order: 405, Content-Type (400
// missing, 415 neither JSON nor protobuf), the body (400; a protobuf Call is decoded to the same
// JSON object a JSON body parses to, host/codec/protobuf.ts, so both take one reader), call
// validation (400), Accept for SUBSCRIBE (JSON when allowed, else protobuf, else 406), then
// SUBSCRIBE (200 and a RecordIO stream of Events in that format) or, for other calls:
// the framework (400 unknown), subscribed (403), Mesos-Stream-Id (400 missing or wrong), and
// the call dispatched to the frameworks service or the task side (202, or 200 for
// UPDATE_FRAMEWORK once applied; a refusal is 400 with its reason; what happens later arrives
// on the stream).
import { answerFormat, NOT_ACCEPTABLE_EITHER, readCallBody } from "../../../http/negotiation.ts";
import { parseJson, type Reply, refuse } from "../registry_requests.ts";
import type { HttpEventStream } from "./event_stream.ts";
import type { FrameworkCounter, Frameworks } from "./frameworks.ts";
import { readSchedulerCall, type SchedulerCall } from "./scheduler_call.ts";
import type { Framework } from "./types.ts";
import { logger } from "../../logging.ts";

const log = logger("scheduler_api.ts");

/** Bytes of a scheduler call body (ACCEPT with many task infos is the largest). */
export const SCHEDULER_BODY_BYTES_MAX = 4 << 20;
export const STREAM_ID_HEADER = "Mesos-Stream-Id";

/** A refusal, 202 (an empty body), or 200 with the SUBSCRIBE event stream. */
export type SchedulerReply = Reply | { status: 200 | 202 } | { status: 200; stream: HttpEventStream };

export interface SchedulerRequest {
  method: string;
  headers: Headers;
  /** The body, read only once the method and Content-Type pass. */
  bytes: () => Promise<Uint8Array>;
  /** Aborts when the client goes away: a SUBSCRIBE stream ends with it. */
  signal?: AbortSignal;
  /** The authenticated principal (realm mesos-master-scheduler); null or absent when frameworks need not authenticate. */
  principal?: string | null;
}

export async function schedulerRequest(frameworks: Frameworks, request: SchedulerRequest): Promise<SchedulerReply> {
  if (request.method !== "POST") return refuse(`Expecting one of { 'POST' }, but received '${request.method}'`, 405);
  const body = await readCallBody(request.headers, request.bytes, { message: "mesos.v1.scheduler.Call", bytes_max: SCHEDULER_BODY_BYTES_MAX, parseJson });
  if (!("value" in body)) return refuse(body.message, body.status);
  const read = readSchedulerCall(body.value);
  if ("error" in read) return refuse(read.error);
  const call = read.call;
  const principal = request.principal ?? null;
  const mismatch = principalMismatch(call, principal);
  if (mismatch !== null) return refuse(`Failed to validate scheduler::Call: ${mismatch}`);
  if (call.type === "SUBSCRIBE") return subscribe(frameworks, withPrincipal(call, principal), request);
  return await dispatch(frameworks, call, request.headers, principal);
}

const mismatchText = (principal: string, claimed: string | undefined) =>
  `Authenticated principal '${principal}' does not match principal '${claimed ?? ""}' set in \`FrameworkInfo\``;

/** validation::scheduler::call::validate: a SUBSCRIBE may not claim a principal other than the authenticated one. */
function principalMismatch(call: SchedulerCall, principal: string | null): string | null {
  const claimed = call.arguments.framework_info?.principal;
  if (call.type !== "SUBSCRIBE" || principal === null || claimed === undefined || claimed === principal) return null;
  return mismatchText(principal, claimed);
}

/**
 * An authenticated framework that leaves FrameworkInfo.principal out gets the authenticated
 * one (as Mesos does, with a warning): re-subscribing with another framework's id then fails
 * as a change of principal, so nobody takes over a framework they did not register.
 */
function withPrincipal(call: SchedulerCall, principal: string | null): SchedulerCall {
  const info = call.arguments.framework_info!;
  if (principal === null || info.principal !== undefined) return call;
  log.warning(`Setting 'principal' in FrameworkInfo to '${principal}' because the framework authenticated with that principal but did not set it in FrameworkInfo`);
  return { ...call, arguments: { ...call.arguments, framework_info: { ...info, principal } } };
}

function subscribe(frameworks: Frameworks, call: SchedulerCall, request: SchedulerRequest): SchedulerReply {
  const answer = answerFormat(request.headers.get("accept"));
  if (answer === null) return refuse(NOT_ACCEPTABLE_EITHER, 406);
  if (request.headers.has(STREAM_ID_HEADER)) return refuse(`Subscribe calls should not include the '${STREAM_ID_HEADER}' header`);
  const stream = frameworks.newStream(answer);
  const framework = frameworks.subscribe(call.arguments.framework_info!, call.arguments.suppressed_roles ?? [], stream);
  if (framework !== null) frameworks.framework_metrics.call(framework.id, "SUBSCRIBE");
  if (request.signal !== undefined) stream.watch(request.signal);
  return { status: 200, stream };
}

/** Calls this build answers 202 to and does nothing more: no inverse offers exist, REQUEST is advisory. */
const IGNORED = new Set(["ACCEPT_INVERSE_OFFERS", "DECLINE_INVERSE_OFFERS", "REQUEST"]);

async function dispatch(frameworks: Frameworks, call: SchedulerCall, headers: Headers, principal: string | null): Promise<SchedulerReply> {
  const framework = frameworks.get(call.framework_id!);
  if (framework === undefined) return refuse("Framework cannot be found");
  // Every call on a framework comes from its principal (Mesos's implicit scheduler authorization).
  if (principal !== null && principal !== framework.info.principal) return refuse(mismatchText(principal, framework.info.principal));
  if (!frameworks.connected(framework)) return refuse("Framework is not subscribed", 403);
  const stream_id = headers.get(STREAM_ID_HEADER);
  if (stream_id === null) return refuse(`All non-subscribe calls should include the '${STREAM_ID_HEADER}' header`);
  if (stream_id !== framework.stream!.stream_id) {
    return refuse(`The stream ID '${stream_id}' included in this request didn't match the stream ID currently associated with framework ID ${framework.id}`);
  }
  frameworks.framework_metrics.call(framework.id, call.type);
  if (IGNORED.has(call.type)) return { status: 202 };
  if (call.type === "UPDATE_FRAMEWORK") {
    const refused = frameworks.update(framework, call.arguments.framework_info!, call.arguments.suppressed_roles ?? []);
    return refused === null ? { status: 200 } : refuse(refused);
  }
  const handler = HANDLERS[call.type];
  if (handler === undefined) return refuse(call.type === "UNKNOWN" ? "Unknown call" : `Call ${call.type} is not implemented by this master`, 501);
  const [counter, run] = handler;
  if (counter !== null) frameworks.count(counter);
  const refused = run(frameworks, framework, call.arguments);
  return refused === null || refused === undefined ? { status: 202 } : refuse(refused);
}

type Handler = [FrameworkCounter | null, (frameworks: Frameworks, framework: Framework, args: SchedulerCall["arguments"]) => string | null | void];

const HANDLERS: Partial<Record<SchedulerCall["type"], Handler>> = {
  TEARDOWN: ["master/messages_unregister_framework", (frameworks, framework) => void frameworks.teardown(framework.id)],
  ACCEPT: ["master/messages_launch_tasks", (f, framework, a) => f.tasks.accept(framework, a.offer_ids!, a.operations!, a.filters)],
  DECLINE: ["master/messages_decline_offers", (f, framework, a) => f.tasks.decline(framework, a.offer_ids!, a.filters)],
  // Empty roles: every role of the framework (Mesos's REVIVE and SUPPRESS without roles).
  REVIVE: ["master/messages_revive_offers", (f, framework, a) => f.tasks.revive(framework, a.roles ?? [])],
  SUPPRESS: ["master/messages_suppress_offers", (f, framework, a) => f.tasks.suppress(framework, a.roles ?? [])],
  KILL: ["master/messages_kill_task", (f, framework, a) => f.tasks.kill(framework, a.task_id!, a.agent_id, a.kill_policy)],
  // A command task's executor is the task itself: shutting it down kills the task.
  SHUTDOWN: [null, (f, framework, a) => f.tasks.shutdownExecutor(framework, a.executor_id!, a.agent_id!)],
  ACKNOWLEDGE: ["master/messages_status_update_acknowledgement", (f, framework, a) => f.tasks.acknowledge(framework, a.agent_id!, a.task_id!, a.uuid!)],
  // Empty tasks: implicit reconciliation (every task of the framework).
  RECONCILE: ["master/messages_reconcile_tasks", (f, framework, a) => f.tasks.reconcile(framework, a.tasks ?? [])],
  // Framework-to-executor messages are forwarded nowhere in this build: command tasks have no
  // custom executor to receive them (Mesos drops them too when the executor is unknown).
  MESSAGE: ["master/messages_framework_to_executor", () => null],
};
