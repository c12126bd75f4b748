// Mesos's content negotiation on the v1 APIs (master and agent): the request's Content-Type
// (400 when missing, 415 when neither JSON nor protobuf) and whether Accept allows JSON. The
// scheduler API reads and writes protobuf too (bodyFormat, answerFormat: JSON whenever Accept
// allows it, as Mesos prefers it; protobuf when only that is allowed; else 406); the operator
// APIs read JSON only so far (contentTypeRefusal). `who` names the process in the refusal.

const JSON_TYPE = "application/json";
const PROTOBUF_TYPE = "application/x-protobuf";

/** null when the Content-Type is JSON; else the refusal (parameters and case are ignored). */
export function contentTypeRefusal(header: string | null, who = "master"): { status: number; message: string } | null {
  if (header === null) return { status: 400, message: "Expecting 'Content-Type' to be present" };
  const type = header.split(";")[0]!.trim().toLowerCase();
  if (type === JSON_TYPE) return null;
  if (type === PROTOBUF_TYPE) return { status: 415, message: `Expecting 'Content-Type' of ${JSON_TYPE}: this ${who} does not read ${PROTOBUF_TYPE}` };
  return { status: 415, message: `Expecting 'Content-Type' of ${JSON_TYPE} or ${PROTOBUF_TYPE}` };
}

export type Format = "json" | "protobuf";

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

/** Whether an Accept header allows application/json: its most specific matching range has q > 0 (no header: yes). */
export function acceptsJson(header: string | null): boolean {
  return accepts(header, JSON_TYPE);
}

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

export const notAcceptable = (who = "master") => `Expecting 'Accept' to allow '${JSON_TYPE}' (this ${who} does not produce '${PROTOBUF_TYPE}')`;
