// In-process masters with HTTP security on: a credentials file and an --acls file written in
// a temp directory (mode 0600), flags that turn the realms on, and a request helper that
// sends Basic credentials as a named principal (or none).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "./http.ts";
import { EventReader } from "./frameworks.ts";
import { ownedTempDir } from "./process.ts";

export const USERS = { alice: "alice-secret-1", bob: "bob-secret-2", fw1: "fw1-secret-3", fw2: "fw2-secret-4" } as const;
export type User = keyof typeof USERS;

let dir: string | null = null;
function tempDir(): string {
  dir ??= ownedTempDir("secured-");
  return dir;
}

/** The credentials file of USERS. */
export function credentialsFile(): string {
  const path = join(tempDir(), "credentials.json");
  const credentials = Object.entries(USERS).map(([principal, secret]) => ({ principal, secret }));
  writeFileSync(path, JSON.stringify({ credentials }), { mode: 0o600 });
  return path;
}

let acl_files = 0;
/** An --acls file holding `acls`. */
export function aclsFile(acls: Record<string, unknown>): string {
  const path = join(tempDir(), `acls-${acl_files++}.json`);
  writeFileSync(path, JSON.stringify(acls));
  return path;
}

/** Flags for HTTP authentication (readonly and readwrite realms, and frameworks) with USERS, and `acls` when given. */
export function securedFlags(acls?: Record<string, unknown>, realms = ["--authenticate_http_readonly", "--authenticate_http_readwrite"]): string[] {
  return [`--credentials=${credentialsFile()}`, ...realms, ...(acls ? [`--acls=${aclsFile(acls)}`] : [])];
}

export const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;

/** `method path` as `as` (a user of USERS, or null for no credentials), `body` as JSON unless a string. */
export async function callAs(app: App, as: User | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers, ...(as === null ? {} : { authorization: basic(as, USERS[as]) }) } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  return { status: response.status, text, headers: response.headers, json: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : undefined };
}

/** SUBSCRIBE as `as` (Basic credentials, or none) with `info`: the HTTP status and, on 200, the first event, the framework id and the stream id. */
export async function subscribeAs(app: App, as: User | null, info: Record<string, unknown>) {
  const framework_id = (info.id as { value: string } | undefined)?.value;
  const body = { type: "SUBSCRIBE", ...(framework_id ? { framework_id: { value: framework_id } } : {}), subscribe: { framework_info: info } };
  const headers: Record<string, string> = { "content-type": "application/json", ...(as === null ? {} : { authorization: basic(as, USERS[as]) }) };
  const response = await app.handle(new Request("http://localhost/api/v1/scheduler", { method: "POST", headers, body: JSON.stringify(body) }));
  if (response.status !== 200) return { status: response.status, text: await response.text(), first: null, id: null, stream_id: null, events: null };
  const events = new EventReader(response.body!);
  const first = (await events.next())! as Record<string, any>;
  const id: string | null = first.type === "SUBSCRIBED" ? first.subscribed.framework_id.value : null;
  return { status: 200, text: "", first, id, stream_id: response.headers.get("mesos-stream-id"), events };
}

/** A scheduler call (not SUBSCRIBE) on framework `id` with `stream_id`, as `as`. */
export async function schedulerCallAs(app: App, as: User | null, id: string, stream_id: string, type: string, message?: Record<string, unknown>) {
  const body = { type, framework_id: { value: id }, ...(message ? { [type.toLowerCase()]: message } : {}) };
  return await callAs(app, as, "POST", "/api/v1/scheduler", body, { "content-type": "application/json", "mesos-stream-id": stream_id });
}

export const MACHINE = { hostname: "h1", ip: "10.0.0.1" };
export const SCHEDULE = { windows: [{ machine_ids: [MACHINE], unavailability: { start: { nanoseconds: 1_900_000_000_000_000_000 } } }] };
export const JSON_TYPE = { "content-type": "application/json" };
/** A v1 operator call body: `{type, <type in lower case>: message}`. */
export const v1 = (type: string, message: Record<string, unknown>) => ({ type, [type.toLowerCase()]: message });

/** Every v1 operator call that changes state, as `POST /api/v1` requests (TEARDOWN of `framework_id`). */
export function v1Writes(framework_id: string): [string, string, unknown, Record<string, string>][] {
  return [
    v1("UPDATE_WEIGHTS", { weight_infos: [{ role: "dev", weight: 2 }] }),
    v1("UPDATE_QUOTA", { quota_configs: [{ role: "dev", guarantees: { cpus: { value: 1 } } }], force: true }),
    v1("UPDATE_MAINTENANCE_SCHEDULE", { schedule: SCHEDULE }),
    v1("START_MAINTENANCE", { machines: [MACHINE] }),
    v1("STOP_MAINTENANCE", { machines: [MACHINE] }),
    v1("MARK_AGENT_GONE", { agent_id: { value: "a1" } }),
    v1("DRAIN_AGENT", { agent_id: { value: "a1" } }),
    v1("DEACTIVATE_AGENT", { agent_id: { value: "a1" } }),
    v1("REACTIVATE_AGENT", { agent_id: { value: "a1" } }),
    v1("TEARDOWN", { framework_id: { value: framework_id } }),
  ].map((body): [string, string, unknown, Record<string, string>] => ["POST", "/api/v1", body, JSON_TYPE]);
}
