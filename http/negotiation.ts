// Mesos's content negotiation on the v1 APIs (scheduler, and the master's and agent's operator
// APIs): the request's Content-Type gives the body's format (400 when missing, 415 when neither
// JSON nor protobuf); Accept gives the answer's (JSON whenever it allows it, as Mesos prefers it;
// protobuf when only that is allowed; else 406). readCallBody reads a call in either format as
// one JSON object, so each API has one parser and one call type.
import { decodeToJson, encodeFromJson, type Format, type MessageName, PROTOBUF_CONTENT_TYPE } from "../host/codec/protobuf.ts";

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = PROTOBUF_CONTENT_TYPE;

export type { Format };

/** The format of a scheduler call body, or the refusal (400 missing, 415 other types). */
export function bodyFormat(header: string | null): Format | { status: number; message: string } {
  if (header === null) return { status: 400, message: "Expecting 'Content-Type' to be present" };
  const type = header.split(";")[0]!.trim().toLowerCase();
  if (type === JSON_TYPE) return "json";
  if (type === PROTOBUF_TYPE) return "protobuf";
  return { status: 415, message: `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}` };
}

/** The answer's format for an Accept header (Mesos's order: JSON first), or null for a 406. */
export function answerFormat(header: string | null): Format | null {
  if (accepts(header, JSON_TYPE)) return "json";
  if (accepts(header, PROTOBUF_TYPE)) return "protobuf";
  return null;
}

export const NOT_ACCEPTABLE_EITHER = `Expecting 'Accept' to allow '${PROTOBUF_TYPE}' or '${JSON_TYPE}'`;

function accepts(header: string | null, type: string): boolean {
  if (header === null || header.trim() === "") return true;
  let best = { specificity: 0, q: 0 };
  for (const range of header.split(",")) {
    const [media = "", ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    const specificity = media === type ? 3 : media === "application/*" ? 2 : media === "*/*" ? 1 : 0;
    if (specificity <= best.specificity) continue;
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    best = { specificity, q: Number.isFinite(q) ? q : 0 };
  }
  return best.q > 0;
}

export type Refusal = { status: number; message: string };

export interface CallBodyOptions {
  /** The protobuf message a protobuf body holds. */
  message: MessageName;
  bytes_max: number;
  /** The JSON parser of this API (its error texts and number handling). */
  parseJson: (text: string) => { value: unknown } | { error: string };
  /** 64-bit integers of a protobuf body as exact decimal strings. */
  exact?: boolean;
}

/**
 * A v1 call's body as one JSON object, whichever its Content-Type: JSON parsed, protobuf
 * decoded (Mesos's 400 texts); or the refusal (Content-Type, size, parse). `bytes` is read only
 * once the Content-Type passes.
 */
export async function readCallBody(headers: Headers, bytes: () => Promise<Uint8Array>, options: CallBodyOptions): Promise<{ value: unknown; format: Format } | Refusal> {
  const format = bodyFormat(headers.get("content-type"));
  if (typeof format !== "string") return format;
  const tooLarge = { status: 400, message: `Request body is larger than ${options.bytes_max} bytes` };
  if (Number(headers.get("content-length") ?? "0") > options.bytes_max) return tooLarge;
  const body = await bytes();
  if (body.length > options.bytes_max) return tooLarge;
  if (format === "json") {
    const json = options.parseJson(new TextDecoder().decode(body));
    return "error" in json ? { status: 400, message: `Failed to parse body into JSON: ${json.error}` } : { value: json.value, format };
  }
  const decoded = decodeToJson(options.message, body, options.exact ?? false);
  return "error" in decoded ? { status: 400, message: "Failed to parse body into Call protobuf" } : { value: decoded.value, format };
}

/** A 200 answer of `message`'s protobuf bytes for its JSON object (a JSON answer is respond.ts's json()). */
export function protobufAnswer(json: unknown, message: MessageName): Response {
  return new Response(encodeFromJson(message, json), { status: 200, headers: { "content-type": PROTOBUF_CONTENT_TYPE } });
}
