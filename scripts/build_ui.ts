// Builds the web UI (ui/) into one self-contained page, build/ui/index.html: the TypeScript
// bundled and minified by Bun (uPlot included), the CSS inlined, no external request. The
// master embeds the page in its binary (http/modules/webui.ts).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

export async function buildUi(root: string): Promise<void> {
  const result = await Bun.build({ entrypoints: [`${root}/ui/app.ts`], target: "browser", minify: true });
  if (!result.success) throw new Error(`ui build failed:\n${result.logs.map(String).join("\n")}`);
  let script = "";
  let style = readFileSync(`${root}/ui/style.css`, "utf8");
  for (const output of result.outputs) {
    if (output.path.endsWith(".js")) script += await output.text();
    else if (output.path.endsWith(".css")) style = `${await output.text()}\n${style}`;
  }
  const page = readFileSync(`${root}/ui/index.html`, "utf8")
    .replace("/*STYLE*/", () => style.replaceAll("</style", "<\\/style"))
    .replace("/*SCRIPT*/", () => script.replaceAll("</script", "<\\/script"));
  mkdirSync(`${root}/build/ui`, { recursive: true });
  writeFileSync(`${root}/build/ui/index.html`, page);
}

if (import.meta.main) {
  await buildUi(new URL("..", import.meta.url).pathname.replace(/\/$/, ""));
  console.log("built build/ui/index.html");
}
