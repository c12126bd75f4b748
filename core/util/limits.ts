// Every bound of the replicated log core, in one place (TigerBeetle: "put a limit on
// everything"). The host reads the same numbers from host/core.ts (LIMITS) so that both
// sides refuse the same inputs. Time inside the core is counted in ticks; the host turns
// wall time into ticks at TICK_MS per tick.

/** Milliseconds of wall time per tick: the host sends one Tick per TICK_MS. */
export const TICK_MS: i32 = 10;

/** Positions and proposals are integers below 2^53, exact in JS numbers and SQLite. */
export const POSITION_MAX: u64 = 0x1fffffffffffff; // 2^53 − 1
export const PROPOSAL_MAX: u64 = 0x1fffffffffffff;

/** Replicas in one ensemble (2·quorum−1 in a healthy deployment); bitmasks are u32. */
export const REPLICAS_MAX: i32 = 16;

/** Bytes of one appended entry. */
export const ENTRY_PAYLOAD_MAX_BYTES: i32 = 1 << 20;
/** Entries and bytes in one write round (one WriteRequest carries a batch). */
export const BATCH_ENTRIES_MAX: i32 = 1024;
export const BATCH_BYTES_MAX: i32 = 1 << 20;
/** Bytes of one encoded message or record (a full batch plus framing). */
export const MESSAGE_MAX_BYTES: i32 = BATCH_BYTES_MAX + ENTRY_PAYLOAD_MAX_BYTES + (64 << 10);
/** Input region: one event (a peer message plus its envelope, or a restore chunk). */
export const INPUT_CAP_BYTES: i32 = MESSAGE_MAX_BYTES + 64;

/** Write rounds in flight at once (the pipeline window) and positions they may cover. */
export const WRITE_ROUNDS_MAX: i32 = 16;
export const WINDOW_POSITIONS_MAX: i32 = WRITE_ROUNDS_MAX * BATCH_ENTRIES_MAX;
/** Appends and truncates queued at the coordinator before step() refuses more. */
export const APPEND_QUEUE_MAX: i32 = 1 << 16;
/**
 * Bytes of one chunk of the coordinator's append arena (appended values are copied into
 * shared chunks instead of one allocation each); a value above a quarter of it gets its own.
 */
export const APPEND_ARENA_CHUNK_BYTES: i32 = 64 << 10;
/** How far past the dense run of positions an action may land and still be stored densely. */
export const DENSE_SLACK_POSITIONS: i32 = 1 << 16;
/** Learned-range hints held for writes that have not arrived yet (see replica.ts). */
export const EARLY_LEARNED_MAX: i32 = WINDOW_POSITIONS_MAX;
/** Fill rounds (explicit promise + write) in flight during election and catch-up. */
export const FILLS_IN_FLIGHT_MAX: i32 = 64;
/** Positions a catch-up scan may step over per call before yielding to the next tick. */
export const CATCHUP_SCAN_MAX: i32 = 4096;
/** Messages processed from the local (self-addressed) queue within one step. */
export const LOCAL_QUEUE_MAX: i32 = 1 << 16;

/** Pending output bytes beyond which step() asks the host to drain (ready/advance). */
export const OUTBOX_SOFT_MAX_BYTES: i32 = 16 << 20;
/** Hard bound on one output batch; exceeding it is a core bug. */
export const OUTBOX_MAX_BYTES: i32 = 96 << 20;

// Timeouts, in ticks (Mesos's values at TICK_MS = 10).
/** Recovery protocol round (Mesos: 10 s), then the round restarts. */
export const RECOVER_ROUND_TIMEOUT_TICKS: i32 = 1000;
/** Back-off before retrying a recovery round that ended undecided (Mesos: 500 ms–1 s). */
export const RECOVER_RETRY_TICKS_MIN: i32 = 50;
export const RECOVER_RETRY_TICKS_MAX: i32 = 100;
/** Back-off after a rejected fill round, drawn in [MIN, MAX) (Mesos: 100–200 ms). */
export const FILL_BACKOFF_TICKS_MIN: i32 = 10;
export const FILL_BACKOFF_TICKS_MAX: i32 = 20;
/** A fill that has not finished is restarted with a higher proposal (Mesos: 10 s). */
export const FILL_TIMEOUT_TICKS: i32 = 1000;
/** An implicit promise round with no quorum of answers fails and is retried. */
export const PROMISE_TIMEOUT_TICKS: i32 = 100;
/** Back-off between election attempts, drawn in [MIN, MAX). */
export const ELECT_BACKOFF_TICKS_MIN: i32 = 10;
export const ELECT_BACKOFF_TICKS_MAX: i32 = 20;
/** Idempotent requests (writes, recover) are re-sent to silent replicas this often. */
export const RETRANSMIT_TICKS: i32 = 20;
/** Explicit promise rounds of a fill are re-tried (new proposal) after this long. */
export const FILL_PROMISE_TIMEOUT_TICKS: i32 = 100;

/** Codec version written in every record and message. */
export const CODEC_VERSION: u8 = 1;

/** Relations between the limits (TigerBeetle: assert them too); run once by init(). */
export function check_limits(): void {
  assert(POSITION_MAX < <u64>9007199254740992, "positions must stay below 2^53");
  assert(REPLICAS_MAX <= 32, "round masks are u32");
  assert(MESSAGE_MAX_BYTES >= BATCH_BYTES_MAX + ENTRY_PAYLOAD_MAX_BYTES, "a full batch must fit a message");
  assert(INPUT_CAP_BYTES > MESSAGE_MAX_BYTES, "a message must fit the input region");
  assert(OUTBOX_SOFT_MAX_BYTES < OUTBOX_MAX_BYTES, "backpressure must come before the hard bound");
  assert(RETRANSMIT_TICKS < PROMISE_TIMEOUT_TICKS, "re-send before giving up");
  assert(FILL_BACKOFF_TICKS_MIN < FILL_BACKOFF_TICKS_MAX, "fill back-off range");
  assert(ELECT_BACKOFF_TICKS_MIN < ELECT_BACKOFF_TICKS_MAX, "election back-off range");
  assert(RECOVER_RETRY_TICKS_MIN < RECOVER_RETRY_TICKS_MAX, "recovery retry range");
  assert(WINDOW_POSITIONS_MAX <= DENSE_SLACK_POSITIONS, "a window must land in the dense store");
}

// ---- The registry state machine (core/registry/) -------------------------------------------
// One core instance holds either a log node or a registry, never both. The registry keeps
// whole agent lists (Mesos's Registry), so its bounds are in bytes of the full snapshot.

/** Bytes of the full registry snapshot; an operation that would grow it beyond fails (0). */
export const REGISTRY_MAX_BYTES: i32 = 128 << 20;
/** Bytes of one input (a batch or a snapshot) the host may place with registry_reserve. */
export const REGISTRY_INPUT_MAX_BYTES: i32 = REGISTRY_MAX_BYTES + (1 << 20);
/** Bytes of one encoded batch, and operations in it. */
export const REGISTRY_BATCH_MAX_BYTES: i32 = 64 << 20;
export const REGISTRY_BATCH_OPS_MAX: i32 = 1 << 17;
/** Bytes of one agent id, one SlaveInfo JSON, the MasterInfo JSON. */
export const AGENT_ID_MAX_BYTES: i32 = 1024;
export const SLAVE_INFO_MAX_BYTES: i32 = 256 << 10;
export const MASTER_INFO_MAX_BYTES: i32 = 64 << 10;
/** Bytes of a hostname, ip, role, resource name or capability name. */
export const REGISTRY_NAME_MAX_BYTES: i32 = 4096;
/** Ids named by one PRUNE (each list). */
export const PRUNE_IDS_MAX: i32 = 1 << 17;
/** Machines in one operation and in the registry; windows in one schedule. */
export const MACHINES_MAX: i32 = 1 << 16;
export const WINDOWS_MAX: i32 = 1 << 14;
/** Roles with a quota or a weight, resources per quota map, capabilities. */
export const REGISTRY_ROLES_MAX: i32 = 1 << 14;
export const QUOTA_RESOURCES_MAX: i32 = 256;
export const CAPABILITIES_MAX: i32 = 64;
/** Version byte of the registry's batch and snapshot records. */
export const REGISTRY_VERSION: u8 = 1;

/** Relations between the registry's limits; run once by registry_init(). */
export function check_registry_limits(): void {
  assert(REGISTRY_INPUT_MAX_BYTES > REGISTRY_MAX_BYTES, "a full snapshot must fit the input");
  assert(REGISTRY_BATCH_MAX_BYTES <= REGISTRY_INPUT_MAX_BYTES, "a batch must fit the input");
  assert(SLAVE_INFO_MAX_BYTES + AGENT_ID_MAX_BYTES + 64 <= REGISTRY_BATCH_MAX_BYTES, "one admit must fit a batch");
  assert(AGENT_ID_MAX_BYTES <= 0xffff && REGISTRY_NAME_MAX_BYTES <= 0xffff, "names carry u16 lengths");
  assert(<i64>REGISTRY_INPUT_MAX_BYTES < <i64>0x7fffffff, "lengths cross the boundary as i32");
}
