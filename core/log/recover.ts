// Recovery of a non-VOTING replica (Mesos recover.cpp, reference §3.8) and reader catch-up
// of a lagging VOTING replica (§3.9). Both start with the recover protocol: ask every
// replica for its status (and, if VOTING, its begin/end), deciding on each reply:
//   1. a quorum of VOTING replies -> catch up [lowest begin, highest end] (recovery marks
//      itself RECOVERING first; reader catch-up stops one short of the end so as not to
//      demote the writer, and fails when begin == end);
//   2. auto-init, local EMPTY, EMPTY+STARTING >= 2q-1 -> STARTING, ask again;
//   3. auto-init, local STARTING, STARTING+VOTING >= 2q-1 -> VOTING;
//   4. every replica answered undecided -> ask again after 500 ms–1 s; a round that never
//      completes restarts after 10 s.
// Beyond Mesos: the replies carry each VOTING replica's implicit promise, and a recovered
// replica adopts the highest before it votes, so a wiped disk cannot forget a promise.
import { Round, register_round, unregister_round } from "./rounds";
import { STATUS_EMPTY, STATUS_STARTING, STATUS_RECOVERING, STATUS_VOTING } from "./action";
import { Message, write_recover_request } from "../codec/messages";
import { KIND_RECOVER_RESPONSE } from "../codec/frame";
import { outbox, BROADCAST, RESULT_CATCHUP, RESULT_NONE, RESULT_OK, NOTICE_INIT_NEEDED } from "./outbox";
import { config } from "./config";
import { replica } from "./replica";
import { FillSet } from "./fill";
import { prng_range } from "../util/prng";
import {
  RECOVER_ROUND_TIMEOUT_TICKS, RECOVER_RETRY_TICKS_MIN, RECOVER_RETRY_TICKS_MAX, RETRANSMIT_TICKS,
  POSITION_MAX,
} from "../util/limits";

const IDLE: u8 = 0;
const ASKING: u8 = 1;
const WAITING: u8 = 2;
const CATCHING_UP: u8 = 3;

const MODE_RECOVER: u8 = 1;
const MODE_READER: u8 = 2;

class RecoverRound extends Round {
  voting: i32 = 0;
  starting: i32 = 0;
  empty: i32 = 0;
  begin: u64 = POSITION_MAX;
  end: u64 = 0;
  promised: u64 = 0;
  override on_response(index: i32, m: Message): void {
    if (m.kind == KIND_RECOVER_RESPONSE) recovery.response(this, index, m);
  }
}

export class Recovery {
  state: u8 = IDLE;
  mode: u8 = MODE_RECOVER;
  request_id: u32 = 0;
  round: RecoverRound | null = null;
  retry_at_ticks: i64 = 0;
  fills: FillSet = new FillSet();
  promised: u64 = 0;
  end: u64 = 0;

  /** Brings the local replica to VOTING (runs at start whenever it is not VOTING). */
  start_recover(): void {
    assert(replica.status != STATUS_VOTING, "recover: replica already VOTING");
    assert(this.state == IDLE, "recover: already running");
    this.mode = MODE_RECOVER;
    this.ask();
  }

  /** Reader catch-up (Mesos Reader.catchup): only for an idle VOTING replica. */
  start_catchup(request_id: u32): void {
    if (this.state != IDLE || replica.status != STATUS_VOTING) {
      outbox.result(request_id, RESULT_CATCHUP, RESULT_NONE, 0);
      return;
    }
    this.mode = MODE_READER;
    this.request_id = request_id;
    this.ask();
  }

  private ask(): void {
    if (this.round != null) unregister_round(this.round!);
    const r = new RecoverRound();
    register_round(r);
    this.round = r;
    this.state = ASKING;
    const w = outbox.scratch;
    w.reset();
    write_recover_request(w, r.id);
    outbox.route(BROADCAST);
  }

  response(r: RecoverRound, index: i32, m: Message): void {
    if (this.round !== r || this.state != ASKING) return;
    if (!r.tally.record(index, 1, 0)) return;
    if (m.status == STATUS_VOTING) {
      r.voting++;
      if (m.begin < r.begin) r.begin = m.begin;
      if (m.end > r.end) r.end = m.end;
      if (m.promised > r.promised) r.promised = m.promised;
    } else if (m.status == STATUS_STARTING) {
      r.starting++;
    } else if (m.status == STATUS_EMPTY) {
      r.empty++;
    }
    this.decide(r);
  }

  private decide(r: RecoverRound): void {
    const ensemble = 2 * config.quorum - 1;
    assert(r.voting + r.starting + r.empty <= config.peers.length, "recover: more replies than replicas");
    const auto = config.auto_initialize && this.mode == MODE_RECOVER;
    if (r.voting >= config.quorum) {
      this.recovered(r);
    } else if (auto && replica.status == STATUS_EMPTY && r.empty + r.starting >= ensemble) {
      replica.set_status(STATUS_STARTING);
      this.ask();
    } else if (auto && replica.status == STATUS_STARTING && r.starting + r.voting >= ensemble) {
      this.finish_round();
      replica.set_status(STATUS_VOTING);
      this.state = IDLE;
    } else if (r.tally.all_in()) {
      if (!config.auto_initialize && r.empty == config.peers.length) outbox.notice(NOTICE_INIT_NEEDED, 0, 0);
      this.finish_round();
      this.state = WAITING;
      this.retry_at_ticks = config.now_ticks + prng_range(RECOVER_RETRY_TICKS_MIN, RECOVER_RETRY_TICKS_MAX);
    }
  }

  private finish_round(): void {
    if (this.round != null) unregister_round(this.round!);
    this.round = null;
  }

  private recovered(r: RecoverRound): void {
    assert(r.voting >= config.quorum, "recovered without a VOTING quorum");
    this.finish_round();
    this.promised = r.promised;
    this.end = r.end;
    assert(r.begin <= r.end + 1, "recover: begin beyond end");
    if (this.mode == MODE_READER) {
      if (r.begin == r.end) {
        outbox.result(this.request_id, RESULT_CATCHUP, RESULT_NONE, 0); // "only 1 position"
        this.state = IDLE;
        return;
      }
      const from = replica.begin < r.begin ? replica.begin : r.begin;
      this.state = CATCHING_UP;
      this.fills.start(from, r.end - 1, 0);
    } else {
      if (replica.status != STATUS_RECOVERING) replica.set_status(STATUS_RECOVERING);
      this.state = CATCHING_UP;
      this.fills.start(r.begin, r.end, 0);
    }
    this.poll();
  }

  /** Finishes once every position of the range is learned locally. */
  poll(): void {
    if (this.state != CATCHING_UP || !this.fills.done()) return;
    this.fills.stop();
    this.state = IDLE;
    if (this.mode == MODE_READER) {
      outbox.result(this.request_id, RESULT_CATCHUP, RESULT_OK, this.end - 1);
      return;
    }
    replica.raise_promised(this.promised);
    replica.set_status(STATUS_VOTING);
    assert(replica.status == STATUS_VOTING, "recover: not VOTING after catch-up");
  }

  tick(): void {
    const now = config.now_ticks;
    if (this.state == ASKING) {
      const r = this.round!;
      if (now - r.started_ticks >= RECOVER_ROUND_TIMEOUT_TICKS) {
        this.ask();
      } else if (now - r.last_sent_ticks >= RETRANSMIT_TICKS) {
        r.last_sent_ticks = now;
        this.resend(r);
      }
    } else if (this.state == WAITING && now >= this.retry_at_ticks) {
      this.ask();
    } else if (this.state == CATCHING_UP) {
      this.fills.tick();
      this.poll();
    }
  }

  /** RecoverRequest is read-only, so re-sending it to silent replicas is harmless. */
  private resend(r: RecoverRound): void {
    for (let i = 0; i < config.peers.length; i++) {
      if ((r.tally.responded & (<u32>1 << <u32>i)) != 0) continue;
      const w = outbox.scratch;
      w.reset();
      write_recover_request(w, r.id);
      outbox.route(unchecked(config.peers[i]));
    }
  }
}

export const recovery = new Recovery();
