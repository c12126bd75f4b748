// Loads the WASM core (embedded in the compiled binary, or from build/ in tests) and checks
// its boundary: the module may import nothing but env.abort, so it cannot read a clock or a
// host random source behind our back. A failed core assertion arrives through env.abort and
// becomes a CoreAbort: crash-only, the caller logs it and exits.
import { readFileSync } from "node:fs";
import wasmPath from "../build/core.wasm" with { type: "file" };

/** The raw exports of one core instance; see core/index.ts for the contract. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  input_ptr(): number;
  input_cap(): number;
  output_ptr(): number;
  output_cap(): number;
  init(len: number): number;
  step(len: number): number;
  ready(): number;
  advance(): void;
}

/** A violated invariant inside the core. Never caught to continue: the process must exit. */
export class CoreAbort extends Error {
  override name = "CoreAbort";
}

const ALLOWED_IMPORTS = ["env.abort"];

let compiled: WebAssembly.Module | null = null;

/** Compiles the core once per process; every instance shares the compiled module. */
export function coreModule(): WebAssembly.Module {
  if (compiled === null) {
    const bytes = readFileSync(wasmPath);
    const module = new WebAssembly.Module(bytes);
    assertImports(module);
    compiled = module;
  }
  return compiled;
}

/** Throws unless the module's imports are exactly a subset of ALLOWED_IMPORTS. */
export function assertImports(module: WebAssembly.Module): void {
  const imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`);
  const extra = imports.filter((name) => !ALLOWED_IMPORTS.includes(name));
  if (extra.length > 0) {
    throw new Error(`core.wasm imports ${extra.join(", ")}; only ${ALLOWED_IMPORTS.join(", ")} is allowed`);
  }
}

/** A fresh core instance: one instance is one state machine (one replica's log node). */
export function instantiateCore(): CoreExports {
  let memory: WebAssembly.Memory | null = null;
  const env = {
    abort(messagePtr: number, filePtr: number, line: number, column: number): never {
      const message = memory ? readString(memory, messagePtr) : "?";
      const file = memory ? readString(memory, filePtr) : "?";
      throw new CoreAbort(`core assertion failed: ${message} at ${file}:${line}:${column}`);
    },
  };
  const instance = new WebAssembly.Instance(coreModule(), { env });
  const exports = instance.exports as unknown as CoreExports;
  memory = exports.memory;
  return exports;
}

/** Reads an AssemblyScript string (UTF-16, byte length stored 4 bytes before it). */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  const view = new DataView(memory.buffer);
  const byteLength = view.getUint32(ptr - 4, true);
  const units = new Uint16Array(memory.buffer, ptr, byteLength >>> 1);
  return String.fromCharCode(...units);
}
