// Safety checkers of reference/reliability.md §4, run on every event of the simulated host
// loop (persist, send, learned, result), plus the end-of-run liveness checks L2/L3.
//   S1 agreement     every learned value of a position is the same everywhere, ever
//   S2 validity      every learned APPEND was proposed by some writer
//   S3 durability    an acknowledged append is the chosen value of its position, and is
//                    still there (on every replica) after the run heals
//   S5 promises      a replica's durable promise never goes down, and every ACCEPT it sends
//                    is already durable (persist-before-reply); no response of a batch leaves
//                    before the batch's persist (only requests may: host/loop.ts's order)
//   S5 quorum        when a coordinator is elected, a quorum durably holds a promise at its
//                    proposal; when an append is acknowledged, a quorum durably holds it (so
//                    a coordinator never counted its own vote, or anyone's, before it was
//                    durable, whatever left early before a crash)
//   S6 non-voting    only a VOTING replica sends ACCEPT
//   S7 one writer    learned appends, in position order, carry non-decreasing proposals:
//                    a demoted coordinator's write is never chosen after its successor's
//   S12 limits       no message beyond MESSAGE_MAX_BYTES
import { ActionType, Kind, ResponseType, Status, decodeMessage, decodeRecords, type Action } from "../codec/index.ts";
import { LIMITS, NoticeKind, type LearnedEntry, type Notice, type ReadyBatch, type Result } from "../core.ts";
import { isEarly, type Cluster, type Observer, type SimNode } from "./cluster.ts";
import { bounds } from "../log/reader.ts";

export class SafetyViolation extends Error {
  override name = "SafetyViolation";
}

const decoder = new TextDecoder();

/** Writers tag payloads "n<node>.p<proposal>.<seq>" so S7 can read the proposal back. */
export function payloadTag(payload: string): number | null {
  const match = /^n\d+\.p(\d+)\./.exec(payload);
  return match ? Number(match[1]) : null;
}

function valueKey(type: number, bytes: Uint8Array | undefined, truncateTo?: number): string {
  if (type === ActionType.APPEND) return `A:${decoder.decode(bytes)}`;
  if (type === ActionType.TRUNCATE) return `T:${truncateTo}`;
  return `N`;
}

export class Checker implements Observer {
  /** position -> value chosen there (first learned or acknowledged). */
  readonly chosen = new Map<number, string>();
  readonly proposed = new Set<string>();
  /** position -> acknowledged payload. */
  readonly acked = new Map<number, string>();
  /** requestId -> payload, for appends in flight. */
  readonly pending = new Map<number, string>();
  private durablePromise = new Map<number, number>();
  /** Per node: position -> (performed proposal, value), to resolve LEARN records. */
  private written = new Map<number, Map<number, { performed: number; key: string }>>();
  private truncatedBelow = 0;
  /** Per node: where it is in carrying out its current batch (S5 order). */
  private phase = new Map<number, "early" | "persisted">();
  /**
   * Per node: values (position -> keys) and the highest promise ever durable on its disk. A
   * wiped disk keeps its history here: S5 quorum checks that nothing was counted before it
   * was durable, not that disks survive (a wipe is the recovery protocol's fault to handle).
   */
  private durableValues = new Map<number, Map<number, Set<string>>>();
  private durablePromised = new Map<number, number>();
  /** Per node: what it persisted since its last sync (lost if it crashes first). */
  private unsynced = new Map<number, { values: [number, string][]; promised: number }>();
  checks = 0;

  /**
   * `replyChecks: false` is TEST ONLY: it turns off the send-time S5 checks so a test can
   * show the end-to-end checkers alone catch a host that answers before it persists.
   */
  constructor(
    private readonly cluster: Cluster,
    private readonly options: { replyChecks?: boolean } = {},
  ) {}

  private fail(message: string): never {
    throw new SafetyViolation(`tick ${this.cluster.now}: ${message}`);
  }

  /** Records a chosen value, checking S1, S2 and S7 against what is already known. */
  private choose(node: SimNode, position: number, key: string, source: string): void {
    this.checks++;
    const known = this.chosen.get(position);
    if (known !== undefined) {
      if (known !== key) this.fail(`S1: node ${node.id} ${source} ${key.slice(0, 40)} at ${position}, chosen was ${known.slice(0, 40)}`);
      return;
    }
    if (key.startsWith("A:") && !this.proposed.has(key.slice(2))) this.fail(`S2: node ${node.id} learned unproposed ${key} at ${position}`);
    this.chosen.set(position, key);
    if (key.startsWith("T:")) this.truncatedBelow = Math.max(this.truncatedBelow, Number(key.slice(2)));
    if (key.startsWith("A:")) this.checkOrder(position, key);
  }

  /** S7: the nearest chosen appends below and above carry proposals on the right side. */
  private checkOrder(position: number, key: string): void {
    const tag = payloadTag(key.slice(2));
    if (tag === null) return;
    for (const step of [-1, 1]) {
      for (let p = position + step, n = 0; n < 2000 && p >= 0; p += step, n++) {
        const other = this.chosen.get(p);
        if (other === undefined || !other.startsWith("A:")) continue;
        const otherTag = payloadTag(other.slice(2));
        if (otherTag === null) break;
        if (step < 0 ? otherTag > tag : otherTag < tag) {
          this.fail(`S7: proposal ${tag} chosen at ${position} next to proposal ${otherTag} at ${p}`);
        }
        break;
      }
    }
  }

  private learnAction(node: SimNode, a: Action, source: string): void {
    if (a.tombstone) {
      if (a.position >= this.truncatedBelow) this.fail(`S1: tombstone at ${a.position} above every truncation (${this.truncatedBelow})`);
      return;
    }
    this.choose(node, a.position, valueKey(a.type, a.payload, a.truncateTo), source);
  }

  onBatch(node: SimNode, _batch: ReadyBatch): void {
    this.phase.set(node.id, "early");
  }

  onCrash(node: SimNode, _beforePersist: boolean): void {
    this.phase.delete(node.id);
    this.unsynced.delete(node.id); // the page cache died with the process
  }

  onPersist(node: SimNode, batch: ReadyBatch): void {
    this.phase.set(node.id, "persisted");
    let unsynced = this.unsynced.get(node.id);
    if (!unsynced) this.unsynced.set(node.id, (unsynced = { values: [], promised: 0 }));
    if (batch.persist.length > 0) {
      let written = this.written.get(node.id);
      if (!written) this.written.set(node.id, (written = new Map()));
      for (const record of decodeRecords(batch.persist)) {
        if (record.kind === Kind.Metadata) {
          unsynced.promised = Math.max(unsynced.promised, record.promised);
        } else if (record.kind === Kind.Action) {
          const a = record.action;
          if (a.type !== ActionType.NONE && !a.tombstone) written.set(a.position, { performed: a.performed, key: valueKey(a.type, a.payload, a.truncateTo) });
          if (a.type !== ActionType.NONE && !a.tombstone) unsynced.values.push([a.position, valueKey(a.type, a.payload, a.truncateTo)]);
          if (a.learned) this.learnAction(node, a, "persisted");
        } else if (record.kind === Kind.Learn) {
          for (let p = record.first; p < record.first + record.count; p++) {
            const w = written.get(p);
            if (w && w.performed === record.proposal) this.choose(node, p, w.key, "learned (range)");
          }
        }
      }
    }
    if (batch.mustSync) {
      let values = this.durableValues.get(node.id);
      if (!values) this.durableValues.set(node.id, (values = new Map()));
      for (const [position, key] of unsynced.values) {
        let keys = values.get(position);
        if (!keys) values.set(position, (keys = new Set()));
        keys.add(key);
      }
      this.durablePromised.set(node.id, Math.max(this.durablePromised.get(node.id) ?? 0, unsynced.promised));
      this.unsynced.delete(node.id);
    }
    const view = node.store.view;
    if (!view) return;
    const before = this.durablePromise.get(node.id) ?? 0;
    if (view.promised < before) this.fail(`S5: node ${node.id} durable promise fell from ${before} to ${view.promised}`);
    this.durablePromise.set(node.id, view.promised);
  }

  onSend(node: SimNode, _to: number, bytes: Uint8Array): void {
    if (bytes.length > LIMITS.messageMaxBytes) this.fail(`S12: message of ${bytes.length} bytes`);
    if (this.options.replyChecks === false) return;
    const kind = bytes[1];
    if (!isEarly(bytes) && this.phase.get(node.id) !== "persisted") {
      this.fail(`S5: node ${node.id} sent a response (kind ${kind}) before its batch was persisted`);
    }
    if (kind !== Kind.PromiseResponse && kind !== Kind.WriteResponse && kind !== Kind.FenceResponse) return;
    if (bytes[10] !== ResponseType.ACCEPT) return;
    this.checks++;
    if (node.status !== Status.VOTING) this.fail(`S6: node ${node.id} in status ${node.status} sent ACCEPT`);
    const view = node.store.view;
    if (!view) return;
    const m = decodeMessage(bytes);
    if (m.kind === Kind.PromiseResponse) {
      const action = view.actions.get(m.position);
      const durable = view.promised >= m.proposal || (action?.promised ?? 0) >= m.proposal || m.action?.tombstone === true;
      if (!durable) this.fail(`S5: node ${node.id} accepted promise ${m.proposal} before persisting it`);
    } else if (m.kind === Kind.FenceResponse) {
      if (view.fenceProposal < m.proposal) this.fail(`S5: node ${node.id} accepted fence ${m.proposal} before persisting it`);
    } else if (m.kind === Kind.WriteResponse) {
      for (let p = m.position; p < m.position + m.count; p++) {
        const a = view.actions.get(p);
        if (!a || (!a.learned && a.performed < m.proposal)) this.fail(`S5: node ${node.id} accepted write ${m.proposal} at ${p} before persisting it`);
      }
    }
  }

  onLearned(node: SimNode, entry: LearnedEntry): void {
    if (entry.tombstone) return;
    const v = new DataView(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
    const to = entry.type === ActionType.TRUNCATE ? v.getUint32(4, true) * 0x100000000 + v.getUint32(0, true) : undefined;
    this.choose(node, entry.position, valueKey(entry.type, entry.bytes, to), "applied");
  }

  onResult(node: SimNode, result: Result): void {
    const payload = this.pending.get(result.requestId);
    if (payload === undefined) return;
    this.pending.delete(result.requestId);
    if (result.status !== 1) return;
    this.acked.set(result.position, payload);
    this.choose(node, result.position, `A:${payload}`, "acknowledged");
    const key = `A:${payload}`;
    const holders = this.cluster.ids.filter((id) => this.durableValues.get(id)?.get(result.position)?.has(key) === true);
    this.checks++;
    if (holders.length < this.cluster.quorum) {
      this.fail(`S5: node ${node.id} acknowledged ${payload} at ${result.position} while only [${holders}] held it durably (quorum ${this.cluster.quorum})`);
    }
  }

  onNotice(node: SimNode, notice: Notice): void {
    if (notice.kind !== NoticeKind.Elected) return;
    const proposal = notice.b;
    const holders = this.cluster.ids.filter((id) => (this.durablePromised.get(id) ?? 0) >= proposal);
    this.checks++;
    if (holders.length < this.cluster.quorum) {
      this.fail(`S5: node ${node.id} elected with proposal ${proposal} while only [${holders}] had promised it durably (quorum ${this.cluster.quorum})`);
    }
  }

  onRestart(node: SimNode): void {
    if (node.store.view && node.store.view.status === 0) this.durablePromise.set(node.id, 0); // wiped
  }

  /** A writer proposes `payload` with request `requestId`. */
  propose(requestId: number, payload: string): void {
    this.proposed.add(payload);
    this.pending.set(requestId, payload);
  }

  /** L2 + L3 + S3 at the end: every replica VOTING, all agree on [max begin, final]. */
  checkConverged(final: number, core: SimNode[]): void {
    const views = core.map((n) => ({ id: n.id, status: n.status, view: n.store.snapshot() }));
    for (const v of views) if (v.status !== Status.VOTING) this.fail(`L2: node ${v.id} ended in status ${v.status}`);
    const begin = Math.max(...views.map((v) => bounds(v.view).begin));
    for (const v of views) {
      for (let p = begin; p <= final; p++) {
        const a = v.view.actions.get(p);
        if (!a?.learned) this.fail(`L3: node ${v.id} has not learned position ${p} (range ${begin}..${final})`);
        const key = valueKey(a.type, a.payload, a.truncateTo);
        if (this.chosen.get(p) !== key) this.fail(`L3/S1: node ${v.id} holds ${key.slice(0, 40)} at ${p}, chosen ${this.chosen.get(p)?.slice(0, 40)}`);
      }
    }
    for (const [p, payload] of this.acked) {
      if (p >= begin && p <= final && this.chosen.get(p) !== `A:${payload}`) this.fail(`S3: acknowledged ${payload} at ${p} lost`);
    }
  }
}
