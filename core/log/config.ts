// Static facts of this node, set once by init(): who we are, the replica set, the quorum,
// and the logical clock (ticks) that step(Tick) advances.
import { REPLICAS_MAX } from "../util/limits";

export class Config {
  self_id: u32 = 0;
  quorum: i32 = 1;
  auto_initialize: bool = true;
  /**
   * TEST ONLY (init flag bit 31): a deliberately broken replica that accepts writes below
   * its promise. The simulator's mutation test switches it on to prove the checkers catch a
   * broken Paxos rule; no host ever sets it.
   */
  mutation_accept_low_writes: bool = false;
  /**
   * TEST ONLY (init flag bit 30): a replica whose learn() overwrites an already-learned
   * position with whatever a Learned message says (the refusal disabled), so the simulator can
   * prove its checkers catch a poisoned Learned.
   */
  mutation_overwrite_learned: bool = false;
  /** Replica ids of the ensemble, including self; the index is the bit in round masks. */
  peers: Array<u32> = [];
  now_ticks: i64 = 0;

  peer_index(id: u32): i32 {
    for (let i = 0; i < this.peers.length; i++) {
      if (unchecked(this.peers[i]) == id) return i;
    }
    return -1;
  }

  set_peers(ids: Array<u32>): void {
    assert(ids.length > 0 && ids.length <= REPLICAS_MAX, "config: replica count out of range");
    assert(ids.includes(this.self_id), "config: replica set must include self");
    this.peers = ids;
  }

  /** All replicas' bits: a round is complete when every one has answered. */
  all_mask(): u32 {
    return this.peers.length >= 32 ? 0xffffffff : (<u32>1 << <u32>this.peers.length) - 1;
  }
}

export const config = new Config();
