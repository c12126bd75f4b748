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
  return crc32c_update(0xffffffff, ptr, len) ^ 0xffffffff;
}

/**
 * The CRC register after len more bytes at ptr (no pre- or post-inversion): crc32c(data) is
 * crc32c_update(0xffffffff, data) ^ 0xffffffff. Linear over GF(2): the register after A ‖ B
 * is shift(register after A, |B|) ^ crc32c_update(0, B), which lets one pass over a batch
 * both check the frame and yield each entry's own checksum term (messages.ts, records.ts).
 */
export function crc32c_update(state: u32, ptr: usize, len: i32): u32 {
  assert(len >= 0, "crc32c: negative length");
  if (!tables_ready) build_tables();
  const t = changetype<usize>(tables);
  let c = state;
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
  return c;
}

// ---- Shifting a register over n zero bytes (combining checksums) ---------------------------
// shift(s, n) is multiplication by x^(8n) mod P: linear in s, so four tables of 256 entries
// per n make it four lookups. Tables are cached per length in SHIFT_SLOTS slots (slot =
// n mod SHIFT_SLOTS) and built only for a length asked for SHIFT_BUILD_AFTER times (a batch
// of equal-sized entries), so odd sizes never pay for a table: callers then run the bytes.

const POLY: u32 = 0x82f63b78;
const SHIFT_SLOTS: i32 = 16;
const SHIFT_BUILD_AFTER: i32 = 8;
/** Longest span a table is built for (longer entries take the plain path). */
export const CRC_SHIFT_MAX_BYTES: i32 = 1 << 16;
const shift_tables = new StaticArray<u32>(SHIFT_SLOTS * 1024);
const shift_len = new StaticArray<i32>(SHIFT_SLOTS);
const shift_want = new StaticArray<i32>(SHIFT_SLOTS);
const shift_asks = new StaticArray<i32>(SHIFT_SLOTS);
let shift_init = false;

/** The register after n zero bytes from `s`, byte by byte (the reference for the tables). */
function shift_slow(s: u32, n: i32): u32 {
  if (!tables_ready) build_tables();
  const t = changetype<usize>(tables);
  let c = s;
  for (let i = 0; i < n; i++) c = load<u32>(t + ((c & 0xff) << 2)) ^ (c >>> 8);
  return c;
}

function build_shift(slot: i32, n: i32): void {
  // basis[i] = x^i · x^(8n): bit 31 - i of a register stands for x^i.
  const basis = new StaticArray<u32>(32);
  let b = shift_slow(0x80000000, n);
  for (let i = 0; i < 32; i++) {
    unchecked((basis[i] = b));
    b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  const base = slot * 1024;
  for (let k = 0; k < 4; k++) {
    unchecked((shift_tables[base + k * 256] = 0));
    for (let v = 1; v < 256; v++) {
      const low = ctz<i32>(v);
      unchecked((shift_tables[base + k * 256 + v] = shift_tables[base + k * 256 + (v & (v - 1))] ^ basis[31 - (8 * k + low)]));
    }
  }
  unchecked((shift_len[slot] = n));
  assert(crc32c_shift(0x12345678, n) == shift_slow(0x12345678, n), "crc32c: shift table wrong");
  assert(crc32c_shift(0xfedcba98, n) == shift_slow(0xfedcba98, n), "crc32c: shift table wrong");
}

/** True when crc32c_shift may be used for n bytes (building its table when n recurs). */
export function crc32c_shift_ready(n: i32): bool {
  if (n <= 0 || n > CRC_SHIFT_MAX_BYTES) return false;
  if (!shift_init) {
    for (let i = 0; i < SHIFT_SLOTS; i++) unchecked((shift_len[i] = -1));
    shift_init = true;
  }
  const slot = n & (SHIFT_SLOTS - 1);
  if (unchecked(shift_len[slot]) == n) return true;
  if (unchecked(shift_want[slot]) != n) {
    unchecked((shift_want[slot] = n));
    unchecked((shift_asks[slot] = 1));
    return false;
  }
  const asks = unchecked(shift_asks[slot]) + 1;
  unchecked((shift_asks[slot] = asks));
  if (asks < SHIFT_BUILD_AFTER) return false;
  build_shift(slot, n);
  return true;
}

/** The register `s` shifted over n zero bytes; crc32c_shift_ready(n) must have said true. */
export function crc32c_shift(s: u32, n: i32): u32 {
  const slot = n & (SHIFT_SLOTS - 1);
  assert(unchecked(shift_len[slot]) == n, "crc32c_shift: no table for this length");
  const t = changetype<usize>(shift_tables) + (<usize>(slot * 1024) << 2);
  return load<u32>(t + ((s & 0xff) << 2)) ^
    load<u32>(t + ((256 + ((s >>> 8) & 0xff)) << 2)) ^
    load<u32>(t + ((512 + ((s >>> 16) & 0xff)) << 2)) ^
    load<u32>(t + ((768 + (s >>> 24)) << 2));
}
