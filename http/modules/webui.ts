// The web UI at `/` (and /master/), on every master, leader or not, with no authentication
// (static files hold nothing secret; the pages' reads authenticate): this master's own UI,
// one self-contained page built from ui/ and embedded in the binary; or, with
// --webui_dir=DIR, an operator's copy of a UI such as Mesos's src/webui, served as Mesos
// serves it: DIR/index.html at `/`, and DIR/app/ and DIR/assets/ below /app and /assets,
// confined to those directories (host/files/files.ts resolves them).
import { Elysia } from "elysia";
import { join } from "node:path";
import uiFile from "../../build/ui/index.html" with { type: "file" };
import { Files, isFilesError } from "../../host/files/files.ts";
import { MIME_TYPES } from "../../host/files/http.ts";
import type { Master } from "../../host/master/master.ts";
import { empty } from "../respond.ts";

const HTML = "text/html; charset=utf-8";
/** Bun's types call an .html import an HTMLBundle; imported with type "file" it is the embedded file's path. */
const uiPath = uiFile as unknown as string;

function served(path: string, cache: string): Response {
  const type = MIME_TYPES[path.slice(path.lastIndexOf(".")).toLowerCase()] ?? "application/octet-stream";
  return new Response(Bun.file(path), { headers: { "content-type": type.startsWith("text/") ? `${type}; charset=utf-8` : type, "cache-control": cache } });
}

export function webui(master: Master) {
  const dir = master.flags.webui_dir;
  if (dir === undefined) {
    return new Elysia().get("/", () => new Response(Bun.file(uiPath), { headers: { "content-type": HTML, "cache-control": "no-cache" } }));
  }
  const files = new Files(() => new Map([["/app", join(dir, "app")], ["/assets", join(dir, "assets")]]));
  const asset = (request: Request) => {
    const real = files.download(decodeURIComponent(new URL(request.url).pathname).replace(/^\/master(?=\/)/, ""));
    return isFilesError(real) ? empty(404) : served(real, "max-age=300");
  };
  return new Elysia()
    .get("/", () => served(join(dir, "index.html"), "no-cache"))
    .get("/app/*", ({ request }) => asset(request))
    .get("/assets/*", ({ request }) => asset(request));
}
