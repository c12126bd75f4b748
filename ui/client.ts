// How the page talks to the cluster: the operator's credentials (typed into the login form, kept
// for this tab only, sent as an Authorization header), which masters exist and which one leads
// (each master's /log/status, polled), leader-only reads and calls that go straight to the
// leader (a 307 or 503 means it moved: find it again), and the operator event stream (POST
// /api/v1 SUBSCRIBE, RecordIO), re-opened at the new leader after a failover, so the page
// survives one without a reload. Every wait is bounded; nothing retries faster than RETRY_MS.

export const RETRY_MS = 500;
const REQUEST_TIMEOUT_MS = 5_000;
/** The largest RecordIO record accepted (SUBSCRIBED carries the whole state). */
const RECORD_BYTES_MAX = 64 * 1024 * 1024;
const CREDENTIALS_KEY = "mesos-ui-authorization";

export interface MasterStatus {
  master: { id: string; pid: string; hostname: string; port: number; elected: boolean; start_time: number; elected_time?: number };
  leader: { id: string; pid: string; hostname: string; port: number } | null;
  replica: {
    self: string; replicas: string[]; quorum: number; status: string; begin: number; learned: number; fsyncs: number; fsyncs_per_s: number;
    entries_per_fsync: number; append_latency_ms_p99: number;
  } | null;
  zookeeper: { state: string; session_timeout_ms: number; url: string } | null;
  registry: { recovered: boolean; size_bytes: number | null; store_ms_p50: number | null; store_ms_p99: number | null; stores: number | null };
  time: number;
}

export type Reachability = { ok: true; status: MasterStatus } | { ok: false; error: string };

export class Unauthorized extends Error {}

const originOfPid = (pid: string) => `${location.protocol}//${pid.slice(pid.indexOf("@") + 1)}`;

export class ClusterClient {
  /** Every master known, by origin (scheme://ip:port), and what it last said. */
  readonly masters = new Map<string, Reachability | null>();
  leader: string | null = null;
  authorization: string | null = sessionStorage.getItem(CREDENTIALS_KEY);
  /** Called when a request needs credentials; resolves once the operator gave some. */
  onUnauthorized: () => Promise<void> = async () => {};
  private readonly listeners = new Set<() => void>();

  constructor(self = location.origin) {
    this.masters.set(self, null);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  login(principal: string, secret: string): void {
    this.authorization = `Basic ${btoa(`${principal}:${secret}`)}`;
    sessionStorage.setItem(CREDENTIALS_KEY, this.authorization);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.authorization === null ? extra : { ...extra, authorization: this.authorization };
  }

  /** fetch with our credentials, no redirect following (a cross-origin redirect would drop them) and a timeout. */
  async request(url: string, init: RequestInit = {}, timeout_ms = REQUEST_TIMEOUT_MS): Promise<Response> {
    for (;;) {
      // credentials "omit": the Authorization header is ours; a 401 must come back to the page,
      // not open the browser's own login prompt (which it does for same-origin requests with credentials).
      const response = await fetch(url, {
        ...init, redirect: "manual", credentials: "omit", headers: this.headers(init.headers as Record<string, string> | undefined),
        signal: init.signal ?? AbortSignal.timeout(timeout_ms),
      });
      if (response.status !== 401) return response;
      await this.onUnauthorized();
    }
  }

  /** Asks every known master for its /log/status; learns the replica set and the leader. */
  async discover(): Promise<void> {
    const origins = [...this.masters.keys()];
    const answers = await Promise.all(origins.map(async (origin): Promise<Reachability> => {
      try {
        const response = await this.request(`${origin}/log/status`, {}, 2_000);
        if (response.status !== 200) return { ok: false, error: `HTTP ${response.status}` };
        return { ok: true, status: (await response.json()) as MasterStatus };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    }));
    let leader: string | null = null;
    origins.forEach((origin, i) => {
      const answer = answers[i]!;
      this.masters.set(origin, answer);
      if (!answer.ok) return;
      for (const replica of answer.status.replica?.replicas ?? []) {
        const peer = `${location.protocol}//${replica}`;
        if (!this.masters.has(peer)) this.masters.set(peer, null);
      }
      if (answer.status.master.elected) leader = originOfPid(answer.status.master.pid);
      else if (leader === null && answer.status.leader !== null) leader = originOfPid(answer.status.leader.pid);
    });
    if (leader !== null && !this.masters.has(leader)) this.masters.set(leader, null);
    this.leader = leader;
    this.changed();
  }

  /** Resolves with the leader's origin, asking the masters until one leads. */
  async awaitLeader(signal?: AbortSignal): Promise<string> {
    for (;;) {
      if (this.leader !== null) return this.leader;
      if (signal?.aborted) throw new Error("stopped");
      await this.discover();
      if (this.leader === null) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** A leader-only read: straight to the leader; a 307, 503 or unreachable leader means it moved. */
  async leaderJson<T>(path: string): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const leader = await this.awaitLeader();
      try {
        const response = await this.request(`${leader}${path}`);
        if (response.status === 200) return (await response.json()) as T;
        if (response.status !== 307 && response.status !== 503 && response.type !== "opaqueredirect") throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
      } catch (error) {
        if (attempt >= 5) throw error;
      }
      this.leader = null;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  /** A v1 operator call at the leader. */
  call<T>(type: string, message?: Record<string, unknown>): Promise<T> {
    return this.leaderJsonPost<T>({ type, ...(message === undefined ? {} : { [type.toLowerCase()]: message }) });
  }

  private async leaderJsonPost<T>(body: unknown): Promise<T> {
    const leader = await this.awaitLeader();
    const response = await this.request(`${leader}/api/v1`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify(body) });
    if (response.status !== 200) {
      this.leader = null;
      throw new Error(`HTTP ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as T;
  }

  /**
   * The operator event stream at the leader, re-opened after it ends (a failover): each record
   * goes to `onEvent`, the first of each stream being SUBSCRIBED with the whole state.
   */
  stream(onEvent: (event: Record<string, unknown>) => void, onState: (connected: boolean) => void): () => void {
    const stop = new AbortController();
    void (async () => {
      while (!stop.signal.aborted) {
        try {
          const leader = await this.awaitLeader(stop.signal);
          const response = await this.request(`${leader}/api/v1`, {
            method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ type: "SUBSCRIBE" }), signal: stop.signal,
          });
          if (response.status !== 200 || response.body === null) throw new Error(`SUBSCRIBE: HTTP ${response.status}`);
          onState(true);
          await readRecords(response.body, onEvent);
        } catch {
          // the leader went away or refused: find the leader again below
        }
        onState(false);
        this.leader = null;
        if (!stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    })();
    return () => stop.abort();
  }
}

/** Reads a RecordIO stream ("<length>\n<bytes>"...) until it ends, in a buffer that grows by doubling (a big SUBSCRIBED costs O(size)). */
async function readRecords(body: ReadableStream<Uint8Array>, onRecord: (record: Record<string, unknown>) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let data = new Uint8Array(64 * 1024);
  let start = 0;
  let end = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (end + value.length > data.length) {
      const live = end - start;
      let capacity = data.length;
      while (live + value.length > capacity) capacity *= 2;
      if (capacity > 2 * RECORD_BYTES_MAX) throw new Error("RecordIO record too large");
      if (capacity === data.length) data.copyWithin(0, start, end);
      else {
        const grown = new Uint8Array(capacity);
        grown.set(data.subarray(start, end), 0);
        data = grown;
      }
      end = live;
      start = 0;
    }
    data.set(value, end);
    end += value.length;
    for (;;) {
      const newline = data.subarray(start, end).indexOf(10);
      if (newline < 0) break;
      const length = Number(decoder.decode(data.subarray(start, start + newline)));
      if (!Number.isSafeInteger(length) || length < 0 || length > RECORD_BYTES_MAX) throw new Error("bad RecordIO length");
      const body_start = start + newline + 1;
      if (end < body_start + length) break;
      onRecord(JSON.parse(decoder.decode(data.subarray(body_start, body_start + length))) as Record<string, unknown>);
      start = body_start + length;
    }
  }
}
