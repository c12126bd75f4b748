// Proves the master's start-up warning about the open-file limit: read from /proc/self/limits,
// silent when ample, one line naming the limit and the agents it allows when low.
import { expect, test } from "bun:test";
import { FILES_RESERVED, openFilesLimit, openFilesWarning } from "../../host/limits.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            20000                20000                files
`;

test("the soft limit is read from /proc/self/limits", () => {
  expect(openFilesLimit(LIMITS)).toBe(20000);
  expect(openFilesLimit(LIMITS.replace("20000                20000", "unlimited            unlimited"))).toBe(Number.POSITIVE_INFINITY);
  expect(openFilesLimit("nothing here")).toBeNull();
  expect(openFilesLimit()).toBeGreaterThan(0); // this process's own
});

test("a low limit gives one warning line naming the agents it allows; an ample one none", () => {
  expect(openFilesWarning(20000)).toBe(`The open-file limit is 20000: this master can hold about ${20000 - FILES_RESERVED} agents; raise it (ulimit -n) to at least the number of agents + ${FILES_RESERVED}`);
  expect(openFilesWarning(1 << 20)).toBeNull();
  expect(openFilesWarning(null)).toBeNull();
});
