// Proves the allocator in-process (fake clock, real registrar): DRF order between two frameworks, role weights (--weights and UPDATE_WEIGHTS in the registry), quota limits and guarantees, hierarchical roles (quota and DRF over a role's subtree), frameworks ordered by their share in the role served, maintenance unavailability in offers (rescinded when the schedule changes), DECLINE filters and their expiry, SUPPRESS/REVIVE, and that resources are never offered twice.
import { afterEach, describe, expect, test } from "bun:test";
import { RegistryWriter } from "../../host/master/registry_requests.ts";
import { WeightsService } from "../../host/master/weights.ts";
import { MaintenanceService } from "../../host/master/maintenance.ts";
import type { Operation } from "../../host/registry/types.ts";
import { type TaskFixture, tasksFixture } from "../helpers/master_tasks.ts";

const fixtures: TaskFixture[] = [];
afterEach(() => fixtures.splice(0).forEach((f) => f.agents.stop()));

async function fixture(agents: number, argv: string[] = [], before: Operation[] = []): Promise<TaskFixture> {
  const f = await tasksFixture(argv, before);
  fixtures.push(f);
  for (let n = 0; n < agents; n++) await f.register(n);
  return f;
}

const cpusOf = (offers: { resources: Record<string, unknown>[] }[]) =>
  offers.flatMap((o) => o.resources).filter((r) => r.name === "cpus").reduce((sum, r) => sum + (r.scalar as { value: number }).value, 0);

describe("allocation", () => {
  test("DRF: two frameworks in two roles take turns; offers are <master id>-O<n> with allocation_info", async () => {
    const f = await fixture(4);
    const a = f.framework("FA", { roles: ["a"] });
    const b = f.framework("FB", { roles: ["b"] });
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(2);
    expect(b.stream.offers()).toHaveLength(2);
    const offer = a.stream.offers()[0]!;
    expect(offer.id.value).toMatch(/^M1-O\d+$/);
    expect(offer).toMatchObject({ framework_id: { value: "FA" }, hostname: expect.stringMatching(/^agent\d$/), allocation_info: { role: "a" } });
    expect(offer.resources.every((r) => (r.allocation_info as { role: string }).role === "a")).toBe(true);
    expect(f.metric("master/outstanding_offers")).toBe(4);
  });

  test("resources are not offered twice: a second round offers nothing until an offer is declined without a filter", async () => {
    const f = await fixture(2);
    const a = f.framework("FA");
    f.tasks.allocate();
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(2);
    const first = a.stream.offers()[0]!;
    expect(f.tasks.decline(a.framework, [first.id.value], { refuse_seconds: 0 })).toBeNull();
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(3);
    expect(a.stream.offers()[2]!.agent_id).toEqual(first.agent_id);
  });

  test("weights (--weights a=3): role a gets three agents of four, role b one", async () => {
    const f = await fixture(4, ["--weights=a=3"]);
    const a = f.framework("FA", { roles: ["a"] });
    const b = f.framework("FB", { roles: ["b"] });
    f.tasks.allocate();
    expect([a.stream.offers().length, b.stream.offers().length]).toEqual([3, 1]);
  });

  test("weights written to the registry (UPDATE_WEIGHTS a=3, no --weights) take effect at the next round: two agents each before, then three to one", async () => {
    const f = await fixture(4);
    const a = f.framework("FA", { roles: ["a"] });
    const b = f.framework("FB", { roles: ["b"] });
    f.tasks.allocate();
    expect([a.stream.offers().length, b.stream.offers().length]).toEqual([2, 2]);
    // The operator's path: /weights and UPDATE_WEIGHTS both go through the WeightsService.
    const weights = new WeightsService(new RegistryWriter(() => f.registrar), () => undefined);
    expect(await weights.update([{ role: "a", weight: 3 }])).toMatchObject({ status: 200 });
    expect(f.registrar.current().weights?.map((w) => w.info)).toEqual([{ role: "a", weight: 3 }]);
    // Every offer back, unfiltered: the next round divides all four agents again.
    for (const { framework, stream } of [a, b]) f.tasks.decline(framework, stream.offers().map((o) => o.id.value), { refuse_seconds: 0 });
    f.tasks.allocate();
    expect([a.stream.offers().length - 2, b.stream.offers().length - 2]).toEqual([3, 1]);
  });

  test("a quota limit is never exceeded; a guarantee is served first", async () => {
    const limited = await fixture(4, [], [{ type: "UPDATE_QUOTA", configs: [{ role: "a", limits: { cpus: { value: 6 } } }] }]);
    const a = limited.framework("FA", { roles: ["a"] });
    limited.tasks.allocate();
    limited.tasks.allocate();
    expect(cpusOf(a.stream.offers())).toBe(6);

    const guaranteed = await fixture(4, [], [{ type: "UPDATE_QUOTA", configs: [{ role: "g", guarantees: { cpus: { value: 12 } } }] }]);
    const x = guaranteed.framework("FA", { roles: ["a"] });
    const g = guaranteed.framework("FG", { roles: ["g"] });
    guaranteed.tasks.allocate();
    expect(cpusOf(g.stream.offers())).toBe(12);
    expect(cpusOf(x.stream.offers())).toBe(4);
  });

  test("hierarchical roles: a quota limit on eng caps eng/dev; DRF compares a's subtree with b before a/x with a/y, and a with a/b on a's own share", async () => {
    const limited = await fixture(4, [], [{ type: "UPDATE_QUOTA", configs: [{ role: "eng", limits: { cpus: { value: 6 } } }] }]);
    const dev = limited.framework("FD", { roles: ["eng/dev"] });
    limited.tasks.allocate();
    limited.tasks.allocate();
    expect(cpusOf(dev.stream.offers())).toBe(6);

    const f = await fixture(4);
    const x = f.framework("FX", { roles: ["a/x"] });
    const y = f.framework("FY", { roles: ["a/y"] });
    const b = f.framework("FB", { roles: ["b"] });
    f.tasks.allocate();
    // a's subtree and b take two agents each (flat DRF over three roles would give a/x two).
    expect([x.stream.offers().length, y.stream.offers().length, b.stream.offers().length]).toEqual([1, 1, 2]);

    // A role and a role under it: a's own frameworks compete with a/b on what a itself holds.
    const g = await fixture(4);
    const parent = g.framework("FP", { roles: ["a"] });
    const child = g.framework("FC", { roles: ["a/b"] });
    g.tasks.allocate();
    expect([parent.stream.offers().length, child.stream.offers().length]).toEqual([2, 2]);
  });

  test("frameworks in a role are ordered by their share in that role, not in all their roles", async () => {
    const f = await fixture(4, ["--weights=b=100"]);
    const f1 = f.framework("F1", { roles: ["a", "b"] });
    f.tasks.allocate();
    const roleCounts = (offers: { allocation_info: { role: string } }[]) => offers.map((o) => o.allocation_info.role).sort();
    expect(roleCounts(f1.stream.offers())).toEqual(["a", "b", "b", "b"]);
    const f2 = f.framework("F2", { roles: ["a"] });
    const in_a = f1.stream.offers().find((o) => o.allocation_info.role === "a")!;
    expect(f.tasks.decline(f1.framework, [in_a.id.value], { refuse_seconds: 0 })).toBeNull();
    f.tasks.allocate();
    // In role a, F1 holds nothing and F2 nothing: a tie F1 wins by id. Counting F1's three
    // agents in role b would have handed the agent to F2.
    expect(f1.stream.offers().at(-1)!).toMatchObject({ agent_id: in_a.agent_id, allocation_info: { role: "a" } });
    expect(f2.stream.offers()).toEqual([]);
  });

  test("an agent whose machine has scheduled maintenance is offered with that unavailability (Mesos's Offer.unavailability)", async () => {
    const unavailability = { start: { nanoseconds: 1_900_000_000_000_000_000n }, duration: { nanoseconds: 3_600_000_000_000 } };
    const f = await fixture(2, [], [{ type: "UPDATE_SCHEDULE", schedule: { windows: [{ machine_ids: [{ hostname: "agent1", ip: "10.0.0.1" }], unavailability }] } }]);
    const a = f.framework("FA");
    f.tasks.allocate();
    const byAgent = new Map(a.stream.offers().map((o) => [(o as { hostname?: string }).hostname, o as { unavailability?: unknown }]));
    expect(byAgent.get("agent1")!.unavailability).toEqual(unavailability);
    expect(byAgent.get("agent0")!.unavailability).toBeUndefined();
    // A new schedule that adds agent0's machine: its offer, which carries no window, is rescinded and made again with it.
    const maintenance = new MaintenanceService(new RegistryWriter(() => f.registrar), () => {}, () => f.tasks.maintenanceChanged());
    const both = [{ hostname: "agent0", ip: "10.0.0.0" }, { hostname: "agent1", ip: "10.0.0.1" }];
    expect(await maintenance.updateSchedule({ windows: [{ machine_ids: both, unavailability }] })).toMatchObject({ status: 200 });
    expect(a.stream.of("RESCIND").map((e) => (e.rescind as { offer_id: { value: string } }).offer_id.value)).toEqual([(byAgent.get("agent0") as { id: { value: string } }).id.value]);
    f.tasks.allocate();
    expect((a.stream.offers().at(-1) as { hostname?: string; unavailability?: unknown })).toMatchObject({ hostname: "agent0", unavailability });
  });

  test("DECLINE filters the agent for refuse_seconds (default 5 s); REVIVE clears filters", async () => {
    const f = await fixture(1);
    const a = f.framework("FA");
    f.tasks.allocate();
    f.tasks.decline(a.framework, [a.stream.offers()[0]!.id.value], { refuse_seconds: 10 });
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(1);
    await f.clock.advance(9_000);
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(1);
    await f.clock.advance(1_000);
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(2);

    f.tasks.decline(a.framework, [a.stream.offers()[1]!.id.value]);
    await f.clock.advance(4_000);
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(2);
    f.tasks.revive(a.framework, []);
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(3);
  });

  test("SUPPRESS stops offers for the role until REVIVE; deactivated agents are not offered", async () => {
    const f = await fixture(2);
    const a = f.framework("FA", { roles: ["a", "b"] });
    f.tasks.suppress(a.framework, []);
    f.tasks.allocate();
    expect(a.stream.offers()).toHaveLength(0);
    f.tasks.revive(a.framework, ["b"]);
    f.agents.registered.get("M1-S1")!.active = false;
    f.tasks.allocate();
    expect(a.stream.offers().map((o) => [o.allocation_info.role, o.agent_id.value])).toEqual([["b", "M1-S0"]]);
  });
});
