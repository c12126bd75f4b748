// The offline commands on a local replica file: initialize (EMPTY to VOTING, as Mesos's
// `mesos-log initialize`) and read (the learned actions, printed readably). Both verify every
// record's checksum first: a corrupt record is reported, never printed.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ActionType, encodeRecord, Kind, type Action } from "../codec/index.ts";
import { read, bounds } from "./reader.ts";
import { applyRecords, type DurableView } from "../storage/memory.ts";
import { SqliteStore } from "../storage/sqlite.ts";
import { ReplicaStatus, statusName } from "../loop.ts";
import { REPLICA_FILE } from "./replicated_log.ts";

export function loadView(path: string, readonly = false): { view: DurableView; store: SqliteStore } {
  const file = join(path, REPLICA_FILE);
  if (readonly && !existsSync(file)) throw new Error(`No replica at ${path}: ${file} does not exist`);
  const store = SqliteStore.open(file, { readonly });
  const view: DurableView = { status: ReplicaStatus.EMPTY, promised: 0, fenceProposal: 0, fencePosition: 0, actions: new Map() };
  try {
    for (const blob of store.load()) applyRecords(view, blob);
  } catch (error) {
    store.close();
    throw error;
  }
  return { view, store };
}

/** Sets an EMPTY replica VOTING; refuses a log that holds anything. */
export function initialize(path: string): string {
  const { view, store } = loadView(path);
  try {
    if (view.status !== ReplicaStatus.EMPTY || view.actions.size > 0) {
      throw new Error(`Failed to initialize the log: log not empty (status ${statusName(view.status)})`);
    }
    store.persist(encodeRecord({ kind: Kind.Metadata, status: ReplicaStatus.VOTING, promised: 0, fenceProposal: 0, fencePosition: 0 }), true);
    return `Successfully initialized the log at ${path}`;
  } finally {
    store.close();
  }
}

/** The learned actions of [from, to] (defaults: the log's bounds), one block each. */
export function readLog(path: string, from: number | undefined, to: number | undefined): string[] {
  const { view, store } = loadView(path, true);
  store.close();
  const range = bounds(view);
  const actions = read(view, from ?? range.begin, to ?? range.end);
  return actions.map(describe);
}

const TYPE_NAMES = ["UNKNOWN", "NOP", "APPEND", "TRUNCATE"];

function describe(action: Action): string {
  const lines = [
    `position: ${action.position}`,
    `promised: ${action.promised}`,
    `performed: ${action.performed}`,
    `learned: ${action.learned}`,
    `type: ${TYPE_NAMES[action.type] ?? action.type}`,
  ];
  if (action.type === ActionType.NOP) lines.push(`nop {${action.tombstone ? " tombstone: true " : ""}}`);
  if (action.type === ActionType.TRUNCATE) lines.push(`truncate {\n  to: ${action.truncateTo}\n}`);
  if (action.type === ActionType.APPEND) lines.push(`append {\n  bytes: ${preview(action.payload ?? new Uint8Array(0))}\n}`);
  return lines.join("\n");
}

/** Printable text as a quoted string; binary data as its length and first bytes in hex. */
function preview(bytes: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  if (/^[\x20-\x7e\n\t]*$/.test(text) && bytes.length <= 4096) return JSON.stringify(text);
  const head = Buffer.from(bytes.subarray(0, 32)).toString("hex");
  return `<${bytes.length} bytes: ${head}${bytes.length > 32 ? "…" : ""}>`;
}
