import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { huffmanBits, probeSaysStore, probeSlices } from "../../src/image/deflate-block.js";
import { pseudoRandom } from "./helpers.js";

const counts = (bytes: Uint8Array) => {
  const c = new Uint32Array(256);
  for (const b of bytes) c[b] = (c[b] as number) + 1;
  return c;
};

/** bf16 weights: the top half of N(0, 0.02) float32s (Box–Muller over a seeded generator). */
function bf16Weights(count: number): Buffer {
  const noise = pseudoRandom(count * 8, 99);
  const out = Buffer.alloc(count * 2);
  const f = new Float32Array(1);
  const u32 = new Uint32Array(f.buffer);
  for (let i = 0; i < count; i++) {
    const u = (noise.readUInt32LE(i * 8) + 1) / 2 ** 32;
    const v = noise.readUInt32LE(i * 8 + 4) / 2 ** 32;
    f[0] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * 0.02;
    out.writeUInt16LE((u32[0] as number) >>> 16, i * 2);
  }
  return out;
}

const text = Buffer.from(
  Array.from({ length: 4000 }, (_, i) => `{"id": ${i}, "token": "word${i % 97}", "score": 0.${i % 13}}\n`).join(""),
);

describe("auto probe", () => {
  it("huffmanBits is the optimal code's total length, whatever the ties", () => {
    expect(huffmanBits(new Uint32Array(256))).toBe(0);
    expect(huffmanBits(counts(Buffer.alloc(1000, 7)))).toBe(0);
    expect(huffmanBits(counts(Buffer.from([1, 2, 2, 3])))).toBe(6); // codes 2, 1, 2 bits
    expect(huffmanBits(counts(Buffer.from("aabb")))).toBe(4);
    const uniform = new Uint32Array(256).fill(10);
    expect(huffmanBits(uniform)).toBe(256 * 10 * 8);
    // Permuting the counts never changes the total.
    const skewed = Uint32Array.from({ length: 256 }, (_, i) => (i * 37) % 101);
    const reversed = Uint32Array.from(skewed).reverse();
    expect(huffmanBits(reversed)).toBe(huffmanBits(skewed));
  });

  it.each([
    ["noise", pseudoRandom(1 << 20, 5), true],
    ["bf16 weights", bf16Weights(1 << 19), true],
    ["JSON lines", text, false],
    ["zeros", Buffer.alloc(1 << 20), false],
  ] as const)("%s: store=%s, and the estimate tracks a level-1 deflate of the sample", (_, block, store) => {
    expect(probeSaysStore(block)).toBe(store);
    const sample = Buffer.concat(probeSlices(block));
    const estimate = huffmanBits(counts(sample)) / (sample.length * 8);
    const deflated = deflateRawSync(sample, { level: 1 }).length / sample.length;
    // Matches only make deflate better than order-0 Huffman, so the estimate errs towards storing.
    if (store) expect(Math.abs(estimate - deflated)).toBeLessThan(0.02);
    else expect(estimate).toBeLessThan(0.75);
  });
});
