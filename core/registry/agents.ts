// The agent operations of mesos-spec §4.3, with Mesos's results (registry_operations.cpp):
// true = applied or a harmless no-op, false = Mesos's Error. An operation that returns false
// has changed nothing. Lookups are O(1) through the id-keyed maps; Mesos scans its lists.
//
// Deliberate differences, only in states the master never creates: marking unreachable an
// id that is already in the unreachable list (it must also be admitted again) replaces the
// old entry instead of keeping two; ReactivateAgent clears both entries of an id found in
// both lists. A registry over REGISTRY_MAX_BYTES refuses the operation that would grow it.
import {
  AgentState, CAP_AGENT_DRAINING, DRAIN_DRAINED, DRAIN_DRAINING, Drain, Gone, Registry, Slave, Unreachable, bytes_equal,
} from "./state";
import { Op } from "./ops";
import { fits, gone_size, slave_size, unreachable_size } from "./sizes";
import { DRAIN_BYTES, name_size } from "./wire";

// ---- Bookkeeping: every list change goes through these, so the counters stay exact ----------

function add_slave(reg: Registry, s: Slave): void {
  assert(!reg.slaves.has(s.id), "add_slave: id already admitted");
  reg.slaves.set(s.id, s);
  reg.agent_bytes += slave_size(s);
  if (s.deactivated) reg.deactivated_count++;
}

function remove_slave(reg: Registry, s: Slave): void {
  assert(reg.slaves.delete(s.id), "remove_slave: id not admitted");
  reg.agent_bytes -= slave_size(s);
  if (s.deactivated) reg.deactivated_count--;
}

function add_unreachable(reg: Registry, u: Unreachable): void {
  assert(!reg.unreachable.has(u.id), "add_unreachable: id already unreachable");
  reg.unreachable.set(u.id, u);
  reg.agent_bytes += unreachable_size(u);
  if (u.deactivated) reg.deactivated_count++;
}

function remove_unreachable(reg: Registry, u: Unreachable): void {
  assert(reg.unreachable.delete(u.id), "remove_unreachable: id not unreachable");
  reg.agent_bytes -= unreachable_size(u);
  if (u.deactivated) reg.deactivated_count--;
}

function add_gone(reg: Registry, g: Gone): void {
  assert(!reg.gone.has(g.id), "add_gone: id already gone");
  reg.gone.set(g.id, g);
  reg.agent_bytes += gone_size(g);
}

function remove_gone(reg: Registry, g: Gone): void {
  assert(reg.gone.delete(g.id), "remove_gone: id not gone");
  reg.agent_bytes -= gone_size(g);
}

function set_deactivated(reg: Registry, a: AgentState, value: bool): void {
  if (a.deactivated == value) return;
  a.deactivated = value;
  reg.deactivated_count += value ? 1 : -1;
  assert(reg.deactivated_count >= 0, "deactivated_count below zero");
}

function set_drain(reg: Registry, a: AgentState, d: Drain | null): void {
  const before = a.drain === null ? 0 : DRAIN_BYTES;
  const after = d === null ? 0 : DRAIN_BYTES;
  a.drain = d;
  reg.agent_bytes += <i64>(after - before);
}

export function add_capability(reg: Registry, name: string): void {
  if (reg.capabilities.includes(name)) return;
  reg.capabilities.push(name);
  reg.small_bytes += name_size(name);
}

export function remove_capability(reg: Registry, name: string): void {
  const i = reg.capabilities.indexOf(name);
  if (i < 0) return;
  reg.capabilities.splice(i, 1);
  reg.small_bytes -= name_size(name);
}

/** The admitted entry of id, else its unreachable entry (Mesos's search order), else null. */
function find_agent(reg: Registry, id: string): AgentState | null {
  if (reg.slaves.has(id)) return reg.slaves.get(id);
  if (reg.unreachable.has(id)) return reg.unreachable.get(id);
  return null;
}

// ---- Operations ---------------------------------------------------------------------------

export function admit_slave(reg: Registry, op: Op): bool {
  if (reg.slaves.has(op.id)) return false;
  const s = new Slave(op.id, op.bytes!);
  if (!fits(reg, slave_size(s))) return false;
  add_slave(reg, s);
  return true;
}

export function update_slave(reg: Registry, op: Op): bool {
  if (!reg.slaves.has(op.id)) return false;
  const s = reg.slaves.get(op.id);
  const info = op.bytes!;
  if (bytes_equal(s.info, info)) return true;
  const grow = <i64>(info.length - s.info.length);
  if (grow > 0 && !fits(reg, grow)) return false;
  s.info = info; // Replaced in place: the entry keeps its position.
  reg.agent_bytes += grow;
  return true;
}

export function mark_slave_unreachable(reg: Registry, op: Op): bool {
  if (!reg.slaves.has(op.id)) return false;
  const s = reg.slaves.get(op.id);
  const u = new Unreachable(op.id, op.time_ns);
  u.drain = s.drain;
  u.deactivated = s.deactivated;
  if (!fits(reg, unreachable_size(u))) return false;
  remove_slave(reg, s);
  if (reg.unreachable.has(op.id)) remove_unreachable(reg, reg.unreachable.get(op.id));
  add_unreachable(reg, u);
  return true;
}

export function mark_slave_reachable(reg: Registry, op: Op): bool {
  if (reg.slaves.has(op.id)) return true; // Already admitted: no change (failover re-registration).
  const s = new Slave(op.id, op.bytes!);
  let u: Unreachable | null = null;
  if (reg.unreachable.has(op.id)) {
    u = reg.unreachable.get(op.id);
    s.drain = u.drain;
    s.deactivated = u.deactivated;
  }
  if (!fits(reg, slave_size(s))) return false;
  if (u !== null) remove_unreachable(reg, u);
  add_slave(reg, s); // Admitted even when unknown: it may have been GC'd from the unreachable list.
  return true;
}

export function remove_slave_op(reg: Registry, op: Op): bool {
  if (!reg.slaves.has(op.id)) return false;
  remove_slave(reg, reg.slaves.get(op.id));
  return true;
}

export function mark_slave_gone(reg: Registry, op: Op): bool {
  if (reg.gone.has(op.id)) return false;
  const admitted = reg.slaves.has(op.id);
  if (!admitted && !reg.unreachable.has(op.id)) return false;
  const g = new Gone(op.id, op.time_ns);
  if (!fits(reg, gone_size(g))) return false;
  if (admitted) remove_slave(reg, reg.slaves.get(op.id));
  else remove_unreachable(reg, reg.unreachable.get(op.id));
  add_gone(reg, g);
  return true;
}

/** Removes exactly the named entries (Mesos's DeleteSubrange(i, i+1) could drop more). */
export function prune(reg: Registry, op: Op): bool {
  const unreachable = op.ids!;
  for (let i = 0; i < unreachable.length; i++) {
    const id = unchecked(unreachable[i]);
    if (reg.unreachable.has(id)) remove_unreachable(reg, reg.unreachable.get(id));
  }
  const gone = op.ids2!;
  for (let i = 0; i < gone.length; i++) {
    const id = unchecked(gone[i]);
    if (reg.gone.has(id)) remove_gone(reg, reg.gone.get(id));
  }
  return true;
}

/** Unknown ids are a no-op, not an error, in all four drain operations (as Mesos). */
export function drain_agent(reg: Registry, op: Op): bool {
  const a = find_agent(reg, op.id);
  if (a === null) return true;
  if (!fits(reg, <i64>(DRAIN_BYTES + name_size(CAP_AGENT_DRAINING)))) return false;
  // An existing drain keeps its max_grace_period unless a new one is given (Mesos's CopyFrom).
  const d = a.drain !== null ? a.drain!.copy() : new Drain();
  d.state = DRAIN_DRAINING;
  if (op.has_grace) {
    d.has_grace = true;
    d.grace_ns = op.grace_ns;
  }
  d.mark_gone = op.mark_gone;
  set_drain(reg, a, d);
  set_deactivated(reg, a, true);
  add_capability(reg, CAP_AGENT_DRAINING);
  return true;
}

export function mark_agent_drained(reg: Registry, op: Op): bool {
  const a = find_agent(reg, op.id);
  if (a === null) return true;
  const d = a.drain;
  if (d === null || d.state != DRAIN_DRAINING) return false;
  const next = d.copy();
  next.state = DRAIN_DRAINED;
  a.drain = next;
  return true;
}

export function deactivate_agent(reg: Registry, op: Op): bool {
  const a = find_agent(reg, op.id);
  if (a === null) return true;
  if (!fits(reg, <i64>name_size(CAP_AGENT_DRAINING))) return false;
  set_deactivated(reg, a, true);
  add_capability(reg, CAP_AGENT_DRAINING);
  return true;
}

/** Drops AGENT_DRAINING once no admitted or unreachable entry is deactivated any more. */
export function reactivate_agent(reg: Registry, op: Op): bool {
  let found = false;
  if (reg.slaves.has(op.id)) {
    const s = reg.slaves.get(op.id);
    set_drain(reg, s, null);
    set_deactivated(reg, s, false);
    found = true;
  }
  if (reg.unreachable.has(op.id)) {
    const u = reg.unreachable.get(op.id);
    set_drain(reg, u, null);
    set_deactivated(reg, u, false);
    found = true;
  }
  if (found && reg.deactivated_count == 0) remove_capability(reg, CAP_AGENT_DRAINING);
  return true;
}
