// A task's sandbox, through the leader's /files (which asks the task's agent): the directory
// listing, and the tail of a file (stdout by default) that follows new output every second,
// keeping at most TAIL_KEEP_BYTES on the page.
import type { ViewContext } from "../context.ts";
import { ago, h, link, sizeOf, table } from "../dom.ts";

const TAIL_POLL_MS = 1_000;
const TAIL_FIRST_BYTES = 64 * 1024;
const TAIL_KEEP_BYTES = 256 * 1024;

interface FileInfo { path: string; size: number; mode: string; mtime: number; uid: string }

const query = (path: string) => `path=${encodeURIComponent(path)}`;

export function sandboxView(ctx: ViewContext): HTMLElement {
  const [agent, framework, executor] = ctx.params as [string, string, string];
  const root = `/agents/${agent}/frameworks/${framework}/executors/${executor}/runs/latest`;
  const sub = (ctx.query.get("path") ?? "").replace(/^\/+/, "");
  const dir = sub === "" ? root : `${root}/${sub}`;
  const here = `#/sandbox/${encodeURIComponent(agent)}/${encodeURIComponent(framework)}/${encodeURIComponent(executor)}`;
  const listing = ctx.poll(`browse:${dir}`, 5_000, () => ctx.client.leaderJson<FileInfo[]>(`/files/browse?${query(dir)}`));
  const file = ctx.query.get("file") ?? "stdout";
  const tail = tailOf(ctx, `${root}/${file}`);
  return h("section", { "aria-labelledby": "sandbox-title" },
    h("h1", { id: "sandbox-title" }, `Sandbox of ${executor}`),
    h("p", {}, `Agent ${agent}, framework ${framework}`, sub === "" ? "" : `, directory ${sub}`),
    listing.error ? h("p", { class: "error", role: "alert" }, listing.error) : null,
    table("Files", ["Name", "Size", "Mode", "Modified", ""], (listing.value ?? []).map((f) => {
      const name = f.path.slice(root.length + 1);
      const isDir = f.mode.startsWith("d");
      return [
        isDir ? link(`${here}?path=${encodeURIComponent(name)}`, `${name.split("/").at(-1)}/`) : link(`${here}?path=${encodeURIComponent(sub)}&file=${encodeURIComponent(name)}`, name.split("/").at(-1)!),
        sizeOf(f.size), f.mode, ago(f.mtime), isDir ? "" : h("button", { type: "button", onclick: () => void download(ctx, f.path) }, "Download"),
      ];
    })),
    h("h2", {}, `Tail of ${file}`),
    tail);
}

/** Downloads through the client (a plain link would carry no credentials), then saves the bytes under the file's name. */
async function download(ctx: ViewContext, path: string): Promise<void> {
  const leader = await ctx.client.awaitLeader();
  const response = await ctx.client.request(`${leader}/files/download?${query(path)}`, {}, 60_000);
  if (response.status !== 200) return;
  const url = URL.createObjectURL(await response.blob());
  const anchor = h("a", { href: url, download: path.split("/").at(-1) ?? "file" });
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The persistent <pre> of a file's tail, fed by a poll from the last offset read. */
function tailOf(ctx: ViewContext, path: string): HTMLElement {
  const pre = ctx.persistent(`tail:${path}`, () => {
    const element = h("pre", { class: "tail", "aria-live": "polite", "data-path": path });
    element.dataset.offset = "-1";
    return element;
  });
  ctx.poll(`tail:${path}`, TAIL_POLL_MS, async () => {
    let offset = Number(pre.dataset.offset);
    if (offset < 0) {
      const { offset: size } = await ctx.client.leaderJson<{ offset: number }>(`/files/read?${query(path)}&offset=-1`);
      offset = Math.max(0, size - TAIL_FIRST_BYTES);
    }
    const { data } = await ctx.client.leaderJson<{ data: string; offset: number }>(`/files/read?${query(path)}&offset=${offset}&length=${TAIL_FIRST_BYTES}`);
    pre.dataset.offset = String(offset + new TextEncoder().encode(data).length);
    if (data.length > 0) {
      const text = (pre.textContent ?? "") + data;
      pre.textContent = text.length > TAIL_KEEP_BYTES ? text.slice(text.length - TAIL_KEEP_BYTES) : text;
    }
    return offset;
  });
  return pre;
}
