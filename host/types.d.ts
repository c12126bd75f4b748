// Files embedded into the compiled binary are imported as paths (Bun's `type: "file"`).
declare module "*.wasm" {
  const path: string;
  export default path;
}
// Protobuf schemas are embedded as text (Bun's `type: "text"`).
declare module "*.proto" {
  const text: string;
  export default text;
}
