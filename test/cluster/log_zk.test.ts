// Proves replicas of the log find each other through a real ZooKeeper as Mesos's do
// (mesos-spec §2.1, §3.1): unlabelled ephemeral sequential members holding
// "log-replica(1)@ip:port", and a log that initialises and appends once all are there.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import zookeeper from "../../host/zk/client.ts";
import { LogCluster } from "../helpers/log_cluster.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";

setDefaultTimeout(60_000);

const server = useZooKeeper();
let cluster: LogCluster | null = null;
afterEach(() => {
  cluster?.destroy();
  cluster = null;
});

test("three replicas discover each other through the ZooKeeper group and replicate", async () => {
  const c = (cluster = await LogCluster.create(3, 2, { servers: server.connect, znode: "/log" }));
  c.startReplica(1);
  c.startReplica(2);
  const writer = c.startWriter(0, 20, 1);
  const status = await writer.running.exited;
  expect({ status, stderr: status === 0 ? "" : writer.running.stderr().slice(-500) }).toEqual({ status: 0, stderr: "" });
  expect(c.acks(writer.output).map((a) => a.position)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));

  const client = zookeeper.createClient(server.connect, { sessionTimeout: 4000 });
  await new Promise<void>((resolve) => { client.once("connected", () => resolve()); client.connect(); });
  const children = await new Promise<string[]>((resolve, reject) => client.getChildren("/log", (e, c) => (e ? reject(e) : resolve(c))));
  expect(children.length).toBe(2); // the writer's membership ended with its process
  const data = await Promise.all(children.map((child) =>
    new Promise<string>((resolve, reject) => client.getData(`/log/${child}`, (e, d) => (e ? reject(e) : resolve(d.toString()))))));
  client.close();
  for (const child of children) expect(child).toMatch(/^\d{10}$/);
  expect(data.sort()).toEqual([1, 2].map((i) => `log-replica(1)@127.0.0.1:${c.ports[i]}`).sort());
});
