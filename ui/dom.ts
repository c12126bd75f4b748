// The page's few DOM helpers: elements built from tag, attributes and children (text is always
// a text node, never HTML, so nothing from the cluster is ever parsed as markup), and the
// formatters every view shares.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h(tag: string, attributes: Attributes = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

/** A table with a caption, header cells and rows (each row a list of cells). */
export function table(caption: string, headers: string[], rows: Child[][], empty = "None."): HTMLElement {
  if (rows.length === 0) return h("p", { class: "empty" }, `${caption}: ${empty}`);
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((title) => h("th", { scope: "col" }, title)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))));
}

/** At most `page_size` rows of `rows`, with a note of how many were left out (big clusters stay fast). */
export function paged<T>(rows: readonly T[], page_size: number): { shown: readonly T[]; note: HTMLElement | null } {
  if (rows.length <= page_size) return { shown: rows, note: null };
  return { shown: rows.slice(0, page_size), note: h("p", { class: "note" }, `Showing ${page_size} of ${rows.length}; use the filter to narrow.`) };
}

export const link = (href: string, text: Child) => h("a", { href }, text);

export function bytes(mb: number): string {
  if (mb >= 1024 * 1024) return `${(mb / 1024 / 1024).toFixed(1)} TB`;
  if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
  return `${Math.round(mb)} MB`;
}

export function sizeOf(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(1)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

export function ago(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null) return "—";
  const s = Math.max(0, Date.now() / 1000 - seconds);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h ago`;
  return `${(s / 86400).toFixed(1)} d ago`;
}

export const num = (n: number, digits = 1) => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

export function shortId(id: string): string {
  return id.length > 14 ? `…${id.slice(-12)}` : id;
}
