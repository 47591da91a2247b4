import type * as Zlib from "node:zlib";

/** How one block of layer bytes is deflated. "stored" = deflate level 0 (copy speed, still valid gzip). */
export type BlockMode = "gzip" | "auto" | "stored";

/** Largest stored deflate block (LEN is 16 bits). */
const STORED_MAX = 65535;

/**
 * Deflates one block into raw deflate data that ends byte-aligned and not final (a sync flush), so blocks
 * can be concatenated into one gzip member, pigz style, or returns null when the block is to be stored
 * (see storedBlocks). `dictionary` is the 32 KiB of input before the block, which keeps the ratio close to
 * a single stream while blocks stay independent jobs.
 *
 * The result depends only on (block, dictionary, mode), never on which thread ran it, which is what keeps
 * layer digests identical for any worker count. This function is also shipped to worker threads as source
 * text (`deflateBlock.toString()`), so it must not reference anything outside its own body.
 */
export function deflateBlock(
  zlib: typeof Zlib,
  block: Uint8Array,
  dictionary: Uint8Array | null,
  mode: BlockMode,
): Uint8Array | null {
  if (mode === "stored") return null;
  const storedSize = block.length + Math.max(1, Math.ceil(block.length / 65535)) * 5;
  if (mode === "auto") {
    // Probe a few evenly spaced slices at the fastest level: weights barely shrink, so they go stored
    // without paying for a full deflate; anything that saves a quarter is worth deflating.
    const SLICES = 4;
    const SLICE = 16384;
    let sample: Uint8Array = block;
    if (block.length > SLICES * SLICE) {
      sample = new Uint8Array(SLICES * SLICE);
      for (let i = 0; i < SLICES; i++) {
        const start = Math.floor(((block.length - SLICE) * i) / (SLICES - 1));
        sample.set(block.subarray(start, start + SLICE), i * SLICE);
      }
    }
    const probe = zlib.deflateRawSync(sample, { level: 1 });
    if (probe.length > sample.length * 0.75) return null;
  }
  // auto favours speed (level 1 keeps most of the gain on text at several times level 6's speed);
  // gzip is the classic default level everywhere.
  const options: Zlib.ZlibOptions = {
    level: mode === "auto" ? 1 : 6,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  };
  if (dictionary !== null && dictionary.length > 0) options.dictionary = dictionary;
  const deflated = zlib.deflateRawSync(block, options);
  if (mode === "auto" && deflated.length >= storedSize) return null;
  return deflated;
}

/**
 * A block as stored deflate blocks, without copying it: 5-byte headers interleaved with views of `data`
 * (written with one writev). Byte 0: BFINAL=0, BTYPE=00 (stored), padded to the byte boundary; then LEN
 * and NLEN little-endian. An empty block still gets one empty stored block, as it always has.
 */
export function storedBlocks(data: Uint8Array): Uint8Array[] {
  const pieces = Math.max(1, Math.ceil(data.length / STORED_MAX));
  const headers = new Uint8Array(pieces * 5);
  const out: Uint8Array[] = [];
  for (let i = 0, start = 0; i < pieces; i++, start += STORED_MAX) {
    const len = Math.min(STORED_MAX, data.length - start);
    const at = i * 5;
    headers[at] = 0;
    headers[at + 1] = len & 0xff;
    headers[at + 2] = len >>> 8;
    headers[at + 3] = ~len & 0xff;
    headers[at + 4] = (~len >>> 8) & 0xff;
    out.push(headers.subarray(at, at + 5));
    if (len > 0) out.push(data.subarray(start, start + len));
  }
  return out;
}

/** The gzip header mlpack always writes: no name, MTIME 0, XFL 0, OS 255 ("unknown") on every platform. */
export const GZIP_HEADER: Uint8Array = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);

/** An empty final fixed-Huffman block (BFINAL=1, BTYPE=01, end-of-block): closes the deflate stream. */
export const DEFLATE_END: Uint8Array = Uint8Array.from([0x03, 0x00]);
