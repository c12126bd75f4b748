// Proves the test environment's real ZooKeeper (Debian package) starts on loopback and that
// node-zookeeper-client works under Bun: what the HA cluster tests stand on.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import zookeeper from "node-zookeeper-client";
import { startZooKeeper, type ZooKeeperServer } from "../helpers/zookeeper.ts";

setDefaultTimeout(30_000); // real processes and a real ZooKeeper

let server: ZooKeeperServer | undefined;
afterAll(async () => await server?.stop());

test("a real ZooKeeper creates ephemeral sequential znodes in Mesos's layout", async () => {
  server = await startZooKeeper();
  const client = zookeeper.createClient(server.connect, { sessionTimeout: 2000 });
  await new Promise<void>((resolve) => { client.once("connected", () => resolve()); client.connect(); });
  const call = <T>(fn: (cb: (error: Error | zookeeper.Exception | null, value: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
  await call<string>((cb) => client.mkdirp("/mesos", cb));
  const created = await call<string>((cb) =>
    client.create("/mesos/json.info_", Buffer.from("{}"), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
  expect(created).toMatch(/^\/mesos\/json\.info_\d{10}$/);
  const children = await call<string[]>((cb) => client.getChildren("/mesos", cb));
  expect(children).toEqual([created.slice("/mesos/".length)]);
  client.close();
});
