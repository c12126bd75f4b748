// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) over peer frame payloads.
// Bun.hash.crc32 computes exactly this; we check it once against the standard check value
// ("123456789" -> 0xCBF43926) and fall back to a table-driven TS version if it ever differs,
// so a runtime change can never make two masters disagree about a valid frame.

const CHECK_INPUT = new TextEncoder().encode("123456789");
const CHECK_VALUE = 0xcbf43926;

let table: Uint32Array | null = null;

/** Table-driven CRC-32 (IEEE, reflected, init and final xor 0xFFFFFFFF); the reference. */
export function crc32Table(bytes: Uint8Array): number {
  const t = table ?? (table = makeTable());
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function makeTable(): Uint32Array {
  const out = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    out[n] = c >>> 0;
  }
  return out;
}

function bunCrc32(bytes: Uint8Array): number {
  return Bun.hash.crc32(bytes) >>> 0;
}

/** True when this runtime's Bun.hash.crc32 is the IEEE CRC-32 (checked once at load). */
export const BUN_CRC32_IS_IEEE: boolean =
  typeof Bun !== "undefined" && typeof Bun.hash?.crc32 === "function" && bunCrc32(CHECK_INPUT) === CHECK_VALUE;

/** CRC-32 (IEEE) of `bytes` as an unsigned 32-bit number. */
export const crc32: (bytes: Uint8Array) => number = BUN_CRC32_IS_IEEE ? bunCrc32 : crc32Table;
