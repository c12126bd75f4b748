// At most one log line per key (a remote address) per interval, so that an attacker, or a
// misconfigured peer redialing every few seconds, cannot flood the log. The next line after a
// quiet spell says how many were held back. The table is bounded: past its size the key heard
// from least recently is forgotten (it may then get one line early, nothing worse).

export class LineLimiter {
  private readonly seen = new Map<string, { last_ms: number; suppressed: number }>();

  constructor(
    private readonly interval_ms: number,
    private readonly keys_max: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Whether a line for `key` may be written now; when it may, `suppressed` is the number of
   * lines for that key held back since the last one written.
   */
  admit(key: string): { ok: true; suppressed: number } | { ok: false } {
    const now = this.now();
    const entry = this.seen.get(key);
    if (entry !== undefined && now - entry.last_ms < this.interval_ms) {
      entry.suppressed++;
      return { ok: false };
    }
    const suppressed = entry?.suppressed ?? 0;
    // Re-inserting moves the key to the end: Map order is then least recently admitted first.
    this.seen.delete(key);
    if (this.seen.size >= this.keys_max) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { last_ms: now, suppressed: 0 });
    return { ok: true, suppressed };
  }

  get size(): number {
    return this.seen.size;
  }
}
