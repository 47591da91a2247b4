import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import type { Compression } from "../registry/media-types.js";

/**
 * One streaming pass over a layer (gunzip → tar headers; file bodies are skipped, never held): its
 * uncompressed size, entries whose parent directories did not come first in the layer, and entries whose
 * mode a non-root user cannot read. The report is a pure function of the layer's bytes (and the roots
 * checked), so it can be cached by digest.
 */

export const SCAN_VERSION = 1;
const LISTED = 50;

export interface LayerScan {
  version: number;
  digest: string;
  /** Bytes of the uncompressed tar read (a lower bound when `complete` is false). */
  uncompressedBytes: number;
  entries: number;
  complete: boolean;
  /** An entry whose declared size alone passes the limit: the scan stopped there. */
  oversized?: { path: string; size: number };
  /** Unique missing parents, each with the first entry that needed it (first 50). */
  missingParents: { parent: string; path: string }[];
  missingParentCount: number;
  /** Files and directories under `roots` that others cannot read (first 50). */
  unreadable: { path: string; mode: number; type: "file" | "directory" }[];
  unreadableCount: number;
  /** Why the layer could not be read as a tar, if it could not. */
  error?: string;
}

export interface ScanOptions {
  digest: string;
  compression: Compression;
  /** Paths (no leading slash) under which every file must be readable by others. */
  roots: readonly string[];
  /** Stop once the layer's declared tar size passes this many bytes. */
  limitBytes: number;
}

/** "./a/b/" → "a/b"; "/x" → "x". */
export function normalizeEntry(path: string): string {
  return path.replace(/^(?:\.\/|\/)+/, "").replace(/\/+$/, "").replace(/^\.$/, "");
}

function under(path: string, root: string): boolean {
  return root === "" || path === root || path.startsWith(`${root}/`);
}

function decompressor(compression: Compression): Transform | undefined {
  if (compression === "gzip") return zlib.createGunzip();
  if (compression === "zstd") {
    const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    return make ? make() : undefined;
  }
  return new Transform({ transform: (c, _e, cb) => cb(null, c) });
}

class Stop extends Error {}

export async function scanLayer(body: Readable, opts: ScanOptions): Promise<LayerScan> {
  const scan: LayerScan = {
    version: SCAN_VERSION,
    digest: opts.digest,
    uncompressedBytes: 0,
    entries: 0,
    complete: false,
    missingParents: [],
    missingParentCount: 0,
    unreadable: [],
    unreadableCount: 0,
  };
  const inflate = decompressor(opts.compression);
  if (!inflate) {
    body.destroy();
    scan.error = "zstd layers cannot be read by this Node.js (no zstd in node:zlib); upgrade to Node 22.15+";
    return scan;
  }
  const dirs = new Set<string>();
  const missing = new Set<string>();
  let declared = 0;
  let warned: string | undefined;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      scan.uncompressedBytes += chunk.length;
      cb(null, chunk);
    },
  });
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      entry.resume();
      const path = normalizeEntry(entry.path);
      declared += 512 + Math.ceil((entry.size ?? 0) / 512) * 512;
      if (declared > opts.limitBytes) {
        scan.oversized = { path, size: entry.size ?? 0 };
        parser.abort(new Stop("over the limit"));
        return;
      }
      if (path === "") return;
      scan.entries += 1;
      const parts = path.split("/");
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        if (dirs.has(parent)) continue;
        scan.missingParentCount += 1;
        if (!missing.has(parent)) {
          missing.add(parent);
          if (scan.missingParents.length < LISTED) scan.missingParents.push({ parent, path });
        }
        break;
      }
      const type = entry.type;
      if (type === "Directory" || type === "SymbolicLink") dirs.add(path);
      const isDir = type === "Directory";
      const isFile = type === "File" || type === "OldFile" || type === "ContiguousFile" || type === "Link";
      if ((isDir || isFile) && opts.roots.some((r) => under(path, r))) {
        const mode = (entry.mode ?? 0) & 0o7777;
        const need = isDir ? 0o005 : 0o004;
        if ((mode & need) !== need) {
          scan.unreadableCount += 1;
          if (scan.unreadable.length < LISTED) scan.unreadable.push({ path, mode, type: isDir ? "directory" : "file" });
        }
      }
    },
  });
  parser.on("warn", (code: string, message: string | Error) => {
    if (code === "TAR_BAD_ARCHIVE" || code === "TAR_ENTRY_INVALID" || code === "TAR_ABORT") {
      warned ??= typeof message === "string" ? message : message.message;
    }
  });
  try {
    await pipeline(body, inflate, counter, parser as unknown as NodeJS.WritableStream);
    scan.complete = scan.oversized === undefined && warned === undefined;
  } catch (err) {
    if (scan.oversized) return scan;
    if (!(err instanceof Stop)) {
      // A source error (network, digest) is not a property of the layer: the caller reports it.
      if ((err as { code?: string }).code?.startsWith("Z_") || /incorrect header|unexpected end/i.test(String(err))) {
        scan.error = `not a valid ${opts.compression === "none" ? "tar" : `${opts.compression} stream`}: ${(err as Error).message}`;
        return scan;
      }
      throw err;
    }
  }
  if (warned && !scan.oversized) scan.error ??= `not a valid tar: ${warned}`;
  return scan;
}
