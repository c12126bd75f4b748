// Proves this master's own web UI in real headless Chromium against a real cluster under the security profile (three masters in ZooKeeper, two agents, a framework with a running task, a role weight and a maintenance window): the operator signs in, every page shows the cluster's data with no console error (a screenshot of each under the test's directory), the agents filter narrows the table while keeping its focus, an agent killed later is listed unreachable, the sandbox page tails the task's stdout, and after SIGKILL of the leader the same page, not reloaded, names the new leader, shows the killed master unreachable and is live again; the masters allow each other's origins and no other.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { until } from "../helpers/agents.ts";
import { openBrowser, type UiPage } from "../helpers/browser.ts";
import { ownedTempDir } from "../helpers/process.ts";
import { SchedulerClient } from "../helpers/scheduler.ts";
import { PRINCIPAL, scheme, SECRET, secure, tlsFetch } from "../helpers/security.ts";
import { taskCluster, useTaskClusters } from "../helpers/task_cluster.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";

setDefaultTimeout(120_000);

const zk = useZooKeeper();
const t = useTaskClusters();
const shots = ownedTempDir("webui-shots-");
let ui: UiPage | null = null;
afterAll(async () => {
  await ui?.browser.close();
});

const operatorCall = async (master: string, body: unknown) => {
  const response = await tlsFetch(`http://${master}/api/v1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
};

/** Console errors other than the 401 that asked for sign-in. */
const unexpected = (errors: string[]) => errors.filter((e) => !/status of 401/.test(e));

test("every page renders the cluster; the sandbox tails stdout; a leader SIGKILL is followed without a reload", async () => {
  try {
    await scenario();
  } catch (error) {
    // What the browser saw, for whoever reads the failure.
    if (ui !== null) console.error(`console errors: ${JSON.stringify(ui.errors)}; failure screenshot: ${await ui.screenshot("failure")}; page text: ${await ui.page.locator("body").innerText()}`);
    throw error;
  }
});

async function scenario(): Promise<void> {
  const tc = await taskCluster(t.cluster, zk.connect);
  const leader = tc.masters[tc.leader]!;
  const client = new SchedulerClient({ masters: [leader], name: "ui-framework", failover_timeout: 300 });
  t.clients.push(client);
  await client.subscribe();
  const offers = await client.offersFrom(2);
  await client.launch(offers.get(tc.agent_ids[0]!)!, { "ui-task": "echo ui-tail-marker; sleep 300" });
  await client.expectStates("ui-task", ["TASK_STARTING", "TASK_RUNNING"]);
  await operatorCall(leader, { type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "analytics", weight: 2.5 }] } });
  await operatorCall(leader, {
    type: "UPDATE_MAINTENANCE_SCHEDULE",
    update_maintenance_schedule: { schedule: { windows: [{ machine_ids: [{ hostname: "spare.test", ip: "10.9.9.9" }], unavailability: { start: { nanoseconds: 4_000_000_000_000_000_000 } } }] } },
  });

  ui = await openBrowser(tc.masters, shots);
  const { page } = ui;
  await page.goto(`${scheme().http}://${leader}/`);
  if (secure()) {
    await page.locator("#login input[name=principal]").fill(PRINCIPAL);
    await page.locator("#login input[name=secret]").fill(SECRET);
    await page.locator("#login button[type=submit]").click();
  }
  const main = page.locator("main");
  await main.getByText("1 live").waitFor();
  expect(await page.locator("#leader").textContent()).toBe(leader);
  await page.locator("#tasks-chart canvas").waitFor();
  await ui.screenshot("overview");

  await page.getByRole("link", { name: "Replicated log & HA" }).click();
  const masters = page.locator("#masters-table tbody tr");
  await until(async () => (await masters.count()) === 3 && (await masters.filter({ hasText: "VOTING" }).count()) === 3, "three voting masters in the HA view");
  expect(await masters.filter({ hasText: "leader" }).count()).toBe(1);
  expect(await masters.filter({ hasText: "standby" }).count()).toBe(2);
  expect(await masters.filter({ hasText: leader }).textContent()).toContain("leader");
  await ui.screenshot("ha");

  await page.getByRole("link", { name: "Agents" }).click();
  for (const agent of tc.agents) await main.getByText(agent.hostname, { exact: true }).waitFor();
  await ui.screenshot("agents");
  const filter = main.getByRole("searchbox", { name: "Filter agents by id or hostname" });
  await filter.click();
  await page.keyboard.type(tc.agents[1]!.hostname.slice(0, -2)); // typed as a person would, key by key
  await until(async () => (await main.locator("table tbody tr").count()) === 1, "the filter to leave one agent");
  await Bun.sleep(2_500); // the page re-renders on its 2 s refresh of the masters' status
  expect(await filter.evaluate((element) => element === (element as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)).toBe(true); // the box keeps its focus
  await filter.fill("");
  await main.locator("table a").first().click();
  await main.getByRole("heading", { name: /^Agent / }).waitFor();
  await ui.screenshot("agent");

  await page.getByRole("link", { name: "Frameworks" }).click();
  await main.getByText("ui-framework").first().waitFor();
  await ui.screenshot("frameworks");
  await main.getByRole("link", { name: new RegExp(client.framework_id!.slice(-12)) }).first().click();
  await main.getByText("TASK_RUNNING").waitFor();
  await ui.screenshot("framework");
  await main.getByRole("link", { name: "Sandbox" }).first().click();
  await page.locator("pre.tail", { hasText: "ui-tail-marker" }).waitFor();
  await main.getByText("stderr", { exact: true }).waitFor();
  await ui.screenshot("sandbox");

  await page.getByRole("link", { name: "Roles" }).click();
  await main.locator("tr", { hasText: "analytics" }).getByText("2.50").waitFor();
  await ui.screenshot("roles");
  await page.getByRole("link", { name: "Offers" }).click();
  await main.locator("table tbody tr").first().waitFor(); // the offer from the second agent is held
  await ui.screenshot("offers");
  await page.getByRole("link", { name: "Maintenance" }).click();
  await main.locator("table", { hasText: "Windows" }).getByText("spare.test / 10.9.9.9").waitFor();
  await main.locator("table", { hasText: "Draining machines" }).getByText("spare.test / 10.9.9.9").waitFor(); // scheduled machines drain, as in Mesos
  await ui.screenshot("maintenance");
  expect(unexpected(ui.errors)).toEqual([]);

  // The leader dies; the page (loaded from it) finds the new leader through the other masters.
  await page.getByRole("link", { name: "Replicated log & HA" }).click();
  tc.leaderProcess().running.kill("SIGKILL");
  await until(async () => {
    const shown = await page.locator("#ha-leader").textContent();
    return shown !== leader && shown !== "none elected" && tc.masters.includes(shown ?? "");
  }, "the HA view to name a new leader", 60_000);
  await masters.filter({ hasText: leader }).getByText("unreachable").waitFor();
  await page.locator("#connection", { hasText: "live" }).waitFor({ timeout: 30_000 });
  await ui.screenshot("ha-after-failover");
  await page.getByRole("link", { name: "Overview" }).click();
  await main.getByText("1 live").waitFor(); // the task kept running, as the new leader's stream says
  expect(page.url()).toStartWith(`${scheme().http}://${leader}/`); // never reloaded elsewhere
  const now = (await page.locator("#leader").textContent())!;

  // An agent that stops answering pings is marked unreachable: the agents page lists it from the registry.
  tc.agents[1]!.running.kill("SIGKILL");
  await page.getByRole("link", { name: "Agents" }).click();
  await main.locator("table", { hasText: "Unreachable agents" }).getByText(tc.agent_ids[1]!).waitFor({ timeout: 30_000 });
  await main.getByRole("heading", { name: "Agents (1)" }).waitFor();
  await ui.screenshot("agents-unreachable");

  // CORS between the masters only: the page's origin (the dead leader) is allowed at the new leader, another origin is not.
  const ask = (origin: string) => tlsFetch(`http://${now}/log/status`, { headers: { origin } });
  expect((await ask(`${scheme().http}://${leader}`)).headers.get("access-control-allow-origin")).toBe(`${scheme().http}://${leader}`);
  expect((await ask("https://elsewhere.example:8443")).headers.get("access-control-allow-origin")).toBeNull();
  console.log(`screenshots in ${join(shots)}`);
}
