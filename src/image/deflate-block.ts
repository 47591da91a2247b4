import type * as Zlib from "node:zlib";

/** How one block of layer bytes is deflated. "stored" = deflate level 0 (copy speed, still valid gzip). */
export type BlockMode = "gzip" | "auto" | "stored";

/** Largest stored deflate block (LEN is 16 bits). */
const STORED_MAX = 65535;

/** Slices the auto probe samples, evenly spaced over the block. */
const PROBE_SLICES = 4;
const PROBE_SLICE = 16384;

/**
 * What the auto probe looks at: a few evenly spaced slices of the block (the whole block when small), as
 * views, never copies (a copy per block was 128 MB of garbage on 2 GiB of weights). Changing any constant
 * here changes auto digests.
 */
export function probeSlices(block: Uint8Array): Uint8Array[] {
  if (block.length <= PROBE_SLICES * PROBE_SLICE) return [block];
  const slices: Uint8Array[] = [];
  for (let i = 0; i < PROBE_SLICES; i++) {
    const start = Math.floor(((block.length - PROBE_SLICE) * i) / (PROBE_SLICES - 1));
    slices.push(block.subarray(start, start + PROBE_SLICE));
  }
  return slices;
}

/**
 * Bits an optimal Huffman code for these byte counts takes (the sum of the merged weights). Every optimal
 * code has the same total, so the result does not depend on how ties are broken: integers only, the same
 * on every machine and zlib. One distinct byte costs 0 (deflate's matches make such data nearly free).
 */
export function huffmanBits(counts: Uint32Array): number {
  // Two queues (van Leeuwen): sorted leaves, and merged nodes, which come out in non-decreasing order.
  const leaves = counts.filter((c) => c > 0).sort(); // a typed array sorts numerically, natively
  const merged: number[] = [];
  let leaf = 0;
  let node = 0;
  const smallest = (): number => {
    const fromLeaves = leaf < leaves.length && (node >= merged.length || (leaves[leaf] as number) <= (merged[node] as number));
    return fromLeaves ? (leaves[leaf++] as number) : (merged[node++] as number);
  };
  let total = 0;
  for (let left = leaves.length; left > 1; left--) {
    const weight = smallest() + smallest();
    merged.push(weight);
    total += weight;
  }
  return total;
}

/**
 * The auto decision, from the sample alone: store when even an order-0 Huffman code of its bytes (what
 * deflate does after matching) cannot save a quarter. Weights (fp16/bf16/fp32, quantised) land above that
 * line and are stored at copy speed; text, JSON and sparse tensors land below it and are deflated. It
 * replaces a level-1 deflate of the sample, which cost ~1 ms per MiB block (deflate crawls on noise) and
 * depended on the zlib build; this is a byte histogram, ~0.05 ms.
 */
export function probeSaysStore(block: Uint8Array): boolean {
  const lanes = new Uint32Array(1024);
  let sampled = 0;
  for (const slice of probeSlices(block)) {
    countBytes(slice, lanes);
    sampled += slice.length;
  }
  const counts = new Uint32Array(256);
  for (let b = 0; b < 256; b++)
    counts[b] = (lanes[b] as number) + (lanes[256 + b] as number) + (lanes[512 + b] as number) + (lanes[768 + b] as number);
  return huffmanBits(counts) > sampled * 8 * 0.75;
}

/** Adds how often each byte value occurs to `lanes`: four interleaved tables keep the increments independent (~2× faster). */
function countBytes(bytes: Uint8Array, lanes: Uint32Array): void {
  const whole = bytes.length - (bytes.length % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    const a = bytes[i] as number;
    const b = 256 + (bytes[i + 1] as number);
    const c = 512 + (bytes[i + 2] as number);
    const d = 768 + (bytes[i + 3] as number);
    lanes[a] = (lanes[a] as number) + 1;
    lanes[b] = (lanes[b] as number) + 1;
    lanes[c] = (lanes[c] as number) + 1;
    lanes[d] = (lanes[d] as number) + 1;
  }
  for (; i < bytes.length; i++) {
    const a = bytes[i] as number;
    lanes[a] = (lanes[a] as number) + 1;
  }
}

/**
 * Options of the real deflate: a sync flush, so the result ends byte-aligned and not final. auto favours
 * speed (level 1 keeps most of the gain on text at several times level 6's speed); gzip is the classic
 * default level everywhere.
 */
export function blockDeflateOptions(
  zlib: typeof Zlib,
  mode: BlockMode,
  dictionary: Uint8Array | null,
): Zlib.ZlibOptions {
  const options: Zlib.ZlibOptions = {
    level: mode === "auto" ? 1 : 6,
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
  };
  if (dictionary !== null && dictionary.length > 0) options.dictionary = dictionary;
  return options;
}

/** auto falls back to stored when deflate did not beat stored blocks' size; gzip always keeps it. */
export function keepsDeflated(mode: BlockMode, deflatedLength: number, blockLength: number): boolean {
  const storedSize = blockLength + Math.max(1, Math.ceil(blockLength / STORED_MAX)) * 5;
  return mode !== "auto" || deflatedLength < storedSize;
}

/**
 * Deflates one block into raw deflate data that ends byte-aligned and not final (a sync flush), so blocks
 * can be concatenated into one gzip member, pigz style, or returns null when the block is to be stored
 * (see storedBlocks). `dictionary` is the 32 KiB of input before the block, which keeps the ratio close to
 * a single stream while blocks stay independent jobs.
 *
 * The result depends only on (block, dictionary, mode), never on which thread ran it, which is what keeps
 * layer digests identical for any concurrency. deflate-pool.ts runs the same steps on the thread pool.
 */
export function deflateBlock(
  zlib: typeof Zlib,
  block: Uint8Array,
  dictionary: Uint8Array | null,
  mode: BlockMode,
): Uint8Array | null {
  if (mode === "stored") return null;
  if (mode === "auto" && probeSaysStore(block)) return null;
  const deflated = zlib.deflateRawSync(block, blockDeflateOptions(zlib, mode, dictionary));
  return keepsDeflated(mode, deflated.length, block.length) ? deflated : null;
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
