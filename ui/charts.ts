// Time-series charts with uPlot (a small, well-kept canvas charting library bundled into the
// page at build time; no network fetch): one chart per element, updated in place with new data
// rather than rebuilt, so a page that re-renders keeps its charts cheap.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLOURS = ["#2b7a0b", "#c48a00", "#1f5fbf", "#b3261e", "#6b4fbb", "#00838f"];
const charts = new WeakMap<HTMLElement, uPlot>();

export interface Series {
  label: string;
  values: number[];
}

/** A line chart in `host` of `series` over `time_s`; created once per host, then only fed. */
export function lineChart(host: HTMLElement, title: string, time_s: number[], series: Series[], unit = ""): void {
  const data: uPlot.AlignedData = [time_s, ...series.map((s) => s.values)];
  const existing = charts.get(host);
  if (existing !== undefined) {
    existing.setData(data);
    return;
  }
  const width = Math.max(320, Math.min(900, host.clientWidth || 640));
  const chart = new uPlot({
    title, width, height: 220,
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, value: (_u: uPlot, v: number | null) => (v === null ? "—" : `${v}${unit}`) }))],
    axes: [{}, { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => `${t}${unit}`) }],
    scales: { x: { time: true } },
  }, data, host);
  charts.set(host, chart);
}

/** Horizontal bars (role allocation): plain elements, which read better than a canvas for a handful of rows. */
export function bars(rows: { label: string; value: number; total: number; text: string }[]): HTMLElement {
  const list = document.createElement("div");
  list.className = "bars";
  for (const row of rows) {
    const item = document.createElement("div");
    item.className = "bar";
    const label = document.createElement("span");
    label.textContent = row.label;
    const track = document.createElement("span");
    track.className = "track";
    track.setAttribute("role", "img");
    track.setAttribute("aria-label", `${row.label}: ${row.text}`);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = `${row.total > 0 ? Math.min(100, (100 * row.value) / row.total) : 0}%`;
    track.appendChild(fill);
    const value = document.createElement("span");
    value.textContent = row.text;
    item.append(label, track, value);
    list.appendChild(item);
  }
  return list;
}
