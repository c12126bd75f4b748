// Proves the master's web UI routes: `/` (and /master/) serves this project's own page, self-contained (no external script, style or font), on any master and without credentials; --webui_dir serves an operator's copy of a UI (index.html, app/, assets/) confined to those directories, and refuses a directory without index.html at start-up; /log/status describes this master, its leader and its registry.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../http/app.ts";
import { parseMasterFlags } from "../../host/master/flags.ts";
import { otherMaster, testMaster } from "../helpers/master.ts";

const dir = mkdtempSync(join(tmpdir(), "webui-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const get = (app: ReturnType<typeof createApp>, path: string) => app.handle(new Request(`http://localhost${path}`));

describe("this master's own UI", () => {
  test("/ and /master/ serve one self-contained page, on a standby too", async () => {
    const standby = testMaster(["--port=5050"]);
    standby.detected(otherMaster());
    for (const path of ["/", "/master/"]) {
      const response = await get(createApp(standby), path);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const page = await response.text();
      expect(page).toContain('<main id="main">');
      expect(page).toContain("Replicated log & HA");
      // Nothing is fetched from elsewhere: no external src/href, no @import or url() of a remote origin.
      expect(page).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
      expect(page).not.toMatch(/@import|url\(["']?https?:/i);
      expect(page.length).toBeLessThan(512 * 1024);
    }
  });
});

describe("--webui_dir", () => {
  const webui = join(dir, "webui");
  mkdirSync(join(webui, "app", "agents"), { recursive: true });
  mkdirSync(join(webui, "assets", "css"), { recursive: true });
  writeFileSync(join(webui, "index.html"), "<html>official</html>");
  writeFileSync(join(webui, "app", "app.js"), "angular.module('mesos');");
  writeFileSync(join(webui, "app", "agents", "agent.html"), "<div>agent</div>");
  writeFileSync(join(webui, "assets", "css", "main.css"), "body{}");
  writeFileSync(join(dir, "secret.txt"), "not for the browser");
  symlinkSync(join(dir, "secret.txt"), join(webui, "app", "escape.js"));
  const app = createApp(testMaster(["--port=5050", `--webui_dir=${webui}`]));

  test("index.html at /, app/ and assets/ below, with their types", async () => {
    expect(await (await get(app, "/")).text()).toBe("<html>official</html>");
    const js = await get(app, "/app/app.js");
    expect(js.headers.get("content-type")).toStartWith("application/javascript");
    expect(await js.text()).toBe("angular.module('mesos');");
    expect(await (await get(app, "/app/agents/agent.html")).text()).toBe("<div>agent</div>");
    expect((await get(app, "/assets/css/main.css")).headers.get("content-type")).toStartWith("text/css");
    expect(await (await get(app, "/master/app/app.js")).text()).toBe("angular.module('mesos');");
  });

  test("nothing outside app/ and assets/: encoded `..`, symlinks out and unknown files are 404", async () => {
    expect((await get(app, "/app/%2e%2e/%2e%2e/secret.txt")).status).toBe(404);
    expect((await get(app, "/app/escape.js")).status).toBe(404);
    expect((await get(app, "/app/missing.js")).status).toBe(404);
    expect((await get(app, "/app/agents")).status).toBe(404); // a directory
  });

  test("a directory without index.html is a flag error naming the flag", () => {
    expect(() => parseMasterFlags(["--port=5050", `--webui_dir=${join(dir, "nowhere")}`], {})).toThrow(/webui_dir/);
  });
});

describe("/log/status", () => {
  test("this master, the leader it sees and its registry; readable on a standby", async () => {
    const standby = testMaster(["--port=5050"]);
    const leader = otherMaster("m2.example.com", 5051);
    standby.detected(leader);
    const status: any = await (await get(createApp(standby), "/log/status")).json();
    expect(status.master).toMatchObject({ elected: false, port: 5050 });
    expect(status.leader).toMatchObject({ hostname: "m2.example.com", port: 5051 });
    expect(status.replica).toBeNull(); // no log in this in-process master
    expect(status.zookeeper).toBeNull();
    expect(typeof status.registry.recovered).toBe("boolean");
  });
});
