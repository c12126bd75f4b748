// The --zk URL as Mesos reads it: zk://[user:pass@]host1:port1,host2:port2/path, or
// file:///path naming a file that holds such a URL. The base path loses a trailing '/'.

export interface ZkUrl {
  /** The servers part, as node-zookeeper-client wants it: "h1:p1,h2:p2". */
  servers: string;
  /** The base znode, e.g. "/mesos". */
  path: string;
  credentials?: { user: string; password: string };
  /** The text the operator gave (possibly file://...), for /flags. */
  text: string;
}

import { readFileSync } from "node:fs";

/** Parses a zk:// or file:// URL; returns an error string instead of throwing. */
export function parseZkUrl(text: string): ZkUrl | string {
  if (text.startsWith("file://")) {
    let content: string;
    try {
      content = readFileSync(text.slice("file://".length), "utf8").trim();
    } catch (error) {
      return `a readable file (${(error as Error).message})`;
    }
    const inner = parseZkUrl(content);
    return typeof inner === "string" ? inner : { ...inner, text };
  }
  if (!text.startsWith("zk://")) return "a URL like zk://host1:2181,host2:2181/mesos or file:///path";
  const rest = text.slice("zk://".length);
  const slash = rest.indexOf("/");
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  let path = slash >= 0 ? rest.slice(slash) : "/";
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  const at = authority.lastIndexOf("@");
  const servers = at >= 0 ? authority.slice(at + 1) : authority;
  const problem = checkServers(servers) ?? checkPath(path);
  if (problem) return problem;
  const url: ZkUrl = { servers, path, text };
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon <= 0) return "credentials as user:password@ before the servers";
    url.credentials = { user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) };
  }
  return url;
}

function checkServers(servers: string): string | null {
  if (servers === "") return "at least one ZooKeeper server as host:port";
  for (const server of servers.split(",")) {
    const match = /^([A-Za-z0-9.\-_]+|\[[0-9a-fA-F:]+\])(?::(\d+))?$/.exec(server);
    const port = match?.[2] === undefined ? 2181 : Number(match[2]);
    if (!match || port < 1 || port > 65535) return `ZooKeeper servers as host:port (bad server '${server}')`;
  }
  return null;
}

function checkPath(path: string): string | null {
  if (!path.startsWith("/") || path.includes("//")) return `a znode path like /mesos (bad path '${path}')`;
  return null;
}

/** The URL for display with the password hidden (it must not appear in /flags or /state). */
export function redactZkUrl(text: string): string {
  return text.replace(/^(zk:\/\/[^:@/]+:)[^@/]*@/, "$1****@");
}
