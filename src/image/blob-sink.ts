import { createHash, type Hash, randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** Temp blobs are named so that a later run can recognise and delete what an interrupted run left. */
export const TEMP_BLOB_PREFIX = ".mlpack-tmp-";
/** Linux's limit on buffers per writev. */
const IOV_MAX = 1024;

/**
 * Writes one blob into `blobs/sha256/`: bytes go to a temp file while being hashed, and only a complete,
 * fsynced file is renamed to its digest. A reader can therefore trust any `blobs/sha256/<hex>` it finds.
 * Layer bytes arrive in ~1 MiB blocks, so writes are not coalesced here (that would mean copying them).
 */
export class BlobSink {
  readonly tempPath: string;
  private handle: FileHandle | null = null;
  private readonly hash: Hash | null;
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
   * Hashes and writes `bytes` (one buffer, or pieces that go back to back) before resolving, keeping no
   * reference afterwards: callers recycle their buffers as soon as this resolves. Pieces go out in one
   * writev, so stored deflate blocks (5-byte headers between views of the data) need no copying.
   */
  async write(bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const pieces = Array.isArray(bytes) ? (bytes as readonly Uint8Array[]) : [bytes as Uint8Array];
    let total = 0;
    for (const piece of pieces) {
      this.hash?.update(piece);
      total += piece.length;
    }
    this.size += total;
    const handle = this.requireHandle();
    for (let at = 0; at < pieces.length; at += IOV_MAX) {
      let batch = pieces.slice(at, at + IOV_MAX).filter((p) => p.length > 0);
      while (batch.length > 0) {
        const { bytesWritten } = await handle.writev(batch);
        batch = dropWritten(batch, bytesWritten);
      }
    }
  }

  /** Fsyncs, names the file by its digest and returns "sha256:<hex>". */
  async commit(knownDigest?: string): Promise<string> {
    const handle = this.requireHandle();
    await handle.sync();
    await handle.close();
    this.handle = null;
    const hex = this.hash ? this.hash.digest("hex") : knownDigest?.replace(/^sha256:/, "");
    if (hex === undefined) throw new Error("an unhashed blob needs its digest to commit");
    await rename(this.tempPath, join(this.blobsDir, hex));
    return `sha256:${hex}`;
  }

  /** Drops the temp file (after a failure or an abort). */
  async discard(): Promise<void> {
    await this.handle?.close().catch(() => {});
    this.handle = null;
    await rm(this.tempPath, { force: true });
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error("blob sink already closed");
    return this.handle;
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
