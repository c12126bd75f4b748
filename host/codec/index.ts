// The host's mirror of the core's binary format: frames, stored records, peer messages.
export * from "./bytes.ts";
export * from "./crc32c.ts";
export * from "./frame.ts";
export * from "./records.ts";
export * from "./messages.ts";
