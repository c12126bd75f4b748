// The simulated agents of scripts/bench/agent_load.ts as a parent process drives them: one
// load process per Loader, its JSON event lines read as they come, "go" and "stop" on stdin,
// killed on exit. Shared by bench:agents and bench:failover. `secure` gives the agents TLS (the
// LIBPROCESS_SSL_* variables) and a credential to authenticate with.
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../../..", import.meta.url).pathname;
const LOAD_SCRIPT = join(ROOT, "scripts", "bench", "agent_load.ts");

export interface LoadEvent {
  ev: string;
  t: number;
  [key: string]: unknown;
}

export interface Progress {
  epoch: number;
  current: number;
  registered: number;
  open: number;
  counters: Record<string, number>;
}

export class Loader {
  readonly child: ReturnType<typeof Bun.spawn>;
  readonly events: LoadEvent[] = [];
  progress: Progress | null = null;
  leader: { id: string; host: string; port: number } | null = null;
  exited = false;

  constructor(readonly index: number, readonly first: number, readonly count: number, zk: string, readonly log_path: string,
    dests: readonly string[] = ["127.0.0.1"], wrap: (command: string[]) => string[] = (c) => c,
    secure?: { env: Record<string, string>; credential: string }) {
    const stderr = openSync(log_path, "a");
    this.child = Bun.spawn(wrap([process.execPath, LOAD_SCRIPT, `--zk=${zk}`, `--first=${first}`, `--count=${count}`, `--dest=${dests.join(",")}`,
      `--zk-session-ms=10000`, ...(secure ? [`--credential=${secure.credential}`] : [])]), {
      cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...secure?.env }, stdin: "pipe", stdout: "pipe", stderr,
    });
    closeSync(stderr);
    loaders_live.add(this);
    void this.child.exited.then(() => (this.exited = true));
    void this.read();
  }

  private async read(): Promise<void> {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.child.stdout as ReadableStream<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let event: LoadEvent;
        try {
          event = JSON.parse(line) as LoadEvent;
        } catch {
          continue;
        }
        if (event.ev === "progress") this.progress = event as unknown as Progress;
        else this.events.push(event);
        if (event.ev === "leader") this.leader = event.leader as Loader["leader"];
      }
    }
  }

  send(line: string): void {
    const stdin = this.child.stdin as import("bun").FileSink;
    stdin.write(`${line}\n`);
    stdin.flush();
  }

  /** The all_current event for a leader id (every agent of this loader answered by that leader). */
  done(leader_id: string): LoadEvent | undefined {
    return this.events.find((e) => e.ev === "all_current" && e.leader === leader_id);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        this.send("stop");
      } catch {
        // stdin already closed
      }
      const quit = await Promise.race([this.child.exited.then(() => true), Bun.sleep(3_000).then(() => false)]);
      if (!quit) this.child.kill("SIGKILL");
      await this.child.exited;
    }
    loaders_live.delete(this);
  }
}

const loaders_live = new Set<Loader>();
process.on("exit", () => {
  for (const l of loaders_live) try { l.child.kill("SIGKILL"); } catch { /* gone */ }
});
