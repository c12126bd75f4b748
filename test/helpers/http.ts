// In-process leaders (no sockets) and their HTTP app for the endpoint tests: a recovered leader,
// masters stopped after each test, and a request helper that reads the answer's status and body.
import { afterEach, expect } from "bun:test";
import { createApp } from "../../http/app.ts";
import type { Master } from "../../host/master/master.ts";
import { testMaster } from "./master.ts";

export type App = ReturnType<typeof createApp>;

/**
 * Call at the top of a test file: every master pushed on `masters` is stopped after each test;
 * recoveredLeader() builds one (testMaster with `argv`, then `extra`), makes it leader and waits
 * for its registrar to recover.
 */
export function useMasters(argv: string[] = []) {
  const masters: Master[] = [];
  afterEach(() => masters.splice(0).forEach((m) => m.stop()));
  async function recoveredLeader(extra: string[] = []) {
    const master = testMaster([...argv, ...extra]);
    masters.push(master);
    master.detected(master.info);
    for (let i = 0; i < 400 && !master.registrar.recovered(); i++) await Bun.sleep(5);
    expect(master.registrar.recovered()).toBe(true);
    return { master, app: createApp(master) };
  }
  return { masters, recoveredLeader };
}

/** `method path` with `body` (a string as is, anything else as JSON); `json` is the body parsed when it is a JSON object or array. */
export async function call(app: App, method: string, path: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await app.handle(new Request(`http://localhost${path}`, init));
  const text = await response.text();
  return { status: response.status, text, json: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : undefined };
}
