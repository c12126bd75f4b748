// Proves the WASM boundary's contract: only env.abort is imported, operating errors come
// back as codes while misuse aborts (crash-only), the host's limits agree with the core's,
// and the wrapper survives memory growth (views are re-derived after every call).
import { describe, expect, test } from "bun:test";
import { CoreAbort, LIMITS, LogCore, StepError, assertImports, coreModule, instantiateCore } from "../../host/core.ts";
import { encodeMessage, Kind } from "../../host/codec/index.ts";

const config = { nodeId: 1, quorum: 1, replicas: [1, 2], autoInitialize: true, seed: 3 };

describe("core boundary", () => {
  test("the module imports nothing but env.abort", () => {
    expect(WebAssembly.Module.imports(coreModule()).map((i) => `${i.module}.${i.name}`)).toEqual(["env.abort"]);
    expect(() => assertImports(coreModule())).not.toThrow();
  });

  test("host limits agree with the core's", () => {
    const core = instantiateCore();
    expect(core.input_cap()).toBe(LIMITS.messageMaxBytes + 64);
  });

  test("a config the core refuses is an error, not an abort", () => {
    expect(() => new LogCore({ ...config, quorum: 3 })).toThrow("refused the config");
    expect(() => new LogCore({ ...config, replicas: [2, 3] })).toThrow(CoreAbort);
  });

  test("operating errors are codes", () => {
    const core = new LogCore(config);
    expect(core.tick()).toBe(StepError.NotStarted);
    expect(core.start()).toBe(0);
    expect(core.start()).toBe(StepError.State);
    const request = encodeMessage({ kind: Kind.RecoverRequest, round: 1 });
    expect(core.receive(9, request)).toBe(StepError.UnknownPeer);
    expect(core.receive(2, request.subarray(0, 5))).toBe(StepError.Malformed);
    expect(core.receive(2, request)).toBe(0);
  });

  test("misuse of the step/ready/advance order aborts", () => {
    const core = new LogCore(config);
    core.start();
    expect(core.ready()).not.toBeNull();
    expect(() => core.ready()).toThrow(CoreAbort); // ready twice without advance
  });

  test("memory growth does not break the wrapper", () => {
    const core = new LogCore({ ...config, replicas: [1] });
    core.start();
    for (let b = core.ready(); b; b = core.ready()) core.advance();
    core.elect();
    for (let b = core.ready(); b; b = core.ready()) core.advance();
    const before = core.exports.memory.buffer.byteLength;
    const payload = new Uint8Array(LIMITS.entryPayloadMaxBytes).fill(7);
    const positions: number[] = [];
    for (let i = 0; i < 40; i++) {
      expect(core.append(i, payload)).toBe(0);
      for (let b = core.ready(); b; b = core.ready()) {
        for (const r of b.results) positions.push(r.position);
        for (const l of b.learned) expect(l.bytes.length).toBe(payload.length);
        core.advance();
      }
    }
    expect(core.exports.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(positions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });
});
