// Mesos (stout) durations: a decimal number followed by a unit, e.g. 500ms, 10secs, 1.5mins.
// Stored in milliseconds; rendered back in the largest unit that keeps the value >= 1,
// as stout prints them ("10secs", "1mins", "2weeks").

const UNIT_MS: ReadonlyArray<readonly [string, number]> = [
  ["weeks", 7 * 24 * 3600 * 1000],
  ["days", 24 * 3600 * 1000],
  ["hrs", 3600 * 1000],
  ["mins", 60 * 1000],
  ["secs", 1000],
  ["ms", 1],
  ["us", 1e-3],
  ["ns", 1e-6],
];

const DURATION = /^(-?\d+(?:\.\d+)?)(ns|us|ms|secs|mins|hrs|days|weeks)$/;

/** Milliseconds for a stout duration, or null when the text is not one. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match) return null;
  const unit = UNIT_MS.find(([name]) => name === match[2]);
  if (!unit) return null;
  return Number(match[1]) * unit[1];
}

export function formatDuration(ms: number): string {
  const magnitude = Math.abs(ms);
  for (const [name, unit_ms] of UNIT_MS) {
    if (magnitude >= unit_ms) return `${trimNumber(ms / unit_ms)}${name}`;
  }
  return "0ns";
}

function trimNumber(value: number): string {
  return String(Number(value.toPrecision(6)));
}
