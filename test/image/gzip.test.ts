import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { BlockMode } from "../../src/image/deflate-block.js";
import { DeflatePool } from "../../src/image/deflate-pool.js";
import { GzipBlockEncoder } from "../../src/image/gzip-encoder.js";
import { pseudoRandom, tempDir } from "./helpers.js";

const tmp = tempDir("mlpack-gzip-");
afterAll(() => tmp.cleanup());

/** Text, then incompressible bytes, then text again: blocks of each kind inside one member. */
function mixedInput(): Buffer {
  const text = Buffer.from('{"token":"hello","id":12345,"vocab":["a","b","c"]}\n'.repeat(60_000));
  return Buffer.concat([text, pseudoRandom(3 << 20, 7), text.subarray(0, 1_234_567)]);
}

async function encode(
  input: Buffer,
  mode: BlockMode,
  pool: DeflatePool | null,
  chunk = 65_537,
): Promise<Buffer> {
  const out: Uint8Array[] = [];
  const encoder = new GzipBlockEncoder({
    mode,
    pool,
    write: async (pieces) => {
      for (const piece of pieces) out.push(Uint8Array.from(piece));
    },
  });
  for (let at = 0; at < input.length; at += chunk) await encoder.push(input.subarray(at, at + chunk));
  await encoder.finish();
  return Buffer.concat(out);
}

describe("GzipBlockEncoder", () => {
  const input = mixedInput();

  it.each<BlockMode>(["gzip", "auto", "stored"])(
    "%s: valid single-member gzip with pinned header",
    async (mode) => {
      const gz = await encode(input, mode, null);
      expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
      expect(gunzipSync(gz).equals(input)).toBe(true);
      const path = join(tmp.dir, `${mode}.gz`);
      writeFileSync(path, gz);
      execFileSync("gzip", ["-t", path]);
      // One member: the second 1f8b magic never appears at a member boundary, and gzip -l sees one stream.
      const listed = execFileSync("gzip", ["-lv", path]).toString();
      expect(listed).toContain(String(input.length));
    },
  );

  it("auto deflates text, stores random bytes, and lands between gzip and stored in size", async () => {
    const [gzip, auto, stored] = await Promise.all([
      encode(input, "gzip", null),
      encode(input, "auto", null),
      encode(input, "stored", null),
    ]);
    expect(stored.length).toBeGreaterThan(input.length);
    expect(auto.length).toBeLessThan(stored.length * 0.7);
    expect(auto.length).toBeGreaterThanOrEqual(gzip.length);
    const randomOnly = pseudoRandom(2 << 20, 3);
    const autoRandom = await encode(randomOnly, "auto", null);
    expect(autoRandom.length).toBeLessThan(randomOnly.length * 1.001);
  });

  it("gives identical bytes for any worker count and any input chunking", async () => {
    const pools = [new DeflatePool(1), new DeflatePool(2), new DeflatePool(3)];
    try {
      for (const mode of ["gzip", "auto"] as const) {
        const inline = await encode(input, mode, null);
        for (const pool of pools)
          expect((await encode(input, mode, pool, 333_333)).equals(inline)).toBe(true);
      }
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it("encodes empty input as a valid empty gzip", async () => {
    const gz = await encode(Buffer.alloc(0), "auto", null);
    expect(gunzipSync(gz).length).toBe(0);
  });
});
