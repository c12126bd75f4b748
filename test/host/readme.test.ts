// Proves the README's flags table is exactly what the flag definitions generate (no drift),
// and that its Quick start holds the two commands CI and operators run.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { withFlagsTable } from "../../scripts/flags_table.ts";

const readme = readFileSync(join(import.meta.dir, "..", "..", "README.md"), "utf8");

test("the flags table matches the flag definitions (run `npm run docs:flags` to refresh)", () => {
  expect(withFlagsTable(readme)).toBe(readme);
});

test("the Quick start has the start and test commands", () => {
  const quick = readme.slice(readme.indexOf("## Quick start"));
  expect(quick).toContain("npm install && npm start");
  expect(quick).toContain("npm install && npm test");
});
