import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { type BlockMode, deflateBlock } from "../../src/image/deflate-block.js";
import { DeflatePool, deflateBlockAsync } from "../../src/image/deflate-pool.js";
import { pseudoRandom } from "./helpers.js";

// The thread-pool path must give the bytes of the synchronous one, or digests would depend on how a
// bundle was run: text, incompressible bytes, a mix near the auto threshold, small and empty blocks.
const text = Buffer.from('{"token":"hello","id":12345,"vocab":["a","b","c"]}\n'.repeat(21_000)).subarray(0, 1 << 20);
const blocks: [string, Uint8Array][] = [
  ["text", text],
  ["random", pseudoRandom(300_000, 11)],
  ["mixed", Buffer.concat([text.subarray(0, 300_000), pseudoRandom(200_000, 5)])],
  ["small", text.subarray(0, 5_000)],
  ["empty", new Uint8Array(0)],
];

describe("deflateBlockAsync", () => {
  for (const mode of ["gzip", "auto", "stored"] as BlockMode[]) {
    it.each(blocks)(`${mode}: %s block matches deflateBlock, with and without a dictionary`, async (_, block) => {
      for (const dictionary of [null, text.subarray(text.length - 32_768)]) {
        const sync = deflateBlock(zlib, block, dictionary, mode);
        const async = await deflateBlockAsync(block, dictionary, mode);
        expect(async === null ? null : Buffer.from(async)).toEqual(sync === null ? null : Buffer.from(sync));
      }
    });
  }
});

describe("DeflatePool", () => {
  it("runs at most `concurrency` jobs at once and keeps each result with its job", async () => {
    const pool = new DeflatePool(2);
    expect(pool.concurrency).toBe(2);
    const inputs = Array.from({ length: 6 }, (_, i) => text.subarray(i * 1000, i * 1000 + 200_000));
    const outs = await Promise.all(inputs.map((b) => pool.run(b, null, "gzip")));
    outs.forEach((out, i) => expect(Buffer.from(out as Uint8Array)).toEqual(deflateBlock(zlib, inputs[i] as Uint8Array, null, "gzip")));
    expect(pool.jobs).toBe(6);
    await pool.close();
    await expect(pool.run(text, null, "gzip")).rejects.toThrow("closed");
  });

  it("never leaves this thread for stored blocks", async () => {
    const pool = new DeflatePool(2);
    expect(await pool.run(text, null, "stored")).toBeNull();
    expect(pool.jobs).toBe(0);
    await pool.close();
  });
});
