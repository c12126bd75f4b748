// A ZooKeeper group with Mesos's semantics (mesos-spec §2.1, §2.4): members are ephemeral
// sequential children of a base znode ("<label>_<seq>" or just "<seq>"); the group creates the
// base path; pending operations wait for the session and are retried on retryable errors
// (2 s, doubling, capped at 60 s); and the session is declared expired locally once the
// negotiated session timeout passes without a word from the server, because a client only
// hears of expiry after it reconnects. Mesos arms that timer on disconnect; node-zookeeper-client
// never reports a silent server as disconnected, so a watchdog probes every third of the timeout
// and measures silence itself. This bounds split brain: on expiry the cached membership set
// becomes empty (detectors report "no leader") and owned memberships are cancelled.
import zookeeper, { type Client, type Exception } from "./client.ts";
import { logger } from "../logging.ts";
import type { ZkUrl } from "./url.ts";

const log = logger("group.ts");

export const RETRY_MS_INITIAL = 2000;
export const RETRY_MS_MAX = 60_000;
const PENDING_OPERATIONS_MAX = 1024;

export interface Membership {
  /** The ZooKeeper sequence number (the member's rank: lowest leads). */
  sequence: number;
  /** The label before "_" ("json.info"), or undefined for unlabelled members. */
  label: string | undefined;
  /** The znode's full path. */
  path: string;
}

export type GroupState = "disconnected" | "connecting" | "connected" | "ready" | "failed";

export interface GroupOptions {
  url: ZkUrl;
  session_timeout_ms: number;
}

type Pending = { run: (client: Client) => Promise<void>; fail: (error: Error) => void };

/** Parses a child name as Mesos does; null when it is not a member (e.g. "log_replicas"). */
export function parseMemberName(name: string): { sequence: number; label: string | undefined } | null {
  const tokens = name.split("_");
  const last = tokens[tokens.length - 1]!;
  if (!/^\d+$/.test(last)) return null;
  const sequence = Number(last);
  if (!Number.isSafeInteger(sequence) || sequence > 0x7fffffff) return null;
  return { sequence, label: tokens.length >= 2 ? tokens.slice(0, -1).join("_") : undefined };
}

export class Group {
  private client: Client | null = null;
  private state_value: GroupState = "disconnected";
  private members: Membership[] = [];
  private readonly owned = new Map<number, (user_requested: boolean) => void>();
  private readonly listeners = new Set<(members: readonly Membership[]) => void>();
  private readonly pending: Pending[] = [];
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private last_heard_ms = 0;
  private last_probe_ms = 0;
  private readonly cancelling = new Set<number>();
  private retry_timer: ReturnType<typeof setTimeout> | null = null;
  private retry_ms = RETRY_MS_INITIAL;
  private failure: Error | null = null;
  private closed = false;
  private session_generation = 0;

  constructor(private readonly options: GroupOptions) {
    if (options.session_timeout_ms <= 0) throw new Error("session timeout must be positive");
  }

  get state(): GroupState {
    return this.state_value;
  }

  get path(): string {
    return this.options.url.path;
  }

  /** Starts the first session. Operations issued before it is ready wait for it. */
  start(): void {
    if (this.client !== null || this.closed) return;
    this.connect();
  }

  /** The cached membership set, sorted by sequence (empty while the session is expired). */
  memberships(): readonly Membership[] {
    return this.members;
  }

  /** Calls `listener` with the new set whenever the cached membership set changes. */
  watch(listener: (members: readonly Membership[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Joins with an ephemeral sequential znode. Resolves with the membership and a promise that
   * settles when the membership ends: true when cancel() ended it, false when it was lost
   * (znode gone, session expired, group failed).
   */
  join(data: Buffer, label?: string): Promise<{ membership: Membership; cancelled: Promise<boolean> }> {
    const prefix = `${this.childPrefix()}${label === undefined ? "" : `${label}_`}`;
    return this.enqueue(async (client) => {
      const created = await call<string>((cb) => client.create(prefix, data, this.acls(), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
      const name = created.slice(created.lastIndexOf("/") + 1);
      const parsed = parseMemberName(name);
      if (parsed === null) throw new Error(`ZooKeeper created an unparsable member ${created}`);
      const membership: Membership = { ...parsed, path: created };
      const cancelled = new Promise<boolean>((resolve) => this.owned.set(membership.sequence, resolve));
      this.sync();
      return { membership, cancelled };
    });
  }

  /** Removes an owned membership; resolves false when it was already gone. */
  cancel(membership: Membership): Promise<boolean> {
    this.cancelling.add(membership.sequence);
    return this.enqueue(async (client) => {
      try {
        await call<void>((cb) => client.remove(membership.path, -1, (error) => cb(error, undefined)));
      } catch (error) {
        if (codeOf(error) !== zookeeper.Exception.NO_NODE) throw error;
        this.resolveOwned(membership.sequence, true);
        return false;
      }
      this.resolveOwned(membership.sequence, true);
      this.sync();
      return true;
    });
  }

  /** Removes a member's znode that this session does not own (a dead process's); false when already gone. */
  remove(path: string): Promise<boolean> {
    return this.enqueue(async (client) => {
      try {
        await call<void>((cb) => client.remove(path, -1, (error) => cb(error, undefined)));
      } catch (error) {
        if (codeOf(error) === zookeeper.Exception.NO_NODE) return false;
        throw error;
      }
      this.sync();
      return true;
    });
  }

  /** A member's data, or null when the znode no longer exists. */
  data(membership: Membership): Promise<Buffer | null> {
    return this.enqueue(async (client) => {
      try {
        return await call<Buffer>((cb) => client.getData(membership.path, cb));
      } catch (error) {
        if (codeOf(error) === zookeeper.Exception.NO_NODE) return null;
        throw error;
      }
    });
  }

  /** Closes the session: owned memberships end (their znodes vanish with the session). */
  close(): void {
    this.closed = true;
    this.clearTimers();
    for (const sequence of [...this.owned.keys()]) this.resolveOwned(sequence, true);
    this.failPending(new Error("group closed"));
    this.client?.close();
    this.client = null;
    this.state_value = "disconnected";
  }

  // ---- Session life cycle ----------------------------------------------------------------

  private connect(): void {
    const generation = ++this.session_generation;
    const { url, session_timeout_ms } = this.options;
    const client = zookeeper.createClient(url.servers + "", { sessionTimeout: session_timeout_ms, spinDelay: 200, retries: 0 });
    this.client = client;
    this.state_value = "connecting";
    this.last_heard_ms = Date.now(); // a session never established expires after one timeout too
    this.startWatchdog();
    const current = () => generation === this.session_generation && !this.closed;
    client.on("connected", () => current() && this.connected(client));
    client.on("disconnected", () => current() && this.disconnected(client));
    client.on("expired", () => current() && this.expire("the ZooKeeper session expired"));
    client.on("authenticationFailed", () => current() && this.fail(new Error("ZooKeeper authentication failed")));
    if (url.credentials) client.addAuthInfo("digest", Buffer.from(`${url.credentials.user}:${url.credentials.password}`));
    client.connect();
  }

  private connected(client: Client): void {
    this.last_heard_ms = Date.now();
    const first = this.state_value === "connecting" && this.members.length === 0;
    this.state_value = "connected";
    log.info(`Connected to ZooKeeper ${this.options.url.servers} (session timeout ${client.getSessionTimeout()} ms)`);
    call<string>((cb) => client.mkdirp(this.options.url.path, Buffer.alloc(0), this.acls(), zookeeper.CreateMode.PERSISTENT, cb))
      .then(() => {
        if (this.client !== client || this.closed) return;
        this.state_value = "ready";
        this.retry_ms = RETRY_MS_INITIAL;
        this.sync();
        this.drain();
      })
      .catch((error) => this.operationFailed(error, first ? "creating the base path" : "re-creating the base path"));
  }

  private disconnected(client: Client): void {
    if (this.client !== client) return;
    this.state_value = "connecting";
    log.warning(`Disconnected from ZooKeeper; the session expires locally ${this.timeoutMs()} ms after the server was last heard unless it reconnects`);
  }

  /** The negotiated timeout once known: the server may have lowered or raised what we asked. */
  private timeoutMs(): number {
    return this.client?.getSessionTimeout() || this.options.session_timeout_ms;
  }

  /** Session expired (locally or by the server): empty membership, owned lost, new session. */
  private expire(reason: string): void {
    log.warning(`${reason}; starting a new session`);
    this.stopWatchdog();
    this.client?.close();
    this.client = null;
    for (const sequence of [...this.owned.keys()]) this.resolveOwned(sequence, false);
    this.setMembers([]);
    if (!this.closed && this.failure === null) this.connect();
  }

  private fail(error: Error): void {
    log.error(`ZooKeeper group failed: ${error.message}`);
    this.failure = error;
    this.state_value = "failed";
    this.clearTimers();
    for (const sequence of [...this.owned.keys()]) this.resolveOwned(sequence, false);
    this.failPending(error);
    this.client?.close();
    this.client = null;
  }

  /**
   * Every tenth of the timeout: expire when the server has been silent for a whole session
   * timeout; probe it every third of the timeout so silence is measured, not assumed.
   */
  private startWatchdog(): void {
    this.stopWatchdog();
    const period_ms = Math.max(20, Math.floor(this.options.session_timeout_ms / 10));
    this.watchdog = setInterval(() => this.watch_tick(), period_ms);
  }

  private watch_tick(): void {
    const now = Date.now();
    const timeout_ms = this.timeoutMs();
    if (now - this.last_heard_ms >= timeout_ms) return this.expire(`No word from ZooKeeper for ${now - this.last_heard_ms} ms (session timeout ${timeout_ms} ms)`);
    const client = this.client;
    if (client === null || this.state_value !== "ready" || now - this.last_probe_ms < timeout_ms / 3) return;
    this.last_probe_ms = now;
    client.exists(this.options.url.path, (error) => {
      if (this.client === client && !error) this.heard();
    });
  }

  /**
   * Whether the session is known alive now: the server was heard within one session timeout
   * (a short disconnection keeps it alive, as the server keeps the session that long). False at
   * once after a pause longer than that (SIGSTOP, a stalled VM), before the watchdog has run:
   * what a leader checks before it answers from its state.
   */
  fresh(now_ms = Date.now()): boolean {
    return this.client !== null && this.state_value !== "failed" && now_ms - this.last_heard_ms < this.timeoutMs();
  }

  /** The server answered: the session is alive as of now. */
  private heard(): void {
    this.last_heard_ms = Date.now();
  }

  private stopWatchdog(): void {
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private clearTimers(): void {
    this.stopWatchdog();
    if (this.retry_timer !== null) clearTimeout(this.retry_timer);
    this.retry_timer = null;
  }

  // ---- Membership cache ------------------------------------------------------------------

  /** Re-reads the children with a watch; a fired watch syncs again. */
  private sync(): void {
    const client = this.client;
    if (client === null || this.state_value !== "ready") return;
    client.getChildren(this.options.url.path, () => this.sync(), (error, children) => {
      if (this.client !== client) return;
      if (error) return void this.operationFailed(error, "listing the group");
      this.heard();
      const members: Membership[] = [];
      for (const name of children) {
        const parsed = parseMemberName(name);
        if (parsed !== null) members.push({ ...parsed, path: `${this.childPrefix()}${name}` });
      }
      members.sort((a, b) => a.sequence - b.sequence);
      for (const sequence of [...this.owned.keys()]) {
        if (!members.some((m) => m.sequence === sequence)) this.resolveOwned(sequence, this.cancelling.has(sequence));
      }
      this.setMembers(members);
    });
  }

  private setMembers(members: Membership[]): void {
    const same = members.length === this.members.length && members.every((m, i) => m.path === this.members[i]!.path);
    if (same) return;
    this.members = members;
    for (const listener of [...this.listeners]) listener(members);
  }

  private resolveOwned(sequence: number, user_requested: boolean): void {
    const resolve = this.owned.get(sequence);
    this.cancelling.delete(sequence);
    if (resolve === undefined) return;
    this.owned.delete(sequence);
    resolve(user_requested);
  }

  // ---- Pending operations ----------------------------------------------------------------

  private enqueue<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("group closed"));
    if (this.pending.length >= PENDING_OPERATIONS_MAX) return Promise.reject(new Error("too many pending ZooKeeper operations"));
    this.start();
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run: async (client) => resolve(await operation(client)), fail: reject });
      this.drain();
    });
  }

  /** Runs pending operations in order while the session is ready; requeues on retryable errors. */
  private drain(): void {
    const client = this.client;
    if (client === null || this.state_value !== "ready") return;
    const batch = this.pending.splice(0, this.pending.length);
    for (const item of batch) {
      item.run(client).catch((error) => {
        if (isRetryable(error)) {
          this.pending.push(item);
          this.scheduleRetry();
        } else if (isFatal(error)) {
          item.fail(error as Error);
          this.fail(error as Error);
        } else {
          item.fail(error as Error);
        }
      });
    }
  }

  private scheduleRetry(): void {
    if (this.retry_timer !== null) return;
    const delay_ms = this.retry_ms;
    this.retry_ms = Math.min(this.retry_ms * 2, RETRY_MS_MAX);
    this.retry_timer = setTimeout(() => {
      this.retry_timer = null;
      this.drain();
    }, delay_ms);
  }

  private operationFailed(error: unknown, what: string): void {
    if (isFatal(error)) return this.fail(new Error(`${what}: ${String(error)}`));
    log.warning(`Retrying after a ZooKeeper error while ${what}: ${String(error)}`);
    this.scheduleRetry();
    const client = this.client;
    if (this.retry_timer !== null && client !== null && this.state_value === "connected") {
      // the base path is not there yet: try the whole ready sequence again on the next retry
      setTimeout(() => this.client === client && this.state_value === "connected" && this.connected(client), this.retry_ms);
    }
  }

  private failPending(error: Error): void {
    for (const item of this.pending.splice(0, this.pending.length)) item.fail(error);
  }

  private childPrefix(): string {
    const path = this.options.url.path;
    return path === "/" ? "/" : `${path}/`;
  }

  /** With credentials: creator-all plus world-read, as Mesos sets them; otherwise open. */
  private acls(): zookeeper.ACL[] {
    const anyone = new zookeeper.Id("world", "anyone");
    if (!this.options.url.credentials) return [new zookeeper.ACL(zookeeper.Permission.ALL, anyone)];
    return [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id("auth", "")), new zookeeper.ACL(zookeeper.Permission.READ, anyone)];
  }
}

function codeOf(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "getCode" in error ? (error as Exception).getCode() : undefined;
}

function isRetryable(error: unknown): boolean {
  const code = codeOf(error);
  return code === zookeeper.Exception.CONNECTION_LOSS || code === zookeeper.Exception.OPERATION_TIMEOUT;
}

function isFatal(error: unknown): boolean {
  const code = codeOf(error);
  return code === zookeeper.Exception.NO_AUTH || code === zookeeper.Exception.AUTH_FAILED || code === zookeeper.Exception.INVALID_ACL;
}

function call<T>(fn: (cb: (error: Error | Exception | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}
