// A replica's own HTTP port when nothing else serves it (tests, benchmarks): peer links
// upgrade to WebSockets; every other request gets `fallback` (404 by default). With `tls` the
// port speaks only TLS (and with REQUIRE_CERT demands a client certificate from the CA).
import { serverTls, type TlsConfig } from "../security/tls.ts";
import type { ReplicatedLog } from "./replicated_log.ts";

export function servePeerLinks(
  log: ReplicatedLog,
  hostname: string,
  port: number,
  fallback: (request: Request) => Response = () => new Response(null, { status: 404 }),
  tls: TlsConfig | null = null,
): ReturnType<typeof Bun.serve> {
  const hooks = log.serverHooks();
  return Bun.serve({
    hostname, port, maxRequestBodySize: 1 << 20,
    ...(tls === null ? {} : { tls: serverTls(tls) }),
    fetch: (request, srv) => (hooks.upgrade(request, srv as never) ? undefined : fallback(request)),
    websocket: hooks.websocket as never,
  });
}
