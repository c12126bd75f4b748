// The web UI's entry: the layout (navigation, connection state, login), hash routes to views,
// and one render loop. Renders are throttled to RENDER_MS, driven by the operator stream's
// events, by data the shown view polls, and by navigation; polled data is fetched only while
// its view is shown.
import { ClusterClient } from "./client.ts";
import type { Loaded, View, ViewContext } from "./context.ts";
import { h } from "./dom.ts";
import { Model } from "./model.ts";
import { agentView, agentsView } from "./views/agents.ts";
import { frameworkView, frameworksView } from "./views/frameworks.ts";
import { haView } from "./views/ha.ts";
import { maintenanceView } from "./views/maintenance.ts";
import { offersView } from "./views/offers.ts";
import { overviewView } from "./views/overview.ts";
import { rolesView } from "./views/roles.ts";
import { sandboxView } from "./views/sandbox.ts";

const RENDER_MS = 250;
const SAMPLE_MS = 2_000;
const DISCOVER_MS = 2_000;

const ROUTES: { pattern: RegExp; view: View; nav?: string }[] = [
  { pattern: /^\/$/, view: overviewView, nav: "Overview" },
  { pattern: /^\/ha$/, view: haView, nav: "Replicated log & HA" },
  { pattern: /^\/agents$/, view: agentsView, nav: "Agents" },
  { pattern: /^\/agents\/([^/]+)$/, view: agentView },
  { pattern: /^\/frameworks$/, view: frameworksView, nav: "Frameworks" },
  { pattern: /^\/frameworks\/([^/]+)$/, view: frameworkView },
  { pattern: /^\/roles$/, view: rolesView, nav: "Roles" },
  { pattern: /^\/offers$/, view: offersView, nav: "Offers" },
  { pattern: /^\/maintenance$/, view: maintenanceView, nav: "Maintenance" },
  { pattern: /^\/sandbox\/([^/]+)\/([^/]+)\/([^/]+)$/, view: sandboxView },
];
const NAV_PATHS: Record<string, string> = { Overview: "/", "Replicated log & HA": "/ha", Agents: "/agents", Frameworks: "/frameworks", Roles: "/roles", Offers: "/offers", Maintenance: "/maintenance" };

const client = new ClusterClient();
const model = new Model();
const polls = new Map<string, { loaded: Loaded<unknown>; timer: ReturnType<typeof setInterval>; used: boolean }>();
const persistents = new Map<string, HTMLElement>();
let stream_connected = false;
let render_timer: ReturnType<typeof setTimeout> | null = null;

let last_render_ms = -Infinity;

/** Renders at once when the last render is RENDER_MS old, else once that much has passed (events in a burst share one render). */
function scheduleRender(): void {
  if (render_timer !== null) return;
  render_timer = setTimeout(() => {
    render_timer = null;
    render();
  }, Math.max(0, last_render_ms + RENDER_MS - performance.now()));
}

function route(): { view: View; params: string[]; query: URLSearchParams; path: string } {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path = "/", search = ""] = hash.split("?");
  for (const r of ROUTES) {
    const match = r.pattern.exec(path);
    if (match) return { view: r.view, params: match.slice(1).map(decodeURIComponent), query: new URLSearchParams(search), path };
  }
  return { view: () => h("p", {}, `No page at ${path}.`), params: [], query: new URLSearchParams(search), path };
}

function context(params: string[], query: URLSearchParams): ViewContext {
  return {
    model, client, params, query,
    poll<T>(key: string, every_ms: number, load: () => Promise<T>): Loaded<T> {
      let entry = polls.get(key);
      if (entry === undefined) {
        const loaded: Loaded<unknown> = {};
        const run = () => load().then((value) => { loaded.value = value; loaded.error = undefined; }, (error: unknown) => { loaded.error = String(error instanceof Error ? error.message : error); }).finally(scheduleRender);
        entry = { loaded, timer: setInterval(run, every_ms), used: true };
        polls.set(key, entry);
        void run();
      }
      entry.used = true;
      return entry.loaded as Loaded<T>;
    },
    persistent<E extends HTMLElement>(key: string, make: () => E): E {
      let element = persistents.get(key);
      if (element === undefined) {
        element = make();
        persistents.set(key, element);
      }
      return element as E;
    },
    refresh: scheduleRender,
  };
}

function render(): void {
  last_render_ms = performance.now();
  // A persistent input (a filter box) moves into the new content as the view is built, which
  // takes its focus: note it now, give it back (and its caret) once the content is in place.
  const focused = document.activeElement;
  const caret = focused instanceof HTMLInputElement ? focused.selectionStart : null;
  const { view, params, query, path } = route();
  for (const entry of polls.values()) entry.used = false;
  let content: HTMLElement;
  try {
    content = view(context(params, query));
  } catch (error) {
    content = h("p", { class: "error", role: "alert" }, `This page failed to render: ${String(error)}`);
  }
  for (const [key, entry] of polls) if (!entry.used) {
    clearInterval(entry.timer);
    polls.delete(key);
  }
  document.getElementById("main")!.replaceChildren(content);
  if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) {
    focused.focus();
    if (focused instanceof HTMLInputElement && caret !== null) focused.setSelectionRange(caret, caret);
  }
  renderHeader(path);
}

function renderHeader(path: string): void {
  const nav = document.getElementById("nav")!;
  nav.replaceChildren(...Object.entries(NAV_PATHS).map(([name, target]) => {
    const current = target === "/" ? path === "/" : path.startsWith(target);
    return h("a", { href: `#${target}`, "aria-current": current ? "page" : null }, name);
  }));
  const leader = client.leader?.replace(/^https?:\/\//, "") ?? "none";
  document.getElementById("connection")!.replaceChildren(
    h("span", { class: stream_connected ? "ok" : "warn" }, stream_connected ? "live" : "reconnecting"), ` · leader ${leader}`);
}

function askCredentials(): Promise<void> {
  const dialog = document.getElementById("login") as HTMLDialogElement;
  return new Promise((resolve) => {
    const form = dialog.querySelector("form")!;
    form.onsubmit = (event) => {
      event.preventDefault();
      const data = new FormData(form);
      client.login(String(data.get("principal") ?? ""), String(data.get("secret") ?? ""));
      dialog.close();
      resolve();
    };
    if (!dialog.open) dialog.showModal();
  });
}

let pending_login: Promise<void> | null = null;
client.onUnauthorized = () => (pending_login ??= askCredentials().finally(() => { pending_login = null; }));
client.onChange(scheduleRender);
window.addEventListener("hashchange", render);
client.stream((event) => {
  if (model.apply(event)) scheduleRender();
}, (connected) => {
  stream_connected = connected;
  scheduleRender();
});
setInterval(() => {
  if (model.subscribed) model.sample();
}, SAMPLE_MS);
setInterval(() => void client.discover().then(() => {
  const leader = client.leader === null ? null : client.masters.get(client.leader);
  if (leader?.ok) model.sampleRegistry(leader.status.registry);
}).catch(() => {}), DISCOVER_MS);
void client.discover().catch(() => {});
render();
