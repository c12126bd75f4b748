// Proves a replica whose file is far larger than one core event (tens of MB) reopens: the
// stored records reach the core cut at frame boundaries, and every entry reads back.
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { readLog } from "../../host/log/local.ts";
import { RegistryLogs } from "../helpers/registry_log.ts";

let logs: RegistryLogs | null = null;
afterEach(() => {
  logs?.close();
  logs = null;
});

test("a 12 MB replica file reopens, elects and appends; every entry reads back", async () => {
  logs = await RegistryLogs.create(1, 1);
  const log = logs.open(0);
  expect(await log.elect(10_000)).not.toBeNull();
  const payload = new Uint8Array(800 << 10).fill(7);
  const positions = await Promise.all(Array.from({ length: 16 }, () => log.loop.append(payload)));
  expect(positions.every((p) => p !== null)).toBe(true);
  logs.stop(0);
  const reopened = logs.open(0);
  expect(await reopened.recovered(10_000)).toBe(true);
  const elected = await reopened.elect(10_000);
  expect(elected?.position).toBe(Math.max(...(positions as number[])));
  expect(await reopened.loop.append(new Uint8Array([1]))).toBe(elected!.position + 1);
  logs.stop(0);
  const blocks = readLog(join(logs.dir, "replica-0"), 1, 16);
  expect(blocks.filter((b) => b.includes("<819200 bytes")).length).toBe(16);
});
