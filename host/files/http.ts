// The /files/* endpoints of Mesos (files.cpp), on the agent and the master: browse, read,
// download and debug, with Mesos's query parameters, answers and error texts, and jsonp=.
import { basename, extname } from "node:path";
import { json, text } from "../../http/respond.ts";
import { fileInfoJson, type Files, type FilesError, isFilesError } from "./files.ts";

export const FILES_OPERATIONS = ["browse", "read", "download", "debug"] as const;
export type FilesOperation = (typeof FILES_OPERATIONS)[number];

/** A few of Mesos's mime types for downloads; anything else is application/octet-stream. */
export const MIME_TYPES: Record<string, string> = {
  ".txt": "text/plain", ".log": "text/plain", ".json": "application/json", ".html": "text/html", ".htm": "text/html",
  ".css": "text/css", ".js": "application/javascript", ".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif",
  ".svg": "image/svg+xml", ".ico": "image/x-icon", ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".eot": "application/vnd.ms-fontobject", ".map": "application/json", ".pdf": "application/pdf", ".gz": "application/x-gzip", ".tar": "application/x-tar", ".zip": "application/zip",
};

export function filesResponse(operation: FilesOperation, request: Request, files: Files): Response {
  const query = new URL(request.url).searchParams;
  if (operation === "debug") return json(files.debug(), request);
  const path = query.get("path");
  if (path === null || path === "") return text("Expecting 'path=value' in query.\n", 400);
  if (operation === "browse") {
    const listing = files.browse(path);
    return isFilesError(listing) ? errorResponse(listing) : json(listing.map(fileInfoJson), request);
  }
  if (operation === "download") {
    const real = files.download(path);
    if (isFilesError(real)) return errorResponse(real);
    return new Response(Bun.file(real), {
      headers: { "content-type": MIME_TYPES[extname(real).toLowerCase()] ?? "application/octet-stream", "content-disposition": `attachment; filename=${basename(real)}` },
    });
  }
  return readResponse(request, path, query, files);
}

function readResponse(request: Request, path: string, query: URLSearchParams, files: Files): Response {
  const offset = integerParameter(query, "offset");
  if (typeof offset === "string") return text(offset, 400);
  const length = integerParameter(query, "length");
  if (typeof length === "string") return text(length, 400);
  // The web UI's pailer sends offset=-1 (or none) first to learn the size: a read of nothing.
  const sizing = offset === null || offset === -1;
  const result = files.read(path, sizing ? 0 : offset, sizing ? 0 : length === null || length === -1 ? null : length);
  if (isFilesError(result)) return errorResponse(result);
  return json({ data: result.data.toString("utf8"), offset: sizing ? result.size : offset }, request);
}

/** An integer >= -1, null when absent, or Mesos's 400 text. */
function integerParameter(query: URLSearchParams, name: "offset" | "length"): number | null | string {
  const raw = query.get(name);
  if (raw === null) return null;
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) return `Failed to parse ${name}: Failed to convert '${raw}' to number.\n`;
  const value = Number(raw);
  if (value < -1) return `Negative ${name} provided: ${value}.\n`;
  return value;
}

function errorResponse(error: FilesError): Response {
  return error.error === "invalid" ? text(error.message, 400) : new Response(error.message, { status: 404 });
}
