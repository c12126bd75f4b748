// Proves the ZooKeeper group, contender and detector behave as Mesos's (mesos-spec §2,
// master_contender_detector_tests / group_tests) against a real ZooKeeper server: layout,
// lowest-sequence election, exact MasterInfo JSON, legacy members, session expiry reported by
// the server, the local session timer while ZooKeeper is silent, and digest ACLs.
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import zookeeper, { type Client } from "../../host/zk/client.ts";
import { makeMasterInfo, masterInfoJson } from "../../host/master/info.ts";
import { MasterContender } from "../../host/zk/contender.ts";
import { type Detection, MasterDetector } from "../../host/zk/detector.ts";
import { Group, parseMemberName } from "../../host/zk/group.ts";
import { parseZkUrl, type ZkUrl } from "../../host/zk/url.ts";
import { useZooKeeper } from "../helpers/zookeeper.ts";

setDefaultTimeout(30_000); // real processes and a real ZooKeeper

const SESSION_MS = 1000;
const server = useZooKeeper();
let base = 0;
const groups: Group[] = [];
const clients: Client[] = [];

afterEach(() => {
  for (const group of groups.splice(0)) group.close();
  for (const client of clients.splice(0)) client.close();
});

function url(path: string, credentials = ""): ZkUrl {
  const parsed = parseZkUrl(`zk://${credentials}${server.connect}${path}`);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

function freshPath(): string {
  return `/mesos-test-${++base}`;
}

function group(path: string, credentials = ""): Group {
  const g = new Group({ url: url(path, credentials), session_timeout_ms: SESSION_MS });
  groups.push(g);
  return g;
}

async function client(): Promise<Client> {
  const c = zookeeper.createClient(server.connect, { sessionTimeout: 4000 });
  clients.push(c);
  await new Promise<void>((resolve) => { c.once("connected", () => resolve()); c.connect(); });
  return c;
}

function zk<T>(fn: (cb: (error: Error | zookeeper.Exception | null, value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

async function until<T>(read: () => T | undefined | null | false, what: string, deadline_ms = 10_000): Promise<T> {
  const end = Date.now() + deadline_ms;
  while (Date.now() < end) {
    const value = read();
    if (value !== undefined && value !== null && value !== false) return value;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const leaderPid = (d: Detection) => (d.kind === "leader" ? d.info.pid : d.kind);

describe("member names", () => {
  test("labels and sequences parse as Mesos splits them", () => {
    expect(parseMemberName("json.info_0000000007")).toEqual({ sequence: 7, label: "json.info" });
    expect(parseMemberName("0000000003")).toEqual({ sequence: 3, label: undefined });
    expect(parseMemberName("log_replicas")).toBeNull();
    expect(parseMemberName("info_x")).toBeNull();
  });
});

describe("group", () => {
  test("join creates the base path and an ephemeral sequential child; data and cancel work", async () => {
    const path = freshPath();
    const g = group(path);
    const { membership, cancelled } = await g.join(Buffer.from("log-replica(1)@127.0.0.1:5050"));
    expect(membership.path).toMatch(new RegExp(`^${path}/\\d{10}$`));
    expect(membership.label).toBeUndefined();
    expect((await g.data(membership))?.toString()).toBe("log-replica(1)@127.0.0.1:5050");
    const c = await client();
    const stat = await zk<zookeeper.Stat>((cb) => c.exists(membership.path, cb));
    expect(stat.ephemeralOwner.equals(Buffer.alloc(8))).toBe(false);
    await until(() => g.memberships().length === 1, "the membership to be cached");
    expect(await g.cancel(membership)).toBe(true);
    expect(await cancelled).toBe(true);
    await until(() => g.memberships().length === 0, "the membership to leave the cache");
    expect(await g.cancel(membership)).toBe(false);
  });

  test("a master group ignores the log_replicas child and sees labelled members", async () => {
    const path = freshPath();
    const replicas = group(`${path}/log_replicas`);
    await replicas.join(Buffer.from("replica"));
    const masters = group(path);
    await masters.join(Buffer.from("{}"), "json.info");
    const members = await until(() => (masters.memberships().length === 1 ? masters.memberships() : null), "one master member");
    expect(members[0]!.label).toBe("json.info");
  });
});

describe("contender and detector", () => {
  test("the lowest sequence leads; when it withdraws the next is detected", async () => {
    const path = freshPath();
    const a = makeMasterInfo("127.0.0.1", 5050, "a.test");
    const b = makeMasterInfo("127.0.0.1", 5051, "b.test");
    const first = new MasterContender(group(path), a);
    const candidacyA = await first.contend();
    expect(await first.contend()).toBe(candidacyA); // contending twice returns the same candidacy
    const second = new MasterContender(group(path), b);
    await second.contend();
    const detector = new MasterDetector(group(path));
    detector.start();
    await until(() => leaderPid(detector.current()) === a.pid, "a to lead");
    await first.withdraw();
    expect(await candidacyA.ended).toBe(true);
    await until(() => leaderPid(detector.current()) === b.pid, "b to lead");
  });

  test("the detector reads the json.info znode into the exact MasterInfo", async () => {
    const path = freshPath();
    const info = makeMasterInfo("10.0.0.1", 5050, "m1.example.com");
    await new MasterContender(group(path), info).contend();
    const c = await client();
    const children = await zk<string[]>((cb) => c.getChildren(path, cb));
    expect(children.length).toBe(1);
    expect(children[0]).toMatch(/^json\.info_\d{10}$/);
    const raw = await zk<Buffer>((cb) => c.getData(`${path}/${children[0]}`, cb));
    expect(raw.toString()).toBe(masterInfoJson(info));
    const detector = new MasterDetector(group(path));
    detector.start();
    const detected = await until(() => { const d = detector.current(); return d.kind === "leader" ? d.info : null; }, "a leader");
    expect(detected).toEqual(info);
  });

  test("a legacy unlabelled UPID member is detected", async () => {
    const path = freshPath();
    const c = await client();
    await zk<string>((cb) => c.mkdirp(path, cb));
    await zk<string>((cb) => c.create(`${path}/`, Buffer.from("master@10.0.0.9:5050"), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
    const detector = new MasterDetector(group(path));
    detector.start();
    await until(() => leaderPid(detector.current()) === "master@10.0.0.9:5050", "the legacy leader");
  });

  test("an unknown label fails the detector", async () => {
    const path = freshPath();
    const c = await client();
    await zk<string>((cb) => c.mkdirp(path, cb));
    await zk<string>((cb) => c.create(`${path}/other_`, Buffer.from("x"), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
    const detector = new MasterDetector(group(path));
    detector.start();
    await until(() => detector.current().kind === "failed", "detector failure");
  });
});

describe("sessions", () => {
  test("a session expired by the server loses the candidacy; contending again joins anew", async () => {
    const path = freshPath();
    const g = group(path);
    const contender = new MasterContender(g, makeMasterInfo("127.0.0.1", 5050, "a.test"));
    const candidacy = await contender.contend();
    const detector = new MasterDetector(group(path));
    detector.start();
    await until(() => detector.current().kind === "leader", "a leader");
    // The ZooKeeper FAQ's way to expire a session: a second client joins it and closes it. Our
    // own client may win the session back before the twin's close lands, so repeat (bounded).
    const internal = (g as unknown as { client: Client }).client;
    const sessionId = internal.getSessionId();
    const sessionPassword = internal.getSessionPassword();
    let ended: boolean | undefined;
    void candidacy.ended.then((value) => (ended = value));
    for (let attempt = 0; attempt < 10 && ended === undefined; attempt++) {
      const twin = zookeeper.createClient(server.connect, { sessionTimeout: SESSION_MS, sessionId, sessionPassword } as never);
      await new Promise<void>((resolve) => { twin.once("connected", () => resolve()); twin.once("expired", () => resolve()); twin.connect(); });
      twin.close();
      await Bun.sleep(300);
    }
    expect(await candidacy.ended).toBe(false);
    await until(() => detector.current().kind === "none", "no leader");
    const again = await contender.contend();
    expect(again.membership.sequence).toBeGreaterThan(candidacy.membership.sequence);
    await until(() => detector.current().kind === "leader", "the new candidacy to lead");
  });

  test("while ZooKeeper is silent the local timer expires the session; it recovers afterwards", async () => {
    const path = freshPath();
    const contender = new MasterContender(group(path), makeMasterInfo("127.0.0.1", 5050, "a.test"));
    const candidacy = await contender.contend();
    const detector = new MasterDetector(group(path));
    detector.start();
    await until(() => detector.current().kind === "leader", "a leader");
    const paused_at = Date.now();
    server.pause();
    try {
      expect(await candidacy.ended).toBe(false);
      await until(() => detector.current().kind === "none", "no leader while ZooKeeper is silent", 5 * SESSION_MS);
      // Bounded by the ping interval plus the session timeout (a disconnect is noticed first).
      expect(Date.now() - paused_at).toBeLessThan(4 * SESSION_MS);
    } finally {
      server.resume();
    }
    await contender.contend();
    await until(() => detector.current().kind === "leader", "a leader after ZooKeeper returns", 15_000);
  });

  test("a group that never connects expires locally and keeps trying", async () => {
    const dead = parseZkUrl("zk://127.0.0.1:1/mesos");
    if (typeof dead === "string") throw new Error(dead);
    const g = new Group({ url: dead, session_timeout_ms: 300 });
    groups.push(g);
    const joined = g.join(Buffer.from("x"));
    g.start();
    await Bun.sleep(800);
    expect(g.state).toBe("connecting");
    expect(g.memberships()).toEqual([]);
    g.close();
    await expect(joined).rejects.toThrow("group closed");
  });
});

describe("credentials", () => {
  test("zk://user:pass@ creates znodes with creator-all and world-read ACLs", async () => {
    const path = freshPath();
    const g = group(path, "mesos:secret@");
    const { membership } = await g.join(Buffer.from("{}"), "json.info");
    const c = await client();
    const acls = await zk<zookeeper.ACL[]>((cb) => c.getACL(membership.path, (e, a) => cb(e, a)));
    // node-zookeeper-client's ACL objects carry `permission` (its type declarations say `perms`).
    const schemes = acls.map((acl) => `${acl.id.scheme}:${(acl as unknown as { permission: number }).permission}`).sort();
    expect(schemes).toEqual([`digest:${zookeeper.Permission.ALL}`, `world:${zookeeper.Permission.READ}`]);
    expect((await zk<Buffer>((cb) => c.getData(membership.path, cb))).toString()).toBe("{}");
    await expect(zk<void>((cb) => c.remove(membership.path, -1, (e) => cb(e, undefined)))).rejects.toBeDefined();
  });
});
