// Proves that concurrent registry writes (weights, quota, maintenance: the services behind the HTTP and v1 operator calls) are validated against the registry as every earlier call leaves it and stored together: for many seeds of interleaved, conflicting calls, every answer and the final registry equal a sequential replay of the same calls in the same order, while the concurrent run needs far fewer stores than calls.
import { describe, expect, test } from "bun:test";
import type { Master } from "../../host/master/master.ts";
import { servicesOf } from "../../host/master/operator_api.ts";
import type { QuotaResource } from "../../host/master/quota.ts";
import type { Reply } from "../../host/master/registry_requests.ts";
import type { MachineID, Registry } from "../../host/registry/types.ts";
import { useMasters } from "../helpers/http.ts";

const { recoveredLeader } = useMasters();

const SEEDS = 40;
const CALLS = 80;
/** A small universe, so calls keep conflicting: the same roles and machines again and again. */
const ROLES = ["a", "b", "c", "d"];
const MACHINES: MachineID[] = [{ hostname: "m0" }, { hostname: "m1" }, { ip: "10.0.0.2" }, { hostname: "m3", ip: "10.0.0.3" }];

type Call = (master: Master) => Promise<Reply>;

const MEM_8: QuotaResource = { name: "mem", type: "SCALAR", scalar: 8, has_ranges: false, has_set: false, has_reservations: false, has_disk: false, has_revocable: false };

/** xorshift32: the same seed, the same calls. */
function prng(seed: number): () => number {
  let x = seed * 2654435761 >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function calls(seed: number): Call[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const some = <T>(list: readonly T[]): T[] => list.filter(() => random() < 0.5);
  const makers: (() => Call)[] = [
    () => { const role = pick(ROLES); const weight = 1 + Math.floor(random() * 4); return (m) => servicesOf(m).weights.update([{ role, weight }]); },
    () => { const role = pick(ROLES); const cpus = Math.floor(random() * 3); return (m) => servicesOf(m).quota.update([{ role, ...(cpus > 0 ? { limits: { cpus: { value: cpus } } } : {}) }], true); },
    () => { const role = pick(ROLES); return (m) => servicesOf(m).quota.set({ guarantee: [MEM_8], role, force: true }); },
    () => { const role = pick(ROLES); return (m) => servicesOf(m).quota.remove(`/quota/${role}`, role); },
    () => {
      const machines = some(MACHINES);
      const schedule = { windows: machines.length === 0 ? [] : [{ machine_ids: machines, unavailability: { start: { nanoseconds: 1_000 } } }] };
      return (m) => servicesOf(m).maintenance.updateSchedule(schedule);
    },
    () => { const ids = [pick(MACHINES)]; return (m) => servicesOf(m).maintenance.startMaintenance(ids); },
    () => { const ids = [pick(MACHINES)]; return (m) => servicesOf(m).maintenance.stopMaintenance(ids); },
  ];
  return Array.from({ length: CALLS }, () => pick(makers)());
}

const stores = (master: Master) => master.metrics.snapshot()["registrar/state_store_ms/count"] ?? 0;
const smallParts = ({ weights, quota_configs, machines, schedules, minimum_capabilities }: Registry) => ({ weights, quota_configs, machines, schedules, minimum_capabilities });
const registryOf = async (master: Master) => smallParts(await master.registrar.full());

describe("concurrent registry writes", () => {
  test(`${SEEDS} seeds of ${CALLS} interleaved calls: answers and registry equal a sequential replay`, async () => {
    let refused = 0;
    let accepted = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const script = calls(seed);
      const concurrent = (await recoveredLeader()).master;
      const before = stores(concurrent);
      // All issued in one turn: the writer sees them in this order, none waits for another's store.
      const answers = await Promise.all(script.map((run) => run(concurrent)));
      const concurrent_stores = stores(concurrent) - before;

      const sequential = (await recoveredLeader()).master;
      const replayed: Reply[] = [];
      for (const run of script) replayed.push(await run(sequential));

      expect({ seed, answers }).toEqual({ seed, answers: replayed });
      expect(await registryOf(concurrent)).toEqual(await registryOf(sequential));
      // What the master reads (kept up to date batch by batch) is what the core stored.
      for (const master of [concurrent, sequential]) expect(smallParts(master.registrar.current())).toEqual(await registryOf(master));
      expect(concurrent_stores).toBeLessThanOrEqual(2);
      refused += answers.filter((a) => a.status !== 200).length;
      accepted += answers.filter((a) => a.status === 200).length;
      concurrent.stop();
      sequential.stop();
    }
    // The scripts do conflict: both outcomes occur often.
    expect(refused).toBeGreaterThan(SEEDS * 5);
    expect(accepted).toBeGreaterThan(SEEDS * 5);
  });
});
