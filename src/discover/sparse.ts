import { open } from "node:fs/promises";

const ZEROS = Buffer.alloc(1024 * 1024);

/** Whether a chunk is all zero bytes (memcmp against a zero buffer: stops at the first non-zero byte). */
export function isZeroRun(chunk: Buffer): boolean {
  if (chunk.length === 0 || chunk[0] !== 0) return false;
  for (let off = 0; off < chunk.length; off += ZEROS.length) {
    const part = chunk.subarray(off, off + ZEROS.length);
    if (!part.equals(part.length === ZEROS.length ? ZEROS : ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/** Whether the filesystem says a file has holes: fewer bytes allocated than its size. */
export const isSparse = (st: { size: number; blocks: number }): boolean => st.blocks * 512 < st.size;

/**
 * Copies a sparse file keeping it sparse. Node has no SEEK_DATA/SEEK_HOLE and `copyFile` (libuv: sendfile /
 * copy_file_range) writes holes out as zeros, so this reads the file (holes read as zeros without touching the
 * disk) and leaves every all-zero 1 MiB run unwritten, then sets the size. Used only where the source is known
 * to be sparse: for ordinary files the kernel copy is faster.
 */
export async function copySparse(from: string | Buffer, to: string | Buffer, mode: number): Promise<void> {
  const src = await open(from, "r");
  try {
    const size = (await src.stat()).size;
    const dst = await open(to, "wx", mode);
    try {
      const buf = Buffer.allocUnsafe(ZEROS.length);
      let pos = 0;
      while (pos < size) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - pos), pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        if (!isZeroRun(chunk)) {
          let off = 0;
          while (off < bytesRead) off += (await dst.write(chunk, off, bytesRead - off, pos + off)).bytesWritten;
        }
        pos += bytesRead;
      }
      await dst.truncate(pos);
    } finally {
      await dst.close();
    }
  } finally {
    await src.close();
  }
}
