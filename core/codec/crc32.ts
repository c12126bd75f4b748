// CRC-32C (Castagnoli), table-driven, for the checksum that ends every record and message.
// The TS mirror (host/codec/crc32.ts) must compute the same value; golden vectors pin it.

const table = new StaticArray<u32>(256);
let table_ready = false;

function build_table(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = (c & 1) != 0 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    }
    unchecked((table[n] = c));
  }
  table_ready = true;
}

/** CRC-32C of len bytes at ptr. */
export function crc32c(ptr: usize, len: i32): u32 {
  assert(len >= 0, "crc32c: negative length");
  if (!table_ready) build_table();
  let c: u32 = 0xffffffff;
  for (let i = 0; i < len; i++) {
    const b = <u32>load<u8>(ptr + <usize>i);
    c = unchecked(table[(c ^ b) & 0xff]) ^ (c >>> 8);
  }
  return c ^ 0xffffffff;
}
