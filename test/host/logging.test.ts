// Proves log lines are glog-shaped, carry the caller's file:line, and honour the level.
import { afterEach, expect, test } from "bun:test";
import { formatLine, logger, setLoggingLevel, setLogSink } from "../../host/logging.ts";

let restore: ((line: string) => void) | undefined;
afterEach(() => {
  setLoggingLevel("INFO");
  if (restore) setLogSink(restore);
});

test("formatLine is glog-like", () => {
  const line = formatLine("INFO", new Date(2026, 10, 21, 14, 3, 1, 123), 12345, "master.ts:42", "Elected as the leading master");
  expect(line).toMatch(/^I1121 14:03:01\.123\d{3} 12345 master\.ts:42\] Elected as the leading master$/);
});

test("lines name the calling file and line, one per event, and respect the level", () => {
  const lines: string[] = [];
  restore = setLogSink((line) => lines.push(line));
  const log = logger("logging.test.ts");
  log.info("first\nsecond");
  setLoggingLevel("WARNING");
  log.info("dropped");
  log.warning("kept");
  log.error("also kept");
  expect(lines.length).toBe(3);
  expect(lines[0]).toMatch(/^I\d{4} [\d:.]+ \d+ logging\.test\.ts:\d+\] first second$/);
  expect(lines[0]).not.toContain("logging.test.ts:0]");
  expect(lines[1]).toMatch(/^W.*\] kept$/);
  expect(lines[2]).toMatch(/^E.*\] also kept$/);
});
