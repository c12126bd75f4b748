// CRC-32C (Castagnoli), slicing-by-8, for the checksum that ends every record and message.
// The TS mirror (host/codec/crc32c.ts) must compute the same value; golden vectors pin it.
// Eight tables of 256 entries let the loop fold eight bytes per step: the checksum covers
// every byte the log stores or sends, so it sits on the hot path of every append.

const tables = new StaticArray<u32>(256 * 8);
let tables_ready = false;

function build_tables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    unchecked((tables[n] = c));
  }
  for (let n = 0; n < 256; n++) {
    let c = unchecked(tables[n]);
    for (let t = 1; t < 8; t++) {
      c = unchecked(tables[c & 0xff]) ^ (c >>> 8);
      unchecked((tables[t * 256 + n] = c));
    }
  }
  tables_ready = true;
}

/** CRC-32C of len bytes at ptr. */
export function crc32c(ptr: usize, len: i32): u32 {
  assert(len >= 0, "crc32c: negative length");
  if (!tables_ready) build_tables();
  const t = changetype<usize>(tables);
  let c: u32 = 0xffffffff;
  let p = ptr;
  const end = ptr + <usize>len;
  while (p + 8 <= end) {
    const lo = load<u32>(p) ^ c;
    const hi = load<u32>(p + 4);
    c = load<u32>(t + ((7 * 256 + (lo & 0xff)) << 2)) ^
      load<u32>(t + ((6 * 256 + ((lo >>> 8) & 0xff)) << 2)) ^
      load<u32>(t + ((5 * 256 + ((lo >>> 16) & 0xff)) << 2)) ^
      load<u32>(t + ((4 * 256 + (lo >>> 24)) << 2)) ^
      load<u32>(t + ((3 * 256 + (hi & 0xff)) << 2)) ^
      load<u32>(t + ((2 * 256 + ((hi >>> 8) & 0xff)) << 2)) ^
      load<u32>(t + ((1 * 256 + ((hi >>> 16) & 0xff)) << 2)) ^
      load<u32>(t + ((hi >>> 24) << 2));
    p += 8;
  }
  while (p < end) {
    c = load<u32>(t + (((c ^ <u32>load<u8>(p)) & 0xff) << 2)) ^ (c >>> 8);
    p++;
  }
  return c ^ 0xffffffff;
}
