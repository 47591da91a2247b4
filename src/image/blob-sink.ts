import { createHash, type Hash, randomBytes } from "node:crypto";
import { type FileHandle, lstat, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** Temp blobs are named so that a later run can recognise and delete what an interrupted run left. */
export const TEMP_BLOB_PREFIX = ".mlpack-tmp-";
/** Linux's limit on buffers per writev. */
const IOV_MAX = 1024;

/**
 * Bytes gathered into one writev. Past ~2 GiB of output the kernel's writeback starts, and several writes
 * in flight on one file then spin on its inode lock; one write at a time, each of several blocks, keeps
 * the disk as busy with a fraction of the system time (measured: bench/ 4 GiB row).
 */
const WRITE_BATCH = 4 << 20;

/**
 * Written bytes after which a background fdatasync starts (one at a time, never awaited by the writer). On a
 * machine with plenty of RAM the kernel starts no writeback of its own until the final fsync, which then
 * waits for the whole blob at disk speed after every byte is hashed; syncing as we go lets the disk work
 * while this thread hashes, so the final fsync only waits for the tail (measured: bench/ weights rows).
 */
const SYNC_EVERY = 64 << 20;

/**
 * Writes one blob into `blobs/sha256/`: bytes go to a temp file while being hashed, and only a complete,
 * fsynced file is renamed to its digest. A reader can therefore trust any `blobs/sha256/<hex>` it finds.
 * Layer bytes arrive in ~1 MiB blocks and pieces of them; they are gathered (as views, never copied) into
 * writes of WRITE_BATCH bytes, one write in flight at a time on the thread pool while this thread hashes
 * and reads the next blocks.
 */
export class BlobSink {
  readonly tempPath: string;
  private handle: FileHandle | null = null;
  private readonly hash: Hash | null;
  private batch: Uint8Array[] = [];
  private batchDone: (() => void)[] = [];
  private batchBytes = 0;
  private inFlight: Promise<void> | null = null;
  /** A background fdatasync under way, and the write position it was started at. */
  private syncing: Promise<void> | null = null;
  private syncedTo = 0;
  private failure: { error: unknown } | null = null;
  size = 0;
  private written = 0;
  /** After commit: whether the blob was new in the layout (not there under its digest before). */
  created = false;

  private constructor(
    private readonly blobsDir: string,
    hashed: boolean,
  ) {
    this.tempPath = join(blobsDir, `${TEMP_BLOB_PREFIX}${process.pid}-${randomBytes(8).toString("hex")}`);
    this.hash = hashed ? createHash("sha256") : null;
  }

  /**
   * `hashed: false` is for a caller that already hashes exactly these bytes (an uncompressed layer's
   * digest is its diff_id) and passes the digest to `commit`: hashing 2 GiB twice is a second of CPU.
   */
  static async create(layoutDir: string, options: { hashed?: boolean } = {}): Promise<BlobSink> {
    const blobsDir = join(layoutDir, "blobs", "sha256");
    await mkdir(blobsDir, { recursive: true });
    const sink = new BlobSink(blobsDir, options.hashed ?? true);
    sink.handle = await open(sink.tempPath, "wx", 0o644);
    return sink;
  }

  /**
   * Hashes `bytes` (one buffer, or pieces that go back to back) now and queues them for writing. Resolves
   * once they are queued (backpressure: a full batch first waits for the write before it), which may be
   * before these bytes are on disk: the caller must not change them until `written` is called. A failed
   * write is thrown by the next `write` or by `commit`.
   */
  async write(bytes: Uint8Array | readonly Uint8Array[], written?: () => void): Promise<void> {
    this.throwIfFailed();
    const pieces = Array.isArray(bytes) ? (bytes as readonly Uint8Array[]) : [bytes as Uint8Array];
    for (const piece of pieces) {
      if (piece.length === 0) continue;
      this.hash?.update(piece);
      this.batch.push(piece);
      this.batchBytes += piece.length;
      this.size += piece.length;
    }
    if (written) this.batchDone.push(written);
    if (this.batchBytes >= WRITE_BATCH) await this.flush();
  }

  /** Starts writing the gathered batch, after the previous write has finished (one in flight). */
  private async flush(): Promise<void> {
    if (this.inFlight) await this.inFlight;
    this.throwIfFailed();
    if (this.batch.length === 0 && this.batchDone.length === 0) return;
    const handle = this.requireHandle();
    const pieces = this.batch;
    const done = this.batchDone;
    const position = this.written;
    this.written += this.batchBytes;
    this.batch = [];
    this.batchDone = [];
    this.batchBytes = 0;
    this.inFlight = writeAllAt(handle, pieces, position).then(
      () => {
        for (const d of done) d();
        this.inFlight = null;
        this.syncBehind(handle);
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.inFlight = null;
      },
    );
  }

  /** Starts an fdatasync of what is written so far when SYNC_EVERY more bytes landed and none is under way. */
  private syncBehind(handle: FileHandle): void {
    if (this.syncing || this.written - this.syncedTo < SYNC_EVERY) return;
    this.syncedTo = this.written;
    this.syncing = handle.datasync().then(
      () => {
        this.syncing = null;
      },
      (error: unknown) => {
        this.failure ??= { error };
        this.syncing = null;
      },
    );
  }

  /** Waits for every queued write, fsyncs, names the file by its digest and returns "sha256:<hex>". */
  async commit(knownDigest?: string): Promise<string> {
    await this.flush();
    await this.drain();
    this.throwIfFailed();
    const handle = this.requireHandle();
    await handle.sync();
    await handle.close();
    this.handle = null;
    const hex = this.hash ? this.hash.digest("hex") : knownDigest?.replace(/^sha256:/, "");
    if (hex === undefined) throw new Error("an unhashed blob needs its digest to commit");
    const final = join(this.blobsDir, hex);
    this.created = await lstat(final).then(
      () => false,
      () => true,
    );
    await rename(this.tempPath, final);
    return `sha256:${hex}`;
  }

  /** Drops the temp file (after a failure or an abort), once no write still uses the descriptor. */
  async discard(): Promise<void> {
    await this.drain();
    await this.handle?.close().catch(() => {});
    this.handle = null;
    await rm(this.tempPath, { force: true });
  }

  private async drain(): Promise<void> {
    while (this.inFlight || this.syncing) await (this.inFlight ?? this.syncing);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error("blob sink already closed");
    return this.handle;
  }
}

/** Writes `pieces` back to back from `position`, in as many writev calls as short writes and IOV_MAX need. */
async function writeAllAt(handle: FileHandle, pieces: readonly Uint8Array[], position: number): Promise<void> {
  let at = position;
  for (let i = 0; i < pieces.length; i += IOV_MAX) {
    let batch = pieces.slice(i, i + IOV_MAX).filter((p) => p.length > 0);
    while (batch.length > 0) {
      const { bytesWritten } = await handle.writev(batch, at);
      at += bytesWritten;
      batch = dropWritten(batch, bytesWritten);
    }
  }
}

/** What is left of `pieces` after a (short) write of `written` bytes. */
function dropWritten(pieces: Uint8Array[], written: number): Uint8Array[] {
  let left = written;
  let i = 0;
  while (i < pieces.length && left >= (pieces[i] as Uint8Array).length)
    left -= (pieces[i++] as Uint8Array).length;
  const rest = pieces.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = (rest[0] as Uint8Array).subarray(left);
  return rest;
}

/** Writes a small in-memory blob (config, manifest) the same safe way. */
export async function writeSmallBlob(
  layoutDir: string,
  bytes: Uint8Array,
): Promise<{ digest: string; created: boolean }> {
  const sink = await BlobSink.create(layoutDir);
  try {
    await sink.write(bytes);
    const digest = await sink.commit();
    return { digest, created: sink.created };
  } catch (error) {
    await sink.discard();
    throw error;
  }
}
