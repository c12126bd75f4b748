// RecordIO (mesos-spec §6.5, stout/recordio.hpp): a stream of records, each the ASCII decimal
// length in bytes of its data (never 0), "\n", then the data (one JSON or protobuf event). Record
// boundaries are independent of HTTP chunk boundaries; the decoder reassembles them.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;
/** Digits of a length prefix a decoder reads before it gives up (uint64 has at most 20). */
const LENGTH_DIGITS_MAX = 20;

/** One record: `<byte length>\n<data>`. */
export function encodeRecord(data: string | Uint8Array): Uint8Array {
  const body = typeof data === "string" ? encoder.encode(data) : data;
  const head = encoder.encode(`${body.length}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Reassembles records from arbitrary byte chunks; throws on a malformed length or a record beyond `record_bytes_max`. */
export class RecordIODecoder {
  private buffer = new Uint8Array(0);

  constructor(private readonly record_bytes_max = 64 << 20) {}

  /** The records completed by this chunk, as text. */
  decode(chunk: Uint8Array): string[] {
    return this.decodeBytes(chunk).map((record) => decoder.decode(record));
  }

  /** The records completed by `chunk`, as bytes (protobuf records are not text). */
  decodeBytes(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer, 0);
    joined.set(chunk, this.buffer.length);
    const records: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const newline = joined.indexOf(NEWLINE, at);
      if (newline < 0) {
        if (joined.length - at > LENGTH_DIGITS_MAX) throw new Error("RecordIO length prefix is too long");
        break;
      }
      const digits = decoder.decode(joined.subarray(at, newline));
      if (!/^[0-9]{1,20}$/.test(digits)) throw new Error(`RecordIO length prefix '${digits}' is not a number`);
      const length = Number(digits);
      if (length === 0 || length > this.record_bytes_max) throw new Error(`RecordIO record length ${length} is out of bounds`);
      if (joined.length < newline + 1 + length) break;
      records.push(joined.slice(newline + 1, newline + 1 + length));
      at = newline + 1 + length;
    }
    this.buffer = joined.slice(at);
    return records;
  }

  /** Bytes held of an incomplete record. */
  pending(): number {
    return this.buffer.length;
  }
}
