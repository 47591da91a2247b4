import { createHash, type Hash, randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** Temp blobs are named so that a later run can recognise and delete what an interrupted run left. */
export const TEMP_BLOB_PREFIX = ".mlpack-tmp-";
/** Linux's limit on buffers per writev. */
const IOV_MAX = 1024;

/**
 * Writes that may be on the thread pool at once. Two already keep the disk busy while this thread hashes
 * the next block; more only hold more blocks alive.
 */
const WRITES_IN_FLIGHT = 3;

/**
 * Writes one blob into `blobs/sha256/`: bytes go to a temp file while being hashed, and only a complete,
 * fsynced file is renamed to its digest. A reader can therefore trust any `blobs/sha256/<hex>` it finds.
 * Layer bytes arrive in ~1 MiB blocks, so writes are not coalesced here (that would mean copying them).
 *
 * Bytes are hashed in order as they arrive, but written at their own offset (pwritev), so a few writes can
 * run on the thread pool while the caller hashes and reads the next blocks: a 2 GiB layer no longer waits
 * for the disk once per block.
 */
export class BlobSink {
  readonly tempPath: string;
  private handle: FileHandle | null = null;
  private readonly hash: Hash | null;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;
  size = 0;

  private constructor(
    private readonly blobsDir: string,
    hashed: boolean,
  ) {
    this.tempPath = join(blobsDir, `${TEMP_BLOB_PREFIX}${randomBytes(8).toString("hex")}`);
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
    sink.handle = await open(sink.tempPath, "w", 0o644);
    return sink;
  }

  /**
   * Hashes `bytes` (one buffer, or pieces that go back to back) now and queues them for writing at their
   * offset. Resolves as soon as fewer than WRITES_IN_FLIGHT writes are pending (backpressure), which may be
   * before these bytes are on disk: the caller must not change them until `written` is called. Pieces go
   * out in one writev, so stored deflate blocks (5-byte headers between views of the data) need no copying.
   * A failed write is thrown by the next `write` or by `commit`.
   */
  async write(bytes: Uint8Array | readonly Uint8Array[], written?: () => void): Promise<void> {
    this.throwIfFailed();
    const handle = this.requireHandle();
    const pieces = Array.isArray(bytes) ? (bytes as readonly Uint8Array[]) : [bytes as Uint8Array];
    let total = 0;
    for (const piece of pieces) {
      this.hash?.update(piece);
      total += piece.length;
    }
    const position = this.size;
    this.size += total;
    const job = writeAllAt(handle, pieces, position).then(
      () => written?.(),
      (error: unknown) => {
        this.failure ??= { error };
      },
    );
    this.inFlight.add(job);
    void job.then(() => this.inFlight.delete(job));
    while (this.inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(this.inFlight);
    this.throwIfFailed();
  }

  /** Waits for every queued write, fsyncs, names the file by its digest and returns "sha256:<hex>". */
  async commit(knownDigest?: string): Promise<string> {
    await this.drain();
    this.throwIfFailed();
    const handle = this.requireHandle();
    await handle.sync();
    await handle.close();
    this.handle = null;
    const hex = this.hash ? this.hash.digest("hex") : knownDigest?.replace(/^sha256:/, "");
    if (hex === undefined) throw new Error("an unhashed blob needs its digest to commit");
    await rename(this.tempPath, join(this.blobsDir, hex));
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
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
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
export async function writeSmallBlob(layoutDir: string, bytes: Uint8Array): Promise<string> {
  const sink = await BlobSink.create(layoutDir);
  try {
    await sink.write(bytes);
    return await sink.commit();
  } catch (error) {
    await sink.discard();
    throw error;
  }
}
