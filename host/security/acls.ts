// --acls for the local authorizer (Mesos's ACLs JSON). This file only reads the flag's text
// (inline JSON or a file); the authorizer's semantics live in authorizer.ts.
import { readFileSync } from "node:fs";

export type AclsJson = Record<string, unknown>;

export class AclsError extends Error {
  override name = "AclsError";
}

/** The ACLs object from inline JSON, file:///path or a plain path. */
export function readAcls(raw: string): AclsJson {
  const trimmed = raw.trim();
  let text = trimmed;
  if (!trimmed.startsWith("{")) {
    const file = trimmed.startsWith("file://") ? trimmed.slice("file://".length) : trimmed;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new AclsError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AclsError(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AclsError("expected a JSON object like {\"permissive\":true,...}");
  return value as AclsJson;
}
