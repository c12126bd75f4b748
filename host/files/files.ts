// Mesos's files service (src/files/files.cpp): real directories attached under virtual paths,
// browsed and read by path. A path resolves by its longest attached prefix; the rest is joined
// to the attached directory and canonicalised, and must stay inside it (no `..`, no symlink
// out), as Mesos's "chroot" check; unlike Mesos's plain string prefix, `/a/b` does not
// admit `/a/bc`. What is attached is asked for on each call (the agent's sandboxes come and go
// with its tasks), so nothing here goes stale.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";

/** Mesos caps one read at 16 pages. */
export const READ_LENGTH_MAX_BYTES = 16 * 4096;
/** Entries one browse returns at most (a sandbox with more is cut, sorted by path). */
export const BROWSE_ENTRIES_MAX = 10_000;

export interface FileInfo {
  path: string;
  nlink: number;
  size: number;
  mtime_ns: bigint;
  mode: number;
  uid: string;
  gid: string;
}

/** Mesos's FilesError kinds: INVALID answers 400, NOT_FOUND 404. */
export interface FilesError {
  error: "invalid" | "not_found";
  message: string;
}

/** Virtual path (no trailing "/") → real directory or file. */
export type Attachments = () => ReadonlyMap<string, string>;

const notFound = (message = ""): FilesError => ({ error: "not_found", message });
const invalid = (message: string): FilesError => ({ error: "invalid", message });
export const isFilesError = (value: unknown): value is FilesError => typeof value === "object" && value !== null && "error" in value;

export class Files {
  constructor(private readonly attachments: Attachments) {}

  /** The virtual path map, as /files/debug shows it. */
  debug(): Record<string, string> {
    return Object.fromEntries([...this.attachments()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The real path of a virtual one (see the header). */
  resolve(path: string): string | FilesError {
    const attached = this.attachments();
    const tokens = path.replace(/\/+$/, "").split("/");
    for (let cut = tokens.length; cut > 0; cut--) {
      const real = attached.get(tokens.slice(0, cut).join("/"));
      if (real === undefined) continue;
      const suffix = tokens.slice(cut);
      return confined(real, suffix);
    }
    return notFound();
  }

  /** The entries of a directory, sorted by path; a file has none (Mesos's ls of a file fails, and it answers []). */
  browse(path: string): FileInfo[] | FilesError {
    const real = this.resolve(path);
    if (isFilesError(real)) return real;
    const virtual = path.replace(/\/+$/, "");
    let names: string[];
    try {
      names = statSync(real).isDirectory() ? readdirSync(real).sort() : [];
    } catch {
      return notFound();
    }
    const listing: FileInfo[] = [];
    for (const name of names.slice(0, BROWSE_ENTRIES_MAX)) {
      try {
        listing.push(fileInfo(`${virtual}/${name}`, statSync(join(real, name))));
      } catch {
        // gone between readdir and stat, or a dangling symlink: Mesos skips it too
      }
    }
    return listing;
  }

  /** Up to `length` bytes (capped at READ_LENGTH_MAX_BYTES) from `offset`, and the file's size. */
  read(path: string, offset: number, length: number | null): { size: number; data: Buffer } | FilesError {
    const real = this.resolve(path);
    if (isFilesError(real)) return real;
    let fd: number;
    try {
      fd = openSync(real, "r");
    } catch {
      return notFound();
    }
    try {
      const stat = fstatSync(fd);
      if (stat.isDirectory()) return invalid("Cannot read a directory.\n");
      const size = stat.size;
      const wanted = Math.min(length ?? Math.max(0, size - offset), READ_LENGTH_MAX_BYTES);
      if (offset >= size || wanted === 0) return { size, data: Buffer.alloc(0) };
      const data = Buffer.alloc(wanted);
      const read_bytes = readSync(fd, data, 0, wanted, offset);
      return { size, data: data.subarray(0, read_bytes) };
    } finally {
      closeSync(fd);
    }
  }

  /** The real path of a file to download. */
  download(path: string): string | FilesError {
    const real = this.resolve(path);
    if (isFilesError(real)) return real;
    try {
      if (statSync(real).isDirectory()) return invalid("Cannot download a directory.\n");
    } catch {
      return notFound();
    }
    return real;
  }
}

/** `suffix` under the attached `real`, canonical and inside it. */
function confined(real: string, suffix: string[]): string | FilesError {
  let root: string;
  try {
    root = realpathSync(real);
  } catch {
    return notFound();
  }
  if (suffix.length === 0) return root;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    return notFound();
  }
  if (!isDirectory) return notFound(); // a suffix under a file: Mesos answers Not Found
  let resolved: string;
  try {
    resolved = realpathSync(join(root, ...suffix));
  } catch {
    return notFound();
  }
  if (resolved !== root && !resolved.startsWith(`${root}/`)) return invalid(`'${join(root, ...suffix)}' is inaccessible.\n`);
  return resolved;
}

function fileInfo(path: string, s: Stats): FileInfo {
  return { path, nlink: s.nlink, size: s.size, mtime_ns: BigInt(Math.trunc(s.mtimeMs)) * 1_000_000n, mode: s.mode, uid: userName(s.uid), gid: groupName(s.gid) };
}

// ---- user and group names (Mesos's getpwuid/getgrgid), read once ----

let users: Map<number, string> | null = null;
let groups: Map<number, string> | null = null;

function namesOf(file: string): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const [name, , id] = line.split(":");
      if (name && id !== undefined && /^\d+$/.test(id)) names.set(Number(id), name);
    }
  } catch {
    // no such file: numeric ids, as Mesos falls back to
  }
  return names;
}

function userName(uid: number): string {
  users ??= namesOf("/etc/passwd");
  return users.get(uid) ?? String(uid);
}

function groupName(gid: number): string {
  groups ??= namesOf("/etc/group");
  return groups.get(gid) ?? String(gid);
}

/** Mesos's ten-character mode string of a FileInfo (`drwxr-xr-x`). */
export function modeString(mode: number): string {
  const kinds: [number, string][] = [[0o100000, "-"], [0o040000, "d"], [0o020000, "c"], [0o060000, "b"], [0o010000, "p"], [0o120000, "l"], [0o140000, "s"]];
  const kind = kinds.find(([bits]) => (mode & 0o170000) === bits)?.[1] ?? "-";
  const rwx = "rwxrwxrwx";
  let permissions = "";
  for (let i = 0; i < 9; i++) permissions += mode & (1 << (8 - i)) ? rwx[i] : "-";
  return kind + permissions;
}

/** The /files/browse JSON model of a FileInfo (mtime in seconds, mode as a string). */
export function fileInfoJson(f: FileInfo): Record<string, unknown> {
  return { path: f.path, nlink: f.nlink, size: f.size, mtime: Number(f.mtime_ns / 1_000_000_000n), mode: modeString(f.mode), uid: f.uid, gid: f.gid };
}

/** The v1 FileInfo (LIST_FILES): mtime as TimeInfo, mode as its number. */
export function fileInfoV1(f: FileInfo): Record<string, unknown> {
  return { path: f.path, nlink: f.nlink, size: f.size, mtime: { nanoseconds: Number(f.mtime_ns) }, mode: f.mode, uid: f.uid, gid: f.gid };
}
