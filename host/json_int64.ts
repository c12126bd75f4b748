// Operators' int64 values (maintenance windows, drain grace periods) are kept exact: a bigint
// when they are not safe integers (registry_requests.ts reads them, registry/codec.ts stores
// them). Imported for its effect: JSON.stringify then writes a bigint as the integer literal it
// was (JSON.rawJSON), in every answer, event and message that carries one, instead of throwing.
declare global {
  interface BigInt {
    toJSON(): unknown;
  }
  interface JSON {
    rawJSON(text: string): unknown;
  }
}

if (!Object.hasOwn(BigInt.prototype, "toJSON")) {
  Object.defineProperty(BigInt.prototype, "toJSON", {
    value(this: bigint) {
      return JSON.rawJSON(this.toString());
    },
    configurable: true,
    writable: true,
  });
}

export {};
