// Files that hold secrets (--log_secret_file, --credentials, --credential, --http_credentials):
// read once at start, never echoed. Errors name the file and what was wrong with it, never its
// content; a file that its group or others may read gets a warning, as ssh does for keys.
import { readFileSync, statSync } from "node:fs";

/** Shortest log secret accepted: 16 bytes is 128 bits, the HMAC's security floor. */
export const LOG_SECRET_BYTES_MIN = 16;
/** Largest secret file read (a credentials file for thousands of principals fits). */
const SECRET_FILE_BYTES_MAX = 1 << 20;

export class SecretFileError extends Error {
  override name = "SecretFileError";
}

/** The file's text (trailing newlines trimmed), and a warning when its mode lets others read it. */
export function readSecretFile(path: string): { text: string; warning: string | null } {
  const file = path.startsWith("file://") ? path.slice("file://".length) : path;
  let mode: number;
  let size: number;
  try {
    ({ mode, size } = statSync(file));
  } catch (error) {
    throw new SecretFileError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (size > SECRET_FILE_BYTES_MAX) throw new SecretFileError(`${file} is ${size} bytes, more than ${SECRET_FILE_BYTES_MAX}`);
  let text: string;
  try {
    text = readFileSync(file, "utf8").replace(/[\r\n]+$/, "");
  } catch (error) {
    throw new SecretFileError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (text.trim() === "") throw new SecretFileError(`${file} is empty`);
  const warning = (mode & 0o077) !== 0
    ? `${file} holds a secret but is readable by its group or others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`
    : null;
  return { text, warning };
}

/** The replicated log's shared secret: the file's bytes, at least LOG_SECRET_BYTES_MIN of them. */
export function readLogSecret(path: string): { secret: Uint8Array; warning: string | null } {
  const { text, warning } = readSecretFile(path);
  const secret = new TextEncoder().encode(text.trim());
  if (secret.length < LOG_SECRET_BYTES_MIN) {
    throw new SecretFileError(`${path} holds ${secret.length} bytes; a log secret needs at least ${LOG_SECRET_BYTES_MIN} (e.g. openssl rand -hex 32)`);
  }
  return { secret, warning };
}

export interface Credential {
  principal: string;
  secret: string;
}

/**
 * Mesos's credentials formats: JSON `{"credentials":[{"principal":"p","secret":"s"}]}` or
 * text, one `principal secret` per line. Principals are unique.
 */
export function parseCredentials(text: string, file: string): Credential[] {
  const trimmed = text.trim();
  let list: unknown;
  if (trimmed.startsWith("{")) {
    try {
      list = (JSON.parse(trimmed) as { credentials?: unknown }).credentials;
    } catch {
      throw new SecretFileError(`${file} is not valid JSON (expected {"credentials":[{"principal":"…","secret":"…"}]})`);
    }
  } else {
    list = trimmed.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).map((line, i) => {
      const parts = line.trim().split(/\s+/);
      if (parts.length !== 2) throw new SecretFileError(`${file} line ${i + 1}: expected 'principal secret'`);
      return { principal: parts[0], secret: parts[1] };
    });
  }
  if (!Array.isArray(list) || list.length === 0) throw new SecretFileError(`${file} holds no credentials (expected {"credentials":[{"principal":"…","secret":"…"}]})`);
  const seen = new Set<string>();
  return list.map((c, i) => {
    const entry = c as Partial<Credential>;
    if (typeof entry?.principal !== "string" || entry.principal === "" || typeof entry.secret !== "string" || entry.secret === "") {
      throw new SecretFileError(`${file} credential ${i + 1}: expected a non-empty principal and secret`);
    }
    if (seen.has(entry.principal)) throw new SecretFileError(`${file}: principal '${entry.principal}' is listed twice`);
    seen.add(entry.principal);
    return { principal: entry.principal, secret: entry.secret };
  });
}

/** One credential (the agent's --credential, a framework's): JSON `{"principal","secret"}` or `principal secret`. */
export function parseCredential(text: string, file: string): Credential {
  const trimmed = text.trim();
  const wrapped = trimmed.startsWith("{") && !trimmed.includes('"credentials"') ? `{"credentials":[${trimmed}]}` : trimmed;
  const list = parseCredentials(wrapped, file);
  if (list.length !== 1) throw new SecretFileError(`${file} holds ${list.length} credentials; expected one`);
  return list[0]!;
}
