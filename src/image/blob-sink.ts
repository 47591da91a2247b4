import { createHash, type Hash, randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** Temp blobs are named so that a later run can recognise and delete what an interrupted run left. */
export const TEMP_BLOB_PREFIX = ".mlpack-tmp-";
const FLUSH_AT = 1 << 20;

/**
 * Writes one blob into `blobs/sha256/`: bytes go to a temp file while being hashed, and only a complete,
 * fsynced file is renamed to its digest. A reader can therefore trust any `blobs/sha256/<hex>` it finds.
 * Small writes (tar headers) are coalesced into ~1 MiB writes.
 */
export class BlobSink {
  readonly tempPath: string;
  private handle: FileHandle | null = null;
  private readonly hash: Hash = createHash("sha256");
  private buffered: Uint8Array[] = [];
  private bufferedLength = 0;
  size = 0;

  private constructor(private readonly blobsDir: string) {
    this.tempPath = join(blobsDir, `${TEMP_BLOB_PREFIX}${randomBytes(8).toString("hex")}`);
  }

  static async create(layoutDir: string): Promise<BlobSink> {
    const blobsDir = join(layoutDir, "blobs", "sha256");
    await mkdir(blobsDir, { recursive: true });
    const sink = new BlobSink(blobsDir);
    sink.handle = await open(sink.tempPath, "w", 0o644);
    return sink;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.hash.update(bytes);
    this.size += bytes.length;
    this.buffered.push(bytes);
    this.bufferedLength += bytes.length;
    if (this.bufferedLength >= FLUSH_AT) await this.flush();
  }

  /** Fsyncs, names the file by its digest and returns "sha256:<hex>". */
  async commit(): Promise<string> {
    await this.flush();
    const handle = this.requireHandle();
    await handle.sync();
    await handle.close();
    this.handle = null;
    const hex = this.hash.digest("hex");
    await rename(this.tempPath, join(this.blobsDir, hex));
    return `sha256:${hex}`;
  }

  /** Drops the temp file (after a failure or an abort). */
  async discard(): Promise<void> {
    await this.handle?.close().catch(() => {});
    this.handle = null;
    await rm(this.tempPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.bufferedLength === 0) return;
    const data = this.buffered.length === 1 ? (this.buffered[0] as Uint8Array) : Buffer.concat(this.buffered);
    this.buffered = [];
    this.bufferedLength = 0;
    const handle = this.requireHandle();
    let offset = 0;
    while (offset < data.length) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
    }
  }

  private requireHandle(): FileHandle {
    if (!this.handle) throw new Error("blob sink already closed");
    return this.handle;
  }
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
