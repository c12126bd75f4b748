// Proves host/core.ts loads the built core and refuses any module that imports more than
// env.abort (a clock or a random source would break determinism).
import { expect, test } from "bun:test";
import { assertImports, coreModule, instantiateCore } from "../../host/core.ts";

/** A minimal WASM module importing env.<name> as a function () -> void. */
function moduleImporting(name: string): WebAssembly.Module {
  const field = [...new TextEncoder().encode(name)];
  const importEntry = [3, ...new TextEncoder().encode("env"), field.length, ...field, 0x00, 0x00];
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: one func type () -> ()
    0x02, importEntry.length + 1, 0x01, ...importEntry, // import section
  ]);
  return new WebAssembly.Module(bytes);
}

test("the built core imports nothing but env.abort and exports the boundary", () => {
  const module = coreModule();
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  expect(imports.every((name) => name === "env.abort")).toBe(true);
  const exports = WebAssembly.Module.exports(module).map((e) => e.name);
  for (const name of ["memory", "input_ptr", "input_cap", "output_ptr", "output_cap", "init", "step", "ready", "advance"]) {
    expect(exports).toContain(name);
  }
  const core = instantiateCore();
  expect(core.input_cap()).toBeGreaterThan(0);
  expect(core.output_cap()).toBeGreaterThan(0);
});

test("a module importing env.seed or Date.now is refused", () => {
  expect(() => assertImports(moduleImporting("seed"))).toThrow("core.wasm imports env.seed");
  expect(() => assertImports(moduleImporting("Date.now"))).toThrow(/only env.abort is allowed/);
  expect(() => assertImports(moduleImporting("abort"))).not.toThrow();
});
