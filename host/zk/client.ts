// node-zookeeper-client, with one client-side check relaxed. Mesos creates unlabelled group
// members as "<path>/" + EPHEMERAL_SEQUENTIAL (e.g. /mesos/log_replicas/0000000003), which the
// ZooKeeper server accepts, but the client library asserts that no path ends in "/". The server
// still validates every path, so only that assertion is skipped here.
import zookeeper from "node-zookeeper-client";
// @ts-expect-error: internal module of node-zookeeper-client, without type declarations
import * as PathModule from "node-zookeeper-client/lib/Path.js";

const Path = ((PathModule as { default?: unknown }).default ?? PathModule) as { validate: (path: string) => void };
const validate = Path.validate;
Path.validate = (path: string) => validate(path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path);

export default zookeeper;
export type { Client, Exception } from "node-zookeeper-client";
