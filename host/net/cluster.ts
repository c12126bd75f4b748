// The cluster name every hello carries. Two masters belong to the same replicated log exactly
// when these strings are equal, so they must not depend on how an operator spelled a flag:
// with --zk it is the znode path alone (masters may list the ZooKeeper servers in different
// orders), with --masters the sorted, de-duplicated host:port list.

export function clusterName(source: { zk_path: string } | { masters: readonly string[] }): string {
  if ("zk_path" in source) {
    const path = source.zk_path.replace(/\/+$/, "");
    return `zk:${path === "" ? "/" : path}`;
  }
  const masters = [...new Set(source.masters.map((m) => m.trim()).filter((m) => m !== ""))].sort();
  return `masters:${masters.join(",")}`;
}
