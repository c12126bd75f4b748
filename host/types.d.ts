// Files embedded into the compiled binary are imported as paths (Bun's `type: "file"`).
declare module "*.wasm" {
  const path: string;
  export default path;
}
