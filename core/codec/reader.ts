// A bounds-checked little-endian reader over bytes that came from outside the core (peer
// messages, restored records). A short or malformed input never aborts: it sets `failed`
// and every later read returns zero, and the caller drops the input with an error code.
export class Reader {
  ptr: usize;
  end: usize;
  failed: bool = false;

  constructor(ptr: usize, len: i32) {
    assert(len >= 0, "Reader: negative length");
    this.ptr = ptr;
    this.end = ptr + <usize>len;
  }

  @inline remaining(): i32 {
    return <i32>(this.end - this.ptr);
  }

  @inline private take(n: i32): usize {
    if (this.failed || n < 0 || <usize>n > this.end - this.ptr) {
      this.failed = true;
      return 0;
    }
    const at = this.ptr;
    this.ptr += <usize>n;
    return at;
  }

  u8(): u8 {
    const at = this.take(1);
    return at == 0 ? 0 : load<u8>(at);
  }

  u32(): u32 {
    const at = this.take(4);
    return at == 0 ? 0 : load<u32>(at);
  }

  u64(): u64 {
    const at = this.take(8);
    return at == 0 ? 0 : load<u64>(at);
  }

  /**
   * Copies n bytes out into a fresh array (the input region is reused by the next step). A
   * StaticArray is one allocation (a Uint8Array is two: the view and its buffer): this is
   * every payload the log receives.
   */
  bytes(n: i32): StaticArray<u8> {
    const at = this.take(n);
    if (at == 0) return new StaticArray<u8>(0);
    const out = new StaticArray<u8>(n);
    memory.copy(changetype<usize>(out), at, <usize>n);
    return out;
  }

  /** Skips n bytes, returning where they start (0 on failure). */
  skip(n: i32): usize {
    return this.take(n);
  }
}
