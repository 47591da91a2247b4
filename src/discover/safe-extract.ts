import { createHash, type Hash } from "node:crypto";
import { closeSync, linkSync, mkdirSync, openSync, symlinkSync, writeSync } from "node:fs";
import { close, ftruncate, write } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { InterruptedError } from "../errors.js";
import { digestEntries, normalisedMode, type TreeEntry } from "../lock/tree-digest.js";
import { isCarriableName, unsupportedName } from "../util/names.js";
import { safeRelative, symlinkStaysInside } from "../util/tree-paths.js";
import type { ExportFilter, ExportStats } from "./runner.js";
import { isZeroRun } from "./sparse.js";
import { readTar, type TarBodySink, type TarHeader, TarStreamReader } from "./tar-reader.js";

/**
 * An archive: a stream, or a feed that calls `onChunk` with pieces valid only during the call (a reused socket
 * read buffer: see docker/archive-socket.ts) and waits when it returns a promise.
 */
export type ArchiveSource =
  | (NodeJS.ReadableStream & { destroy?: (error?: Error) => void })
  | ((onChunk: (chunk: Buffer) => Promise<void> | undefined) => Promise<void>);

async function readArchive(archive: ArchiveSource, onEntry: (h: TarHeader) => TarBodySink | undefined) {
  if (typeof archive !== "function") return readTar(archive, onEntry);
  const reader = new TarStreamReader(onEntry);
  await archive((chunk) => (reader.ended ? undefined : reader.push(chunk)));
  reader.finish();
}

const writeAsync = promisify(write);
const closeAsync = promisify(close);
const ftruncateAsync = promisify(ftruncate);

export interface ExtractOptions {
  /** Decides per relative path what is staged. */
  filter: ExportFilter;
  /** The exported directory as the user knows it (e.g. `/root/.cache/huggingface`), for error messages. */
  source: string;
  /** Where the archive comes from, for error messages ("the container"). */
  origin: string;
  /** Called as body bytes arrive (for byte progress). */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Files up to this size are written with one synchronous write (no round trip through the thread pool). */
const SMALL_FILE = 64 * 1024;
/** Socket chunks (≤ 1 MiB) are gathered into writes of this size, one write in flight per file. */
const BATCH_BYTES = 4 * 1024 * 1024;
/** Body bytes accepted but not yet written; past this the archive stream waits. */
const MAX_BUFFERED = 32 * 1024 * 1024;

/**
 * Extracts a `docker cp`-style archive (its first path component is the exported directory's name) into `dest`,
 * treating the archive as hostile: no absolute or `..` paths, nothing written through a symlink, symlinks kept
 * only when they stay inside the tree, hard links only to files already extracted, no devices or FIFOs, and
 * names that are not UTF-8 refused (E_UNSUPPORTED_NAME) unless the filter drops them anyway.
 *
 * It is also the staging hot path, at `docker cp` speed: each file is hashed as it streams through, so the lock
 * digest (`tree`) comes out of the extraction instead of a second read of the tree; socket chunks are gathered
 * into large writes on the thread pool while the main thread parses and hashes; and runs of zeros are left as
 * holes (the Engine's archive expands sparse files, so a 10 GiB file of 0 allocated bytes would otherwise be
 * written out in full).
 */
export async function extractTree(archive: ArchiveSource, dest: string, opts: ExtractOptions): Promise<ExportStats> {
  const stats: ExportStats = { files: 0, bytes: 0, skipped: [] };
  const entries: TreeEntry[] = [];
  const dirs = new Set<string>([""]);
  const files = new Map<string, TreeEntry>();
  const others = new Set<string>();
  const pool = new WritePool(opts.signal);
  await mkdir(dest, { recursive: true });

  const skip = (path: string, reason: string, unsafe = true): undefined => {
    stats.skipped.push({ path, reason, unsafe });
    return undefined;
  };

  const onEntry = (header: TarHeader): TarBodySink | undefined => {
    pool.check();
    const rawRel = stripFirst(header.name);
    const lossy = rawRel.toString("utf8");
    const rel = safeRelative(lossy);
    if (rel === undefined) return skip(header.name.toString("utf8"), "path escapes the exported directory");
    if (rel === "") return undefined;
    const reason = opts.filter(rel);
    if (reason) return skip(rel, reason, false);
    if (!isCarriableName(rawRel)) throw unsupportedName(joinRaw(opts.source, rawRel), opts.origin);
    const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    if (!dirs.has(parent)) return skip(rel, "parent is not a directory in the archive");
    if (dirs.has(rel) || files.has(rel) || others.has(rel)) return skip(rel, "duplicate entry in the archive");
    const target = join(dest, rel);
    // Synchronous creation keeps entries in archive order: a later hard link or child always finds its target.
    switch (header.type) {
      case "5":
        dirs.add(rel);
        mkdirSync(target, { mode: 0o755 });
        entries.push({ path: rel, type: "dir", mode: 0o755, size: 0, content: "" });
        return undefined;
      case "0":
      case "7": {
        const mode = normalisedMode("file", header.mode);
        const entry: TreeEntry = { path: rel, type: "file", mode, size: header.size, content: "" };
        files.set(rel, entry);
        entries.push(entry);
        stats.files += 1;
        stats.bytes += header.size;
        // Opened with the normalised mode, so what lands on disk is what the digest says, whatever the umask.
        const fd = openSync(target, "wx", mode);
        return new FileSink(fd, header.size, entry, pool, opts.onBytes);
      }
      case "2": {
        if (!isCarriableName(header.linkname))
          throw unsupportedName(joinRaw(opts.source, rawRel), `${opts.origin} (its symlink target)`);
        const to = header.linkname.toString("utf8");
        if (!symlinkStaysInside(rel, to)) return skip(rel, `symlink to ${to} leaves the asset`);
        stats.files += 1;
        others.add(rel);
        symlinkSync(to, target);
        entries.push({ path: rel, type: "symlink", mode: 0o777, size: 0, content: to });
        return undefined;
      }
      case "1": {
        const from = safeRelative(stripFirst(header.linkname).toString("utf8"));
        const first = from === undefined ? undefined : files.get(from);
        if (from === undefined || first === undefined) return skip(rel, "hard link to a file outside the asset");
        stats.files += 1;
        others.add(rel);
        linkSync(join(dest, from), target);
        // The link's body came before it in the archive, so its hash is final: the link reads the same bytes.
        entries.push({ ...first, path: rel });
        return undefined;
      }
      default:
        return skip(rel, `${TYPE_NAMES[header.type] ?? `type ${header.type}`} entries are not packaged`);
    }
  };

  const abort = () => (typeof archive === "function" ? undefined : archive.destroy?.(new InterruptedError()));
  opts.signal?.addEventListener("abort", abort, { once: true });
  try {
    await readArchive(archive, onEntry);
    await pool.drain();
    pool.check();
  } catch (error) {
    // Never leave a write in flight or a descriptor open behind a failure: the caller removes `dest` next.
    pool.fail(error);
    await pool.drain();
    throw pool.failure;
  } finally {
    opts.signal?.removeEventListener("abort", abort);
  }
  return { ...stats, tree: digestEntries(entries) };
}

const TYPE_NAMES: Record<string, string> = { "3": "character device", "4": "block device", "6": "FIFO" };

/** `hub/blobs/x` → `blobs/x`: the archive's first component is the exported directory itself. */
function stripFirst(name: Buffer): Buffer {
  const slash = name.indexOf(0x2f);
  return slash < 0 ? Buffer.alloc(0) : name.subarray(slash + 1);
}

function joinRaw(dir: string, rel: Buffer): Buffer {
  return Buffer.concat([Buffer.from(dir.endsWith("/") ? dir : `${dir}/`), rel]);
}

/**
 * The writes of one extraction: how many body bytes wait to be written (the archive waits past MAX_BUFFERED),
 * every file still open (closed on failure), and the first failure. Promises handed to the tar reader never
 * reject: a failed write is recorded here and the next entry or chunk throws it, so no rejection goes unhandled.
 */
class WritePool {
  failure: unknown;
  private buffered = 0;
  private waiters: (() => void)[] = [];
  private readonly open = new Set<FileSink>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly signal: AbortSignal | undefined) {}

  check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.signal?.aborted) throw new InterruptedError();
  }

  fail(error: unknown): void {
    this.failure ??= error;
    for (const sink of this.open) sink.abandon();
    this.release(0);
  }

  opened(sink: FileSink): void {
    this.open.add(sink);
  }

  closed(sink: FileSink): void {
    this.open.delete(sink);
  }

  /** Runs a file's write loop; its failure becomes the pool's. */
  run(work: Promise<void>): void {
    const tracked: Promise<void> = work.then(
      () => undefined,
      (error: unknown) => this.fail(error),
    );
    const done = tracked.finally(() => this.running.delete(done));
    this.running.add(done);
  }

  hold(bytes: number): void {
    this.buffered += bytes;
  }

  private readonly free: Buffer[] = [];

  /** A segment buffer: recycled, so a GiB of body allocates a handful of them, not one per socket read. */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
  }

  /** A segment is written (or dropped): its bytes no longer count, its buffer goes back. */
  give(segment: Segment): void {
    if (this.free.length < MAX_BUFFERED / BATCH_BYTES) this.free.push(segment.buf);
    this.release(segment.len);
  }

  release(bytes: number): void {
    this.buffered -= bytes;
    if (this.buffered <= MAX_BUFFERED / 2 || this.failure !== undefined) {
      for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** A promise (never rejecting) when the archive should wait for writes to catch up. */
  pressure(): Promise<void> | undefined {
    if (this.buffered <= MAX_BUFFERED || this.failure !== undefined) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}

interface Segment {
  start: number;
  buf: Buffer;
  len: number;
}

/**
 * One file's body: hashed on the main thread as it arrives and copied (sources may reuse their buffers) into
 * recycled BATCH_BYTES segments, written with one write in flight (several positional writes on one inode
 * contend for its lock); zero runs are skipped as holes. Small files are gathered whole and written at once.
 */
class FileSink implements TarBodySink {
  private readonly hash: Hash = createHash("sha256");
  private pos = 0;
  private small: Buffer | undefined;
  private current: Segment | undefined;
  private readonly queue: Segment[] = [];
  private pumping = false;
  private ended = false;
  private abandoned = false;
  private closed = false;
  private holes = false;

  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly entry: TreeEntry,
    private readonly pool: WritePool,
    private readonly onBytes: ((bytes: number) => void) | undefined,
  ) {
    pool.opened(this);
  }

  data(chunk: Buffer): Promise<void> | undefined {
    this.pool.check();
    this.hash.update(chunk);
    this.onBytes?.(chunk.length);
    if (this.size <= SMALL_FILE) {
      this.small ??= Buffer.allocUnsafe(this.size);
      this.pos += chunk.copy(this.small, this.pos);
      return undefined;
    }
    if (isZeroRun(chunk)) {
      this.cut();
      this.pos += chunk.length;
      this.holes = true;
      return undefined;
    }
    let off = 0;
    while (off < chunk.length) {
      this.current ??= { start: this.pos, buf: this.pool.take(), len: 0 };
      const n = chunk.copy(this.current.buf, this.current.len, off);
      this.current.len += n;
      off += n;
      this.pos += n;
      this.pool.hold(n);
      if (this.current.len === this.current.buf.length) this.cut();
    }
    return this.pool.pressure();
  }

  end(): void {
    this.entry.content = this.hash.digest("hex");
    this.ended = true;
    if (this.size <= SMALL_FILE) {
      // Small files: one synchronous write and close, cheaper than two trips through the thread pool.
      try {
        const body = this.small;
        if (body) {
          let off = 0;
          while (off < this.pos) off += writeSync(this.fd, body, off, this.pos - off, off);
        }
      } finally {
        this.small = undefined;
        this.closeSync();
      }
      return;
    }
    this.cut();
  }

  /** Stops after the write in flight (or now, when none is) and closes the file. */
  abandon(): void {
    this.abandoned = true;
    for (const s of this.queue.splice(0)) this.pool.give(s);
    if (this.current) this.pool.give(this.current);
    this.current = undefined;
    if (!this.pumping) this.closeSync();
  }

  /** Closes the current segment and makes sure the write loop runs. */
  private cut(): void {
    if (this.current) {
      this.queue.push(this.current);
      this.current = undefined;
    }
    if (!this.pumping && !this.abandoned && (this.queue.length > 0 || this.ended)) {
      this.pumping = true;
      this.pool.run(this.pump());
    }
  }

  /** Writes queued segments one at a time; once the body has ended and all is written, closes the file. */
  private async pump(): Promise<void> {
    try {
      while (!this.abandoned) {
        const segment = this.queue.shift();
        if (segment) {
          try {
            let off = 0;
            while (off < segment.len) {
              const { bytesWritten } = await writeAsync(this.fd, segment.buf, off, segment.len - off, segment.start + off);
              off += bytesWritten;
            }
          } finally {
            this.pool.give(segment);
          }
          continue;
        }
        if (this.ended) {
          // Trailing holes: the file must still have its full size.
          if (this.holes) await ftruncateAsync(this.fd, this.size);
          this.markClosed();
          await closeAsync(this.fd);
        }
        return;
      }
    } finally {
      this.pumping = false;
      if (this.abandoned) this.closeSync();
    }
  }

  private markClosed(): void {
    this.closed = true;
    this.pool.closed(this);
  }

  private closeSync(): void {
    if (this.closed) return;
    this.markClosed();
    try {
      closeSync(this.fd);
    } catch {
      // Already failing: the first error is the one reported.
    }
  }
}

/** Counts files and bytes in an archive stream without writing anything. */
export async function measureArchive(archive: ArchiveSource): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  await readArchive(archive, (header) => {
    if (header.type !== "5") files += 1;
    bytes += header.type === "0" || header.type === "7" ? header.size : 0;
    return undefined;
  });
  // The exported directory itself is an entry too; it is not a file.
  return { files, bytes };
}
