// Proves the test TCP proxy forwards untouched and that delay, blackhole, pause, modify, pauseAccept and resetListener work.
// Method: an echo server behind the proxy on 127.0.0.1 and a client counting what comes back.
import { afterEach, describe, expect, test } from "bun:test";
import { connect, createServer, type Server, type Socket } from "node:net";
import { TcpProxy } from "../../host/net/proxy.ts";
import { waitFor } from "./helpers.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function echoServer(): Promise<{ server: Server; port: number; accepted: () => number; heard: () => string }> {
  let accepted = 0;
  let heard = "";
  const server = createServer((socket) => {
    accepted++;
    socket.on("data", (data) => {
      heard += data.toString();
      socket.write(data);
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : 0, accepted: () => accepted, heard: () => heard };
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start({ target_port: port });
  cleanup.push(() => proxy.close());
  return proxy;
}

function client(port: number): { socket: Socket; got: () => string; closed: () => boolean } {
  let got = "";
  let closed = false;
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("data", (data) => (got += data.toString()));
  socket.on("close", () => (closed = true));
  socket.on("error", () => {});
  cleanup.push(() => void socket.destroy());
  return { socket, got: () => got, closed: () => closed };
}

describe("TcpProxy", () => {
  test("forwards both ways untouched", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const c = client(proxy.port);
    c.socket.write("hello through the proxy");
    await waitFor("echo", () => c.got() === "hello through the proxy");
    expect(proxy.connections()).toBe(1);
  });

  test("delayTx holds bytes at least the delay and keeps their order", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    proxy.delayTx(150, 50);
    const c = client(proxy.port);
    const sent_ms = performance.now();
    for (let i = 0; i < 10; i++) c.socket.write(`${i},`);
    await waitFor("echo", () => c.got() === "0,1,2,3,4,5,6,7,8,9,");
    // A lower bound only: delays can't come early; how late is not asserted.
    expect(performance.now() - sent_ms).toBeGreaterThanOrEqual(95);
  });

  test("blackholeRx swallows replies until unblackholed", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const c = client(proxy.port);
    c.socket.write("a");
    await waitFor("a", () => c.got() === "a");
    proxy.blackholeRx();
    c.socket.write("b");
    // "b" reaches the echo server, and its echo falls into the hole.
    await waitFor("b echoed into the hole", () => echo.heard() === "ab");
    proxy.unblackholeRx();
    c.socket.write("c");
    await waitFor("c", () => c.got().endsWith("c"));
    expect(c.got()).toBe("ac");
  });

  test("pauseTx stalls without loss; resumeTx delivers what waited", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const c = client(proxy.port);
    c.socket.write("1");
    await waitFor("1", () => c.got() === "1");
    proxy.pauseTx();
    c.socket.write("2");
    c.socket.write("3");
    await Bun.sleep(50); // gives a broken pause the chance to leak; not a timing assertion
    expect(c.got()).toBe("1");
    proxy.resumeTx();
    await waitFor("23", () => c.got() === "123");
  });

  test("modifyTx rewrites and drops chunks", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    let seen = "";
    proxy.modifyTx((chunk) => {
      seen += new TextDecoder().decode(chunk);
      return chunk[0] === 0x78 ? null : chunk.map((b) => (b >= 0x61 && b <= 0x7a ? b - 32 : b));
    });
    const c = client(proxy.port);
    c.socket.write("abc");
    await waitFor("ABC", () => c.got() === "ABC");
    c.socket.write("xyz");
    await waitFor("xyz read by the proxy", () => seen === "abcxyz");
    c.socket.write("!");
    await waitFor("!", () => c.got().endsWith("!"));
    expect(c.got()).toBe("ABC!");
    proxy.unmodifyTx();
    c.socket.write("d");
    await waitFor("d", () => c.got() === "ABC!d");
  });

  test("pauseAccept holds new connections; resumeAccept forwards them", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    proxy.pauseAccept();
    const c = client(proxy.port);
    c.socket.write("waiting");
    await Bun.sleep(50); // as above: room for a leak, not a timing assertion
    expect(echo.accepted()).toBe(0);
    expect(c.got()).toBe("");
    proxy.resumeAccept();
    await waitFor("echo", () => c.got() === "waiting");
  });

  test("resetListener drops live connections and accepts new ones on the same port", async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const port = proxy.port;
    const first = client(port);
    first.socket.write("one");
    await waitFor("one", () => first.got() === "one");
    await proxy.resetListener();
    await waitFor("first closed", () => first.closed());
    expect(proxy.port).toBe(port);
    const second = client(port);
    second.socket.write("two");
    await waitFor("two", () => second.got() === "two");
  });
});
